"""Discover, apply and revert the numbered migrations, keeping a record in the store.

A migration is a module ``migrations/NNNN_<name>.py`` with a one-line
``INTENT`` and ``async def up(db)`` / ``async def down(db)``, where ``db`` is a
:class:`MigrationContext`. Applied migrations are recorded in the
``_migrations`` collection (``_id`` = module name) together with whatever the
migration noted in ``db.record`` (for example the indexes it created, so that
``down`` removes only those).
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import pkgutil
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, cast

import migrations
from common.errors import ConfigurationError, DuplicateKeyError
from common.settings import Settings
from common.store.interface import Collection, Store

logger = logging.getLogger(__name__)

RECORD_COLLECTION = "_migrations"
_NAME = re.compile(r"^\d{4}_[a-z0-9_]+$")


@dataclass
class MigrationContext:
    """What a migration works with: the store, the settings, and its own record."""

    store: Store
    settings: Settings
    record: dict[str, Any] = field(default_factory=dict)

    def collection(self, name: str) -> Collection:
        return self.store.collection(name)


@dataclass(frozen=True)
class Migration:
    name: str
    intent: str
    up: Callable[[MigrationContext], Awaitable[None]]
    down: Callable[[MigrationContext], Awaitable[None]]


@dataclass(frozen=True)
class MigrationStatus:
    name: str
    intent: str
    applied_at: dt.datetime | None

    @property
    def applied(self) -> bool:
        return self.applied_at is not None


def discover() -> list[Migration]:
    """Every migration module in the package, in number order."""
    found = []
    for module_info in pkgutil.iter_modules(migrations.__path__):
        if _NAME.match(module_info.name):
            module = importlib.import_module(f"migrations.{module_info.name}")
            found.append(_load(module_info.name, module))
    found.sort(key=lambda m: m.name)
    numbers = [m.name[:4] for m in found]
    if len(set(numbers)) != len(numbers):
        raise ConfigurationError("two migrations share a number", details=numbers)
    return found


def _load(name: str, module: ModuleType) -> Migration:
    for attribute in ("INTENT", "up", "down"):
        if not hasattr(module, attribute):
            raise ConfigurationError(f"migration {name} has no {attribute}")
    return Migration(
        name=name,
        intent=str(module.INTENT),
        up=cast(Callable[[MigrationContext], Awaitable[None]], module.up),
        down=cast(Callable[[MigrationContext], Awaitable[None]], module.down),
    )


async def _applied(store: Store) -> dict[str, dict[str, Any]]:
    records = await store.collection(RECORD_COLLECTION).find({}).to_list(None)
    return {str(r["_id"]): r for r in records}


async def status(
    store: Store, available: list[Migration] | None = None
) -> list[MigrationStatus]:
    """Every known migration with the time it was applied (None when pending)."""
    applied = await _applied(store)
    return [
        MigrationStatus(m.name, m.intent, applied.get(m.name, {}).get("appliedAt"))
        for m in (available if available is not None else discover())
    ]


async def up(
    store: Store, settings: Settings, available: list[Migration] | None = None
) -> list[str]:
    """Apply every pending migration in order; returns the names applied."""
    applied = await _applied(store)
    done: list[str] = []
    for migration in available if available is not None else discover():
        if migration.name in applied:
            continue
        context = MigrationContext(store, settings)
        logger.info("migration up", extra={"migration": migration.name})
        await migration.up(context)
        record = {
            "_id": migration.name,
            "intent": migration.intent,
            "appliedAt": dt.datetime.now(dt.UTC),
            "record": context.record,
        }
        try:
            await store.collection(RECORD_COLLECTION).insert_one(record)
        except DuplicateKeyError:
            # Another process applied it meanwhile; migrations are idempotent.
            logger.info(
                "migration applied elsewhere", extra={"migration": migration.name}
            )
            continue
        done.append(migration.name)
    return done


async def down(
    store: Store, settings: Settings, available: list[Migration] | None = None
) -> str | None:
    """Revert the most recently applied migration; returns its name, or None."""
    applied = await _applied(store)
    known = {m.name: m for m in (available if available is not None else discover())}
    if not applied:
        return None
    last = max(applied)
    migration = known.get(last)
    if migration is None:
        raise ConfigurationError(
            f"applied migration {last} is not in this code base; cannot revert it"
        )
    context = MigrationContext(store, settings, dict(applied[last].get("record", {})))
    logger.info("migration down", extra={"migration": last})
    await migration.down(context)
    await store.collection(RECORD_COLLECTION).delete_one({"_id": last})
    return last
