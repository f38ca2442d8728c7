"""History rows per TRACKABLES (substring semantics) and TRACKABLE_STRATEGY."""

from __future__ import annotations

import datetime as dt

import pytest

from common.services.history import delta, is_tracked
from tests.services.conftest import file_list, raw_dataset


def test_trackables_match_by_substring():
    assert is_tracked("Attachment,Datablock", "Datablock")
    assert is_tracked("OrigDatablock", "Datablock")  # SciCat's substring quirk
    assert not is_tracked("Attachment,Datablock", "Dataset")
    assert not is_tracked("", "Dataset")


def test_delta_keeps_only_changed_paths():
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    before = {
        "_id": "x",
        "__v": 0,
        "a": 1,
        "b": {"c": 1, "d": [1, 2]},
        "e": when,
        "gone": "x",
    }
    after = {
        "_id": "x",
        "__v": 1,
        "a": 1,
        "b": {"c": 2, "d": [1, 2]},
        "e": when,
        "new": True,
    }
    assert delta(before, after) == (
        {"b": {"c": 1}, "gone": "x", "new": None},
        {"b": {"c": 2}, "gone": None, "new": True},
    )


async def history(env):
    return await env.store.collection("History").find({}).to_list(None)


async def test_no_rows_for_untracked_collections(make_env):
    env = make_env(TRACKABLES="Attachment,Datablock")
    stored = await env.services.datasets.create(env.ctx("user1"), raw_dataset())
    await env.services.datasets.patch(env.ctx("user1"), stored["pid"], {"comment": "c"})
    await env.services.origdatablocks.create(
        env.ctx("user1"), file_list(stored["pid"], [1])
    )
    assert await history(env) == []


async def test_delta_rows_for_tracked_dataset_updates_and_delete(make_env):
    env = make_env(TRACKABLES="Dataset", TRACKABLE_STRATEGY="delta")
    stored = await env.services.datasets.create(env.ctx("user1"), raw_dataset())
    await env.services.datasets.patch(env.ctx("user1"), stored["pid"], {"comment": "c"})
    [row] = await history(env)
    assert row["subsystem"] == "Dataset"
    assert row["documentId"] == stored["pid"]
    assert row["operation"] == "update"
    assert row["user"] == "user1"
    assert row["before"] == {"comment": None, "updatedAt": stored["updatedAt"]}
    assert row["after"]["comment"] == "c"
    assert set(row["after"]) == {"comment", "updatedAt"}

    await env.services.datasets.delete(env.ctx("archiveManager"), stored["pid"])
    rows = await history(env)
    assert [r["operation"] for r in rows] == ["update", "delete"]
    assert rows[1]["before"]["pid"] == stored["pid"]
    assert rows[1]["after"] is None


async def test_document_strategy_keeps_whole_documents(make_env):
    env = make_env(TRACKABLES="Dataset", TRACKABLE_STRATEGY="document")
    stored = await env.services.datasets.create(env.ctx("user1"), raw_dataset())
    await env.services.datasets.patch(env.ctx("admin"), stored["pid"], {"comment": "c"})
    [row] = await history(env)
    assert row["before"]["datasetName"] == stored["datasetName"]
    assert "comment" not in row["before"]
    assert row["after"]["comment"] == "c"
    assert row["after"]["updatedBy"] == "admin"


async def test_size_recomputation_is_tracked_as_a_dataset_update(make_env):
    env = make_env(TRACKABLES="Dataset", TRACKABLE_STRATEGY="delta")
    stored = await env.services.datasets.create(env.ctx("user1"), raw_dataset())
    await env.services.origdatablocks.create(
        env.ctx("user1"), file_list(stored["pid"], [3])
    )
    [row] = await history(env)
    assert row["after"]["size"] == 3 and row["after"]["numberOfFiles"] == 1


@pytest.mark.parametrize("trackables", ["Datablock", "OrigDatablock"])
async def test_datablock_rows_with_substring_trackables(make_env, trackables):
    env = make_env(TRACKABLES=trackables, TRACKABLE_STRATEGY="delta")
    stored = await env.services.datasets.create(env.ctx("user1"), raw_dataset())
    block = await env.services.datablocks.create(
        env.ctx("user1"),
        {
            "datasetId": stored["pid"],
            "archiveId": "a",
            "size": 1,
            "packedSize": 1,
            "version": "1",
            "dataFileList": [{"path": "p", "size": 1, "time": "2026-01-01T00:00:00Z"}],
        },
    )
    await env.services.datablocks.patch(env.ctx("user1"), block["_id"], {"size": 2})
    rows = await history(env)
    assert [r["subsystem"] for r in rows] == ["Datablock"]
