"""Datablocks: packed sizes recomputed, archiveId unique, ownership rules."""

from __future__ import annotations

import pytest

from common.errors import ConflictError, DependencyMissingError
from common.services import AlreadyExistsError
from tests.services.conftest import raw_dataset


def datablock(dataset_id, archive_id, packed, files=2, **extra):
    body = {
        "archiveId": archive_id,
        "size": packed * 2,
        "packedSize": packed,
        "version": "1.0",
        "dataFileList": [
            {"path": f"f{n}", "size": 1, "time": "2026-01-02T03:04:05Z"}
            for n in range(files)
        ],
        **extra,
    }
    if dataset_id is not None:
        body["datasetId"] = dataset_id
    return body


@pytest.fixture
async def dataset(env):
    return await env.services.datasets.create(env.ctx("user1"), raw_dataset())


async def packed(env, pid):
    doc = await env.store.collection("Dataset").find_one({"_id": pid})
    return doc["packedSize"], doc["numberOfFilesArchived"]


async def test_packed_sizes_recomputed_on_create_update_delete(env, dataset):
    pid = dataset["pid"]
    one = await env.services.datablocks.create(
        env.ctx("user1"), datablock(pid, "a1", 100, files=3)
    )
    await env.services.datablocks.create(env.ctx("user1"), datablock(pid, "a2", 50))
    assert await packed(env, pid) == (150, 5)

    await env.services.datablocks.patch(env.ctx("user1"), one["_id"], {"packedSize": 1})
    assert await packed(env, pid) == (51, 5)

    await env.services.datablocks.delete(env.ctx("archiveManager"), one["_id"])
    assert await packed(env, pid) == (50, 2)


async def test_duplicate_archive_id_is_a_conflict(env, dataset):
    pid = dataset["pid"]
    await env.services.datablocks.create(env.ctx("user1"), datablock(pid, "a1", 1))
    with pytest.raises(ConflictError) as caught:
        await env.services.datablocks.create(env.ctx("user1"), datablock(pid, "a1", 9))
    assert not isinstance(caught.value, AlreadyExistsError)
    assert caught.value.message == (
        "A datablock with this this unique key already exists!"
    )
    assert await packed(env, pid) == (1, 2)


async def test_redelivered_datablock_is_already_there(env, dataset):
    body = datablock(dataset["pid"], "a9", 7)
    await env.services.datablocks.create(env.ctx("user1"), body, id_seed="m")
    with pytest.raises(AlreadyExistsError):
        await env.services.datablocks.create(env.ctx("user1"), body, id_seed="m")
    assert await packed(env, dataset["pid"]) == (7, 2)


async def test_ownership_from_body_else_from_dataset(env, dataset):
    pid = dataset["pid"]
    sent = await env.services.datablocks.create(
        env.ctx("user1"), datablock(pid, "b1", 1, ownerGroup="archive")
    )
    assert sent["ownerGroup"] == "archive"
    assert sent["accessGroups"] == ["group5"]
    via_dataset = await env.services.datablocks.create(
        env.ctx("user1"), datablock(None, "b2", 1), dataset_id=pid
    )
    assert via_dataset["ownerGroup"] == "group1"


async def test_missing_dataset(env):
    with pytest.raises(DependencyMissingError):
        await env.services.datablocks.create(env.ctx("user1"), datablock("x", "c", 1))
