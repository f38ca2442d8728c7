"""Migrations: up, status, down, up again; the record; the command line."""

from __future__ import annotations

import argparse

import pytest

from cli import migrate as migrate_cli
from migrations import runner


async def _index_names(store, collection):
    return set(await store.collection(collection).index_information())


async def test_up_status_down_up_round_trip(store_factory, store_settings):
    store = await store_factory(migrate=False)
    names = [m.name for m in runner.discover()]
    assert names[0] == "0001_initial_indexes"
    assert all(not s.applied for s in await runner.status(store))

    applied = await runner.up(store, store_settings)
    assert applied == names
    assert all(s.applied for s in await runner.status(store))
    assert "pid_1" in await _index_names(store, "Dataset")

    assert await runner.up(store, store_settings) == []  # idempotent

    reverted = await runner.down(store, store_settings)
    assert reverted == names[-1]
    assert not (await runner.status(store))[-1].applied
    if reverted == "0001_initial_indexes":
        assert await _index_names(store, "Dataset") == {"_id_"}

    assert await runner.up(store, store_settings) == [names[-1]]
    assert "pid_1" in await _index_names(store, "Dataset")


async def test_down_with_nothing_applied_does_nothing(store_factory, store_settings):
    store = await store_factory(migrate=False)
    assert await runner.down(store, store_settings) is None


async def test_down_keeps_indexes_that_existed_before_the_migration(
    store_factory, store_settings
):
    store = await store_factory(migrate=False)
    await store.collection("Dataset").create_index("pid", unique=True)

    await runner.up(store, store_settings)
    await runner.down(store, store_settings)

    assert "pid_1" in await _index_names(store, "Dataset")


async def test_a_failing_migration_is_not_recorded(store_factory, store_settings):
    store = await store_factory(migrate=False)

    async def broken(db):
        await db.collection("Thing").insert_one({"_id": 1})
        raise RuntimeError("boom")

    async def nothing(db):
        return None

    available = [runner.Migration("0001_broken", "fails", broken, nothing)]
    with pytest.raises(RuntimeError):
        await runner.up(store, store_settings, available)
    assert not (await runner.status(store, available))[0].applied


async def test_claim_ttl_follows_the_setting(store_factory, settings_factory):
    store = await store_factory(migrate=False)
    await runner.up(store, settings_factory(INGEST_IDEMPOTENCY_TTL_DAYS=2))

    info = await store.collection("IngestClaim").index_information()
    assert info["claimedAt_1"]["expireAfterSeconds"] == 2 * 86400


async def test_cli_up_status_down(store_settings, monkeypatch, capsys):
    parser = argparse.ArgumentParser()
    migrate_cli.register(parser.add_subparsers())
    assert parser.parse_args(["migrate", "status"]).handler is migrate_cli.handle

    up = await migrate_cli.run("up", store_settings)
    status = await migrate_cli.run("status", store_settings)
    again = await migrate_cli.run("up", store_settings)
    down = await migrate_cli.run("down", store_settings)

    assert up == ["applied 0001_initial_indexes"]
    assert status[0].startswith("applied  0001_initial_indexes")
    assert again == ["nothing to apply"]
    assert down == ["reverted 0001_initial_indexes"]


async def test_cli_reports_a_locked_store_and_exits_non_zero(
    store_settings, monkeypatch, capsys
):
    from common.store import EmbeddedStore

    holder = EmbeddedStore(store_settings.EMBEDDED_STORE_PATH)
    await holder.open()
    monkeypatch.setattr(migrate_cli, "load_settings", lambda: store_settings)
    monkeypatch.setattr(migrate_cli, "configure_logging", lambda *a: None)
    try:
        import asyncio

        code = await asyncio.to_thread(
            migrate_cli.handle, argparse.Namespace(action="up")
        )
    finally:
        await holder.close()

    assert code == 1
    assert "already open in another process" in capsys.readouterr().err


@pytest.mark.mongo
async def test_on_mongodb_existing_text_indexes_are_recognised(
    store_factory, store_settings
):
    store = await store_factory(migrate=False)
    await store.collection("Dataset").create_index([("$**", "text")])

    await runner.up(store, store_settings)
    record = await store.collection(runner.RECORD_COLLECTION).find_one({})

    assert ["Dataset", "$**_text"] not in record["record"]["created"]
    info = await store.collection("Dataset").index_information()
    assert ("_fts", "text") in [tuple(k) for k in info["$**_text"]["key"]]
