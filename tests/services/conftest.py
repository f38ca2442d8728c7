"""Services on the ``store`` fixture, with SciCat's test groups and recorded events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from common.effects.events import Event
from common.effects.indexer import NullIndexer
from common.identity.principal import ANONYMOUS, Identity
from common.services import ApiVersion, CallContext, Services
from tests.fixtures.accounts import TEST_GROUP_SETTINGS
from tests.read_api.dataset_bodies import raw_v3


class RecordingPublisher:
    """Keeps every published event, in order."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    async def publish(self, event: Event) -> None:
        self.events.append(event)

    async def close(self) -> None:
        return None

    def keys(self) -> list[str]:
        return [event.routing_key for event in self.events]


class RecordingIndexer(NullIndexer):
    def __init__(self) -> None:
        self.upserted: list[str] = []
        self.deleted: list[str] = []

    async def upsert(self, document: Any) -> None:
        self.upserted.append(document["pid"])

    async def delete(self, pid: str) -> None:
        self.deleted.append(pid)


# SciCat's functional accounts with the groups their roles give them (§5.5).
USERS = {
    "admin": ("admin", "globalaccess"),
    "adminIngestor": ("adminingestor",),
    "archiveManager": ("archivemanager",),
    "datasetIngestor": ("datasetingestor",),
    "user1": ("group1",),
    "user2": ("group2",),
    "user3": ("group3",),
    "user4": ("group4",),
}


def identity(username: str) -> Identity:
    if username == "anonymous":
        return ANONYMOUS
    return Identity(
        username=username,
        user_id=f"id-{username}",
        email=f"{username.lower()}@your.site",
        groups=USERS[username],
        auth_strategy="local",
    )


@dataclass
class Env:
    services: Services
    store: Any
    events: RecordingPublisher
    indexer: RecordingIndexer
    settings: Any
    seq: list[int] = field(default_factory=lambda: [0])

    def ctx(
        self, username: str = "user1", version: str = "3", source: str | None = None
    ) -> CallContext:
        return CallContext(identity(username), source, ApiVersion(version))

    async def count(self, collection: str, where: dict[str, Any] | None = None) -> int:
        return int(await self.store.collection(collection).count_documents(where or {}))


@pytest.fixture
def service_settings(settings_factory):
    def make(**overrides: Any):
        values = {**TEST_GROUP_SETTINGS, "PID_PREFIX": "scicat_testing"}
        values.update(overrides)
        return settings_factory(**values)

    return make


@pytest.fixture
def make_env(store, service_settings):
    def make(**overrides: Any) -> Env:
        settings = service_settings(**overrides)
        events = RecordingPublisher()
        indexer = RecordingIndexer()
        services = Services.build(store, settings, events=events, indexer=indexer)
        return Env(services, store, events, indexer, settings)

    return make


@pytest.fixture
def env(make_env) -> Env:
    return make_env()


def raw_dataset(**overrides: Any) -> dict[str, Any]:
    """A v3 raw dataset body as SciCat's tests post it (three metadata keys)."""
    body = raw_v3()
    body["scientificMetadata"] = {
        "beamlineParameters": {"Ring current": {"v": 0.402, "u": "A"}},
        "detectorParameters": {"Objective": 20},
        "temperature.max": {"value": 300, "unit": "K"},
    }
    body.update(overrides)
    return body


def file_list(dataset_id: str | None, sizes: list[int], **overrides: Any) -> dict:
    body: dict[str, Any] = {
        "size": sum(sizes),
        "dataFileList": [
            {"path": f"file{n}.h5", "size": size, "time": "2026-01-02T03:04:05.000Z"}
            for n, size in enumerate(sizes)
        ],
    }
    if dataset_id is not None:
        body["datasetId"] = dataset_id
    body.update(overrides)
    return body
