"""The garbage collector's policy for a serving process.

The embedded store keeps every document in memory as plain dicts and lists:
millions of container objects that form no reference cycles, yet CPython's
full (generation 2) collection walks all of them each time the heap has grown
by a quarter. While datasets are ingested those walks took about a quarter of
the worker's time (``bench/ingest.py``: 26 full collections, 10 s of a 38 s
run of 10,000 creates), and they found almost nothing to free.

So, after each full collection, its survivors are frozen (``gc.freeze``): the
following full collections only walk what was allocated since. Reference
counting still frees frozen objects as usual; only cyclic garbage among them
would wait. To bound that, every ``rescan_every``-th full collection first
unfreezes everything, so that one walks the whole heap again.

Installed once per process, at its root (``scicat api|worker|all``).
"""

from __future__ import annotations

import gc
import logging
from typing import Any

logger = logging.getLogger(__name__)

RESCAN_EVERY = 64


class FreezeAfterFullCollections:
    """A ``gc.callbacks`` entry that freezes the survivors of full collections."""

    def __init__(self, rescan_every: int = RESCAN_EVERY) -> None:
        if rescan_every < 1:
            raise ValueError("rescan_every must be at least 1")
        self.rescan_every = rescan_every
        self.full_collections = 0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase != "stop" or info.get("generation") != 2:
            return
        self.full_collections += 1
        if self.full_collections % self.rescan_every == 0:
            # The next full collection walks everything, frozen objects too.
            gc.unfreeze()
        else:
            gc.freeze()


def install(rescan_every: int = RESCAN_EVERY) -> FreezeAfterFullCollections:
    """Put the policy in place (once; a second call returns the first)."""
    for callback in gc.callbacks:
        if isinstance(callback, FreezeAfterFullCollections):
            return callback
    policy = FreezeAfterFullCollections(rescan_every)
    gc.callbacks.append(policy)
    logger.debug("gc policy installed", extra={"rescan_every": rescan_every})
    return policy


def uninstall() -> None:
    """Remove the policy and unfreeze what it froze (tests, tools)."""
    gc.callbacks[:] = [
        c for c in gc.callbacks if not isinstance(c, FreezeAfterFullCollections)
    ]
    gc.unfreeze()
