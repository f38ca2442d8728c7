"""The consumers of `dataset.create`, `origdatablock.create`, `datablock.create`.

``IngestConsumers.from_runtime(runtime).register`` is a worker set-up;
:func:`ingest_setups` is the form ``cli.serve`` takes.
"""

from __future__ import annotations

from collections.abc import Iterable

from common.runtime import Runtime
from common.settings import Settings
from ingest_worker.app import WorkerSetup

from .consumer import IngestConsumers

__all__ = ["IngestConsumers", "ingest_setups"]


def ingest_setups(_settings: Settings, runtime: Runtime) -> Iterable[WorkerSetup]:
    """The worker set-ups of ``scicat worker|all``: every ingest consumer."""
    return (IngestConsumers.from_runtime(runtime).register,)
