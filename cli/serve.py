"""``scicat api``, ``scicat worker``, ``scicat all``: run the system in the foreground.

Each loads the settings once, configures logging once, opens the runtime
(store, effects, services), seeds the functional accounts, starts its parts and
stops cleanly on SIGTERM or SIGINT (exit code 0). ``all`` runs the API and the
worker in one process on one event loop (``make run``); a broker outage never
stops the API there, it shows in the health ``details`` as ``rabbitmq``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import enum
import logging
import signal
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pydantic import ValidationError

from common import collector
from common.errors import SciCatError
from common.identity.authenticator import JwtAuthenticator
from common.identity.seeding import seed_functional_accounts
from common.identity.tokens import TokenCodec, with_jwt_secret
from common.logging import configure_logging
from common.runtime import Runtime
from common.services import Services
from common.settings import Settings, load_settings, warn_unimplemented
from ingest_worker.app import Worker, WorkerSetup, create_worker
from ingest_worker.consumers import ingest_setups
from read_api.app import create_app
from read_api.health import HealthProbe
from read_api.keys import Services as ApiServices
from read_api.runner import start_api

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_SETTINGS = 2


class Part(enum.Flag):
    API = enum.auto()
    WORKER = enum.auto()
    ALL = API | WORKER


_COMMANDS = {
    "api": (Part.API, "serve the REST API only"),
    "worker": (Part.WORKER, "run the RabbitMQ ingest worker only"),
    "all": (Part.ALL, "run the REST API and the ingest worker in one process"),
}

# Consumers the worker runs, given the process runtime (store, services,
# effects); the ingest consumers plug in here when they land.
WorkerSetups = Callable[[Settings, Runtime], Iterable[WorkerSetup]]


def no_consumers(_settings: Settings, _runtime: Runtime) -> Iterable[WorkerSetup]:
    return ()


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    for name, (parts, description) in _COMMANDS.items():
        parser = subparsers.add_parser(name, help=description, description=description)
        parser.set_defaults(handler=_handler(parts))


def _handler(parts: Part) -> Callable[[argparse.Namespace], int]:
    def handle(_args: argparse.Namespace) -> int:
        return run(parts, ingest_setups)

    return handle


def run(parts: Part, worker_setups: WorkerSetups = no_consumers) -> int:
    """The process entry point: settings, logging, then serve until a signal."""
    try:
        settings = load_settings()
    except ValidationError as exc:
        # Command-line output: the operator reads this before any logging exists.
        print(f"scicat: invalid settings:\n{exc}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    collector.install()
    warn_unimplemented()
    settings = with_jwt_secret(settings)
    try:
        return asyncio.run(serve(settings, parts, worker_setups=worker_setups))
    except KeyboardInterrupt:  # a second Ctrl-C while stopping
        return EXIT_OK


@dataclass
class Stopper:
    """Set by SIGTERM/SIGINT (or a test) to end :func:`serve`."""

    event: asyncio.Event

    def install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_signal, sig)

    def remove_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)

    def _on_signal(self, sig: signal.Signals) -> None:
        logger.info("stopping", extra={"signal": sig.name})
        self.event.set()


async def serve(
    settings: Settings,
    parts: Part,
    *,
    worker_setups: WorkerSetups = no_consumers,
    stop: asyncio.Event | None = None,
) -> int:
    """Run ``parts`` until ``stop`` is set or a signal arrives; the exit code."""
    stopper = Stopper(stop if stop is not None else asyncio.Event())
    stopper.install_signal_handlers()
    try:
        async with contextlib.AsyncExitStack() as resources:
            try:
                return await _serve(settings, parts, worker_setups, stopper, resources)
            except SciCatError as exc:
                logger.error(
                    "start-up failed",
                    extra={"error": exc.message, "details": exc.details},
                )
                return EXIT_FAILED
            except OSError as exc:  # e.g. the port is taken
                logger.error("start-up failed", extra={"error": str(exc)})
                return EXIT_FAILED
    finally:
        stopper.remove_signal_handlers()
        logger.info("stopped", extra={"parts": _names(parts)})


async def _serve(
    settings: Settings,
    parts: Part,
    worker_setups: WorkerSetups,
    stopper: Stopper,
    resources: contextlib.AsyncExitStack,
) -> int:
    # One runtime (store, effects, services) shared by both parts.
    runtime = await Runtime.open(settings)
    resources.push_async_callback(runtime.close)
    store = runtime.store
    await seed_functional_accounts(store, settings)

    worker: Worker | None = None
    if Part.WORKER in parts:
        worker = create_worker(settings, worker_setups(settings, runtime))
        await worker.start()
        resources.push_async_callback(worker.stop)

    if Part.API in parts:
        probes: dict[str, HealthProbe] = {}
        if worker is not None:
            probes["rabbitmq"] = worker.status.health
        app = create_app(
            settings,
            store=store,
            authenticator=JwtAuthenticator(store, TokenCodec.from_settings(settings)),
            health_probes=probes,
            services=api_services(runtime),
        )
        runner = await start_api(app, settings)
        resources.push_async_callback(runner.cleanup)

    logger.info("started", extra={"parts": _names(parts)})
    if worker is not None and Part.API not in parts:
        # Worker alone: a topology the broker refuses ends the process.
        return await _until_stopped_or_failed(stopper, worker)
    await stopper.event.wait()
    return EXIT_OK


async def _until_stopped_or_failed(stopper: Stopper, worker: Worker) -> int:
    stopped = asyncio.create_task(stopper.event.wait())
    failed = asyncio.create_task(worker.wait_failed())
    done, pending = await asyncio.wait(
        (stopped, failed), return_when=asyncio.FIRST_COMPLETED
    )
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return EXIT_FAILED if failed in done else EXIT_OK


def api_services(runtime: Runtime) -> ApiServices:
    """The API's service container filled from the process runtime."""
    container = ApiServices()
    container.add(Services, runtime.services)
    container.add(Runtime, runtime)
    return container


def _names(parts: Part) -> list[str]:
    return [name for part, name in _SINGLE_PARTS if part in parts]


_SINGLE_PARTS = ((Part.API, "api"), (Part.WORKER, "worker"))
