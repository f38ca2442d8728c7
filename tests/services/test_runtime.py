"""The composition root: store, effects and services from settings."""

from __future__ import annotations

from common.effects.events import AmqpEventPublisher, NullEventPublisher
from common.effects.indexer import NullIndexer
from common.effects.mailer import LogMailer
from common.runtime import Runtime, event_publisher_for


async def test_runtime_opens_and_closes_its_own_store(settings_factory):
    settings = settings_factory(AMQP_EVENTS_ENABLED="no")
    runtime = await Runtime.open(settings)
    assert runtime.store.kind == "embedded"
    assert isinstance(runtime.events, NullEventPublisher)
    assert isinstance(runtime.indexer, NullIndexer)
    assert isinstance(runtime.mailer, LogMailer)
    await runtime.store.collection("Dataset").insert_one({"_id": "x"})
    await runtime.close()

    # Closing released the embedded store's lock: the folder opens again.
    again = await Runtime.open(settings)
    assert await again.store.collection("Dataset").count_documents({}) == 1
    await again.close()


def test_events_enabled_chooses_the_amqp_publisher(settings_factory):
    publisher = event_publisher_for(settings_factory(AMQP_EVENTS_ENABLED="yes"))
    assert isinstance(publisher, AmqpEventPublisher)
    assert isinstance(
        event_publisher_for(settings_factory(AMQP_EVENTS_ENABLED="no")),
        NullEventPublisher,
    )


async def test_runtime_loads_the_unit_registry_before_the_first_conversion(
    settings_factory,
):
    from common import units

    units._build_registry.cache_clear()
    runtime = await Runtime.open(settings_factory(AMQP_EVENTS_ENABLED="no"))
    try:
        assert units._build_registry.cache_info().currsize == 1
    finally:
        await runtime.close()
