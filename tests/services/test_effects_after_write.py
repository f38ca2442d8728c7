"""Effects after a write: their failures are logged and never fail the write."""

from __future__ import annotations

import logging

from common.errors import IndexerUnavailableError
from common.services import Services
from tests.services.conftest import RecordingPublisher, raw_dataset


class BrokenIndexer:
    async def upsert(self, document):
        raise IndexerUnavailableError("search is down")

    async def delete(self, pid):
        raise IndexerUnavailableError("search is down")

    async def close(self):
        return None


class BrokenPublisher:
    async def publish(self, event):
        raise RuntimeError("broker exploded")

    async def close(self):
        return None


async def test_index_failure_keeps_the_write_and_the_event(env, caplog):
    events = RecordingPublisher()
    services = Services.build(
        env.store, env.settings, events=events, indexer=BrokenIndexer()
    )
    with caplog.at_level(logging.ERROR, logger="common.services.entity"):
        stored = await services.datasets.create(env.ctx("user1"), raw_dataset())
        await services.datasets.delete(env.ctx("archiveManager"), stored["pid"])
    assert events.keys() == ["dataset.created", "dataset.deleted"]
    assert [r.effect for r in caplog.records] == ["index", "index"]
    assert "search is down" in caplog.records[0].error


async def test_publisher_failure_keeps_the_write(env, caplog):
    services = Services.build(
        env.store, env.settings, events=BrokenPublisher(), indexer=env.indexer
    )
    with caplog.at_level(logging.ERROR, logger="common.services.entity"):
        stored = await services.datasets.create(env.ctx("user1"), raw_dataset())
    assert await env.count("Dataset", {"_id": stored["pid"]}) == 1
    assert env.indexer.upserted == [stored["pid"]]
    assert [r.effect for r in caplog.records] == ["event"]
