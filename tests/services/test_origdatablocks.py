"""File lists: ownership from the dataset, sizes recomputed, never incremented."""

from __future__ import annotations

import asyncio

import pytest
from bson import ObjectId

from common.errors import DependencyMissingError, ForbiddenError, NotFoundError
from common.services import AlreadyExistsError
from tests.services.conftest import file_list, raw_dataset


@pytest.fixture
async def dataset(env):
    return await env.services.datasets.create(
        env.ctx("user1"), raw_dataset(accessGroups=["group5"], instrumentGroup="ig")
    )


async def sizes(env, pid):
    doc = await env.store.collection("Dataset").find_one({"_id": pid})
    return doc["size"], doc["numberOfFiles"]


async def test_file_list_copies_ownership_and_sets_sizes(env, dataset):
    odb = await env.services.origdatablocks.create(
        env.ctx("user1"), file_list(dataset["pid"], [10, 20], ownerGroup="other")
    )
    assert odb["datasetId"] == dataset["pid"]
    assert odb["ownerGroup"] == "group1"
    assert odb["accessGroups"] == ["group5"]
    assert odb["instrumentGroup"] == "ig"
    assert all(isinstance(f["_id"], ObjectId) for f in odb["dataFileList"])
    assert odb["__v"] == 0 and odb["createdBy"] == "user1"
    assert await sizes(env, dataset["pid"]) == (30, 2)


async def test_sizes_sum_over_every_file_list(env, dataset):
    for n in range(12):
        await env.services.origdatablocks.create(
            env.ctx("user1"), file_list(dataset["pid"], [n, 1])
        )
    # No cap at 10 or 100 file lists: every one counts.
    assert await sizes(env, dataset["pid"]) == (sum(range(12)) + 12, 24)


async def test_same_file_list_twice_leaves_sizes_unchanged(env, dataset):
    ctx = env.ctx("user1", source="m-1")
    body = file_list(dataset["pid"], [5, 6, 7])
    first = await env.services.origdatablocks.create(ctx, body, id_seed="m-1")
    with pytest.raises(AlreadyExistsError) as caught:
        await env.services.origdatablocks.create(ctx, body, id_seed="m-1")
    assert caught.value.existing_id == first["_id"]
    assert await env.count("OrigDatablock") == 1
    assert await sizes(env, dataset["pid"]) == (18, 3)


async def test_redelivery_repairs_sizes_left_stale(env, dataset):
    ctx = env.ctx("user1")
    body = file_list(dataset["pid"], [4])
    await env.services.origdatablocks.create(ctx, body, id_seed="m-2")
    # As if the first attempt had stopped before writing the sizes.
    await env.store.collection("Dataset").update_one(
        {"_id": dataset["pid"]}, {"$set": {"size": 0, "numberOfFiles": 0}}
    )
    with pytest.raises(AlreadyExistsError):
        await env.services.origdatablocks.create(ctx, body, id_seed="m-2")
    assert await sizes(env, dataset["pid"]) == (4, 1)


async def test_delete_and_patch_recompute_sizes(env, dataset):
    ds_ctx = env.ctx("user1")
    keep = await env.services.origdatablocks.create(
        ds_ctx, file_list(dataset["pid"], [1, 2])
    )
    drop = await env.services.origdatablocks.create(
        ds_ctx, file_list(dataset["pid"], [100])
    )
    assert await sizes(env, dataset["pid"]) == (103, 3)

    await env.services.origdatablocks.delete(env.ctx("archiveManager"), drop["_id"])
    assert await sizes(env, dataset["pid"]) == (3, 2)

    await env.services.origdatablocks.patch(
        ds_ctx, keep["_id"], file_list(None, [7, 7, 7])
    )
    assert await sizes(env, dataset["pid"]) == (21, 3)


async def test_size_changes_are_dataset_updates_with_events(env, dataset):
    await env.services.origdatablocks.create(
        env.ctx("user1", source="m-3"), file_list(dataset["pid"], [1])
    )
    assert env.events.keys() == [
        "dataset.created",
        "dataset.updated",
        "origdatablock.created",
    ]
    assert env.events.events[-1].source_id == "m-3"


async def test_missing_dataset_is_a_dependency_error(env):
    with pytest.raises(DependencyMissingError) as caught:
        await env.services.origdatablocks.create(
            env.ctx("user1"), file_list("scicat_testing/nope", [1])
        )
    assert caught.value.retryable is True
    assert caught.value.message == (
        "Dataset: scicat_testing/nope not found for attaching an origdatablock"
    )
    assert await env.count("OrigDatablock") == 0


async def test_plain_user_may_not_create_or_delete(env, dataset):
    with pytest.raises(ForbiddenError):
        await env.services.origdatablocks.create(
            env.ctx("user4"), file_list(dataset["pid"], [1])
        )
    odb = await env.services.origdatablocks.create(
        env.ctx("user1"), file_list(dataset["pid"], [1])
    )
    with pytest.raises(ForbiddenError):
        await env.services.origdatablocks.delete(env.ctx("user1"), odb["_id"])
    assert await env.count("OrigDatablock") == 1


async def test_v4_create_also_needs_dataset_update_right(env, dataset):
    # user3 (privileged tier) may create any file list but update only its own
    # group's datasets; v4 asks for both.
    with pytest.raises(ForbiddenError):
        await env.services.origdatablocks.create(
            env.ctx("user3", "4"), file_list(dataset["pid"], [1])
        )
    await env.services.origdatablocks.create(
        env.ctx("user3", "3"), file_list(dataset["pid"], [1])
    )


async def test_dataset_sub_route_create_and_delete_all(env, dataset):
    pid = dataset["pid"]
    body = file_list(None, [2, 3])
    await env.services.origdatablocks.create(env.ctx("user1"), body, dataset_id=pid)
    await env.services.origdatablocks.create(env.ctx("user1"), body, dataset_id=pid)
    assert await sizes(env, pid) == (10, 4)
    with pytest.raises(ForbiddenError):
        await env.services.origdatablocks.delete_all(env.ctx("user1"), pid)
    assert (
        await env.services.origdatablocks.delete_all(env.ctx("archiveManager"), pid)
        == 2
    )
    assert await sizes(env, pid) == (0, 0)
    with pytest.raises(NotFoundError):
        await env.services.origdatablocks.delete_all(env.ctx("archiveManager"), "x")


async def test_get_missing_and_invisible(env, dataset):
    odb = await env.services.origdatablocks.create(
        env.ctx("user1"), file_list(dataset["pid"], [1])
    )
    with pytest.raises(NotFoundError, match="origDatablock: nope not found"):
        await env.services.origdatablocks.get(env.ctx("user1"), "nope")
    with pytest.raises(ForbiddenError):
        await env.services.origdatablocks.get(env.ctx("user2"), odb["_id"])
    # group5 is in the dataset's accessGroups and so in the file list's.
    assert await env.services.origdatablocks.count(env.ctx("user1"), {}) == 1
    assert await env.services.origdatablocks.count(env.ctx("user2"), {}) == 0


async def test_concurrent_file_lists_end_with_exact_sizes(env, dataset):
    await asyncio.gather(
        *(
            env.services.origdatablocks.create(
                env.ctx("user1"), file_list(dataset["pid"], [n, 1, 1])
            )
            for n in range(30)
        )
    )
    assert await sizes(env, dataset["pid"]) == (sum(range(30)) + 60, 90)


async def test_sizes_converge_after_a_stale_concurrent_write(env, dataset, monkeypatch):
    datasets = env.services.datasets
    real_apply = datasets.apply_update
    stale_writes = []

    async def apply_then_overwrite(ctx, stored, to_set, *args, **kwargs):
        updated = await real_apply(ctx, stored, to_set, *args, **kwargs)
        if not stale_writes:
            # Another process storing the sums it computed before our insert.
            stale_writes.append(1)
            await env.store.collection("Dataset").update_one(
                {"_id": dataset["pid"]}, {"$set": {"size": 0, "numberOfFiles": 0}}
            )
        return updated

    monkeypatch.setattr(datasets, "apply_update", apply_then_overwrite)
    await env.services.origdatablocks.create(
        env.ctx("user1"), file_list(dataset["pid"], [8, 9])
    )
    assert stale_writes == [1]
    assert await sizes(env, dataset["pid"]) == (17, 2)
    assert datasets._size_locks._locks == {}


async def test_group_and_scan_sums_agree(env, dataset):
    from common.services.sizes import FILE_SIZES, summed_by_group, summed_by_scan

    for sizes_ in ([1, 2], [3], [4, 5, 6]):
        await env.services.origdatablocks.create(
            env.ctx("user1"), file_list(dataset["pid"], sizes_)
        )
    by_group = await summed_by_group(env.store, FILE_SIZES, dataset["pid"])
    by_scan = await summed_by_scan(env.store, FILE_SIZES, dataset["pid"])
    assert by_group == by_scan == {"size": 21, "numberOfFiles": 6}
    empty = await summed_by_group(env.store, FILE_SIZES, "none")
    assert empty == await summed_by_scan(env.store, FILE_SIZES, "none")
