"""Service writes publish events on the REAL broker, through the runtime."""

from __future__ import annotations

import json

import pytest

from common.effects.events import SOURCE_ID_HEADER, AmqpEventPublisher
from common.runtime import Runtime
from common.services import ApiVersion, CallContext
from tests.fixtures.accounts import TEST_GROUP_SETTINGS
from tests.services.conftest import identity, raw_dataset

pytestmark = pytest.mark.rabbit


async def test_create_update_delete_events_carry_the_source_id(
    settings_factory, store, event_listener
):
    settings = settings_factory(**TEST_GROUP_SETTINGS, AMQP_EVENTS_ENABLED="yes")
    runtime = await Runtime.open(settings, store=store)
    assert isinstance(runtime.events, AmqpEventPublisher)
    datasets = runtime.services.datasets

    def ctx(user: str, source: str) -> CallContext:
        return CallContext(identity(user), source, ApiVersion.V3)

    async with event_listener as listener:
        created = await datasets.create(ctx("user1", "msg-1"), raw_dataset())
        await datasets.patch(ctx("user1", "req-2"), created["pid"], {"comment": "c"})
        await datasets.delete(ctx("archiveManager", "req-3"), created["pid"])
        received = [await listener.next() for _ in range(3)]
        await runtime.close()

    assert [m.routing_key for m in received] == [
        "dataset.created",
        "dataset.updated",
        "dataset.deleted",
    ]
    assert [m.headers[SOURCE_ID_HEADER] for m in received] == [
        "msg-1",
        "req-2",
        "req-3",
    ]
    bodies = [json.loads(m.body) for m in received]
    assert {body["pid"] for body in bodies} == {created["pid"]}
    assert bodies[1]["comment"] == "c"
    assert bodies[0]["createdAt"].endswith("Z")


async def test_runtime_without_events_uses_the_null_publisher(settings_factory, store):
    settings = settings_factory(AMQP_EVENTS_ENABLED="no")
    runtime = await Runtime.open(settings, store=store)
    assert type(runtime.events).__name__ == "NullEventPublisher"
    await runtime.close()
    # A store passed in stays open for its owner.
    assert await store.collection("Dataset").count_documents({}) == 0
