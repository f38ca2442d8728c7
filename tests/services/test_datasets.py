"""Dataset create, read, update and delete on behalf of SciCat's test accounts."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import uuid

import pytest

from common.errors import (
    ConflictError,
    ForbiddenError,
    InvalidError,
    NotFoundError,
    PreconditionFailedError,
)
from common.services import AlreadyExistsError, ListQuery
from tests.services.conftest import raw_dataset

UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


# --- create ---------------------------------------------------------------------


async def test_v3_raw_create_stores_scicat_shape(env):
    stored = await env.services.datasets.create(env.ctx("user1"), raw_dataset())

    assert re.fullmatch(f"scicat_testing/{UUID}", stored["pid"])
    in_store = await env.store.collection("Dataset").find_one({"_id": stored["pid"]})
    assert in_store["_id"] == in_store["pid"] == stored["pid"]
    assert in_store["version"] == "3"
    assert in_store["__v"] == 0
    assert in_store["createdBy"] == in_store["updatedBy"] == "user1"
    assert in_store["createdAt"] == in_store["updatedAt"]
    assert in_store["classification"] == "IN=medium,AV=medium,CO=low"
    assert in_store["proposalIds"] == ["10.540/39281"]
    assert in_store["principalInvestigators"] == ["bertram.astor@your.site"]
    assert in_store["datasetName"] == "tiff/pid"
    assert in_store["sourceFolder"] == "/iramjet/tiff/pid"
    assert in_store["size"] == 0 and in_store["numberOfFiles"] == 0
    assert "temperature%2Emax" in in_store["scientificMetadata"]
    assert in_store["datasetlifecycle"]["archivable"] is True


async def test_v4_create_records_version_4(env):
    body = raw_dataset()
    for v3_only in ("principalInvestigator", "proposalId"):
        body.pop(v3_only)
    body.update(datasetName="run 1", owner="Bertram Astor", proposalIds=["p1"])
    stored = await env.services.datasets.create(env.ctx("user1", "4"), body)
    assert stored["version"] == "4"
    assert stored["proposalIds"] == ["p1"]


async def test_create_publishes_event_with_source_id_and_indexes(env):
    stored = await env.services.datasets.create(
        env.ctx("user1", source="msg-42"), raw_dataset()
    )
    [event] = env.events.events
    assert event.routing_key == "dataset.created"
    assert event.source_id == "msg-42"
    assert event.document["pid"] == stored["pid"]
    assert env.indexer.upserted == [stored["pid"]]


async def test_metadata_keys_rows_follow_top_level_keys(env):
    stored = await env.services.datasets.create(env.ctx("user1"), raw_dataset())
    rows = (
        await env.store.collection("MetadataKeys")
        .find({"sourceId": stored["pid"]})
        .to_list(None)
    )
    assert sorted(row["key"] for row in rows) == [
        "beamlineParameters",
        "detectorParameters",
        "temperature%2Emax",
    ]
    row = rows[0]
    assert row["_id"] == f"dataset_{stored['pid']}_{row['key']}"
    assert row["userGroups"] == ["group1", "group5"]
    assert row["sourceType"] == "dataset"
    assert row["createdBy"] == "system"


async def test_proposal_counts_datasets_created_and_deleted(env):
    proposals = env.store.collection("Proposal")
    await proposals.insert_one({"_id": "10.540/39281", "numberOfDatasets": 0})
    stored = await env.services.datasets.create(env.ctx("user1"), raw_dataset())
    assert (await proposals.find_one({}))["numberOfDatasets"] == 1
    await env.services.datasets.delete(env.ctx("archiveManager"), stored["pid"])
    assert (await proposals.find_one({}))["numberOfDatasets"] == 0


async def test_default_policy_once_per_new_owner_group(env):
    await env.services.datasets.create(env.ctx("user1"), raw_dataset())
    await env.services.datasets.create(env.ctx("user1"), raw_dataset())
    policies = await env.store.collection("Policy").find({}).to_list(None)
    assert len(policies) == 1
    policy = policies[0]
    assert policy["ownerGroup"] == "group1"
    assert policy["tapeRedundancy"] == "medium"
    assert policy["manager"] == ["bertram.astor@your.site"]
    assert policy["accessGroups"] == ["group5"]
    assert policy["autoArchive"] is False and policy["embargoPeriod"] == 3


async def test_default_policy_once_under_concurrent_creates(env):
    await asyncio.gather(
        *(
            env.services.datasets.create(env.ctx("user3"), raw_dataset(ownerGroup=g))
            for g in ["groupA"] * 8 + ["groupB"] * 8
        )
    )
    assert await env.count("Policy", {"ownerGroup": "groupA"}) == 1
    assert await env.count("Policy", {"ownerGroup": "groupB"}) == 1
    assert await env.count("Dataset") == 16


async def test_existing_policy_decides_the_availability(env):
    await env.store.collection("Policy").insert_one(
        {"_id": "p", "ownerGroup": "group1", "tapeRedundancy": "high"}
    )
    stored = await env.services.datasets.create(env.ctx("user1"), raw_dataset())
    assert stored["classification"] == "IN=medium,AV=high,CO=low"
    assert await env.count("Policy") == 1


async def test_forbidden_create_writes_nothing(env):
    with pytest.raises(ForbiddenError) as caught:
        # user1 may create only for its own group.
        await env.services.datasets.create(
            env.ctx("user1"), raw_dataset(ownerGroup="group2")
        )
    assert caught.value.message == "Unauthorized to create this dataset"
    for collection in ("Dataset", "Policy", "MetadataKeys"):
        assert await env.count(collection) == 0
    assert env.events.events == []


@pytest.mark.parametrize("username", ["user4", "anonymous"])
async def test_plain_and_anonymous_callers_cannot_create(env, username):
    with pytest.raises(ForbiddenError):
        await env.services.datasets.create(env.ctx(username), raw_dataset())


async def test_create_tier_may_not_send_a_pid_but_with_pid_tier_may(env):
    pid = f"scicat_testing/{uuid.uuid4()}"
    with pytest.raises(ForbiddenError):
        await env.services.datasets.create(env.ctx("user1"), raw_dataset(pid=pid))
    stored = await env.services.datasets.create(
        env.ctx("user2"), raw_dataset(pid=pid, ownerGroup="group2")
    )
    assert stored["_id"] == pid


async def test_invalid_body_is_reported_before_permission(env):
    body = raw_dataset(ownerGroup="group2")
    del body["contactEmail"]
    with pytest.raises(InvalidError) as caught:
        await env.services.datasets.create(env.ctx("user4"), body)
    # v3 dataset routes answer the stringified class-validator errors.
    errors = json.loads(caught.value.message)
    assert any(error["property"] == "contactEmail" for error in errors)
    assert caught.value.details


async def test_unknown_property_is_invalid_in_v4(env):
    body = raw_dataset(datasetName="x", bogus=1)
    body.pop("principalInvestigator")
    body.pop("proposalId")
    with pytest.raises(InvalidError) as caught:
        await env.services.datasets.create(env.ctx("user1", "4"), body)
    assert "property bogus should not exist" in caught.value.messages


async def test_pid_format_enforced_after_permission(make_env):
    env = make_env(
        DATASET_CREATION_VALIDATION_ENABLED="true",
        DATASET_CREATION_VALIDATION_REGEX=f"^scicat_testing/{UUID}$",
    )
    body = raw_dataset(pid="not-a-pid", ownerGroup="group2")
    with pytest.raises(InvalidError) as caught:
        await env.services.datasets.create(env.ctx("user2"), body)
    assert caught.value.message == "PID is not following required standards"
    # A caller who may not create at all gets 403 first (hard part 10).
    with pytest.raises(ForbiddenError):
        await env.services.datasets.create(env.ctx("user4"), body)
    ok = await env.services.datasets.create(
        env.ctx("user2"),
        raw_dataset(pid=f"scicat_testing/{uuid.uuid4()}", ownerGroup="group2"),
    )
    assert ok["pid"].startswith("scicat_testing/")


async def test_same_message_id_creates_one_dataset(env):
    ctx = env.ctx("user1", source="message-7")
    first = await env.services.datasets.create(ctx, raw_dataset(), id_seed="message-7")
    with pytest.raises(AlreadyExistsError) as caught:
        await env.services.datasets.create(ctx, raw_dataset(), id_seed="message-7")
    assert caught.value.existing_id == first["pid"]
    assert caught.value.existing["createdAt"] == first["createdAt"]
    assert caught.value.message == f"A dataset with pid {first['pid']} already exists!"
    assert re.fullmatch(f"scicat_testing/{UUID}", first["pid"])
    assert await env.count("Dataset") == 1
    assert env.events.keys() == ["dataset.created"]


async def test_explicit_duplicate_pid_is_a_conflict(env):
    pid = f"scicat_testing/{uuid.uuid4()}"
    body = raw_dataset(pid=pid, ownerGroup="group2")
    await env.services.datasets.create(env.ctx("user2"), body)
    with pytest.raises(ConflictError, match="already exists"):
        await env.services.datasets.create(env.ctx("user2"), body)


# --- reads ----------------------------------------------------------------------


async def test_get_distinguishes_missing_from_invisible(env):
    stored = await env.services.datasets.create(env.ctx("user1"), raw_dataset())
    with pytest.raises(NotFoundError) as missing:
        await env.services.datasets.get(env.ctx("user1"), "nope/1")
    assert missing.value.message == "dataset: nope/1 not found"
    with pytest.raises(ForbiddenError) as hidden:
        await env.services.datasets.get(env.ctx("user2"), stored["pid"])
    assert hidden.value.message == "Unauthorized access"
    with pytest.raises(ForbiddenError):
        await env.services.datasets.get(env.ctx("anonymous"), stored["pid"])
    assert (await env.services.datasets.get(env.ctx("admin"), stored["pid"]))[
        "pid"
    ] == stored["pid"]


async def test_published_dataset_is_readable_by_anonymous(env):
    stored = await env.services.datasets.create(
        env.ctx("user1"), raw_dataset(isPublished=True)
    )
    got = await env.services.datasets.get(env.ctx("anonymous"), stored["pid"])
    assert got["pid"] == stored["pid"]


async def test_list_and_count_apply_visibility_and_caller_filter(env):
    ds = env.services.datasets
    await ds.create(env.ctx("user1"), raw_dataset(description="a"))
    await ds.create(env.ctx("user1"), raw_dataset(description="b", isPublished=True))
    await ds.create(env.ctx("user2"), raw_dataset(ownerGroup="group2"))

    mine = await ds.find(env.ctx("user1"), ListQuery())
    assert len(mine) == 2
    assert await ds.count(env.ctx("user1"), {"description": "b"}) == 1
    assert await ds.count(env.ctx("anonymous"), {}) == 1
    assert await ds.count(env.ctx("admin"), {}) == 3
    page = await ds.find(
        env.ctx("admin"),
        ListQuery(
            where={"ownerGroup": "group1"},
            projection={"description": 1},
            sort=[("description", -1)],
            limit=1,
        ),
    )
    assert [doc["description"] for doc in page] == ["b"]
    assert "ownerGroup" not in page[0]


# --- updates --------------------------------------------------------------------


async def test_patch_sets_only_sent_fields_and_records_updater(env):
    stored = await env.services.datasets.create(env.ctx("user1"), raw_dataset())
    updated = await env.services.datasets.patch(
        env.ctx("admin", source="req-1"), stored["pid"], {"description": "new"}
    )
    assert updated["description"] == "new"
    assert updated["keywords"] == ["Cryo", "Calibration"]
    assert updated["updatedBy"] == "admin"
    assert updated["createdBy"] == "user1"
    assert updated["updatedAt"] > stored["updatedAt"]
    assert env.events.keys() == ["dataset.created", "dataset.updated"]
    assert env.events.events[-1].source_id == "req-1"


async def test_patch_permission_and_missing(env):
    stored = await env.services.datasets.create(env.ctx("user1"), raw_dataset())
    with pytest.raises(ForbiddenError) as caught:
        await env.services.datasets.patch(
            env.ctx("user2"), stored["pid"], {"description": "x"}
        )
    assert caught.value.message == "Unauthorized to update this dataset"
    with pytest.raises(NotFoundError):
        await env.services.datasets.patch(env.ctx("admin"), "nope", {"comment": "x"})
    with pytest.raises(InvalidError):
        await env.services.datasets.patch(
            env.ctx("user1"), stored["pid"], {"size": "big"}
        )


async def test_patch_rebuilds_metadata_keys(env):
    stored = await env.services.datasets.create(env.ctx("user1"), raw_dataset())
    await env.services.datasets.patch(
        env.ctx("user1"),
        stored["pid"],
        {"scientificMetadata": {"energy": {"value": 5, "unit": "keV"}}},
    )
    rows = await env.store.collection("MetadataKeys").find({}).to_list(None)
    assert [row["key"] for row in rows] == ["energy"]


async def test_partial_lifecycle_keeps_other_lifecycle_fields(env):
    stored = await env.services.datasets.create(env.ctx("user1"), raw_dataset())
    updated = await env.services.datasets.patch(
        env.ctx("user1"),
        stored["pid"],
        {"datasetlifecycle": {"archiveStatusMessage": "archived"}},
    )
    lifecycle = updated["datasetlifecycle"]
    assert lifecycle["archiveStatusMessage"] == "archived"
    assert lifecycle["archivable"] is True
    assert lifecycle["_id"] == stored["datasetlifecycle"]["_id"]


async def test_if_unmodified_since_rejects_stale_writes(env):
    stored = await env.services.datasets.create(env.ctx("user1"), raw_dataset())
    stale = stored["updatedAt"] - dt.timedelta(seconds=1)
    with pytest.raises(PreconditionFailedError):
        await env.services.datasets.patch(
            env.ctx("user1"), stored["pid"], {"comment": "x"}, unmodified_since=stale
        )
    fresh = stored["updatedAt"] + dt.timedelta(seconds=1)
    await env.services.datasets.patch(
        env.ctx("user1"), stored["pid"], {"comment": "x"}, unmodified_since=fresh
    )


async def test_merge_patch_removes_nulls_and_merges_objects(env):
    stored = await env.services.datasets.create(env.ctx("user1"), raw_dataset())
    updated = await env.services.datasets.patch(
        env.ctx("user1", "4"),
        stored["pid"],
        {
            "description": None,
            "scientificMetadata": {
                "detectorParameters": None,
                "temperature.max": None,
                "new.key": {"v": 1},
            },
        },
        merge=True,
    )
    assert "description" not in updated
    assert set(updated["scientificMetadata"]) == {"beamlineParameters", "new%2Ekey"}
    with pytest.raises(InvalidError):
        await env.services.datasets.patch(
            env.ctx("user1", "4"), stored["pid"], {"contactEmail": None}, merge=True
        )


async def test_put_replaces_but_keeps_identity_fields(env):
    stored = await env.services.datasets.create(
        env.ctx("user1"), raw_dataset(size=123, numberOfFiles=4)
    )
    body = raw_dataset(description="replaced")
    for key in ("type", "classification", "proposalId", "keywords", "size"):
        body.pop(key)
    replaced = await env.services.datasets.replace(
        env.ctx("admin"), stored["pid"], body
    )
    assert replaced["pid"] == replaced["_id"] == stored["pid"]
    assert replaced["createdBy"] == "user1"
    assert replaced["createdAt"] == stored["createdAt"]
    assert replaced["updatedBy"] == "admin"
    assert replaced["description"] == "replaced"
    assert "keywords" not in replaced
    assert replaced["type"] == "raw"
    # Sizes not sent are kept, not zeroed by the DTO's initialisers.
    assert (replaced["size"], replaced["numberOfFiles"]) == (123, 4)


async def test_v4_put_keeps_sizes_unless_sent(env):
    stored = await env.services.datasets.create(
        env.ctx("user1"), raw_dataset(size=50, numberOfFiles=2)
    )
    body = {
        key: stored[key]
        for key in ("ownerGroup", "contactEmail", "sourceFolder", "datasetName")
    }
    body["creationTime"] = "2026-01-01T00:00:00Z"
    kept = await env.services.datasets.replace(
        env.ctx("user1", "4"), stored["pid"], body
    )
    assert (kept["size"], kept["numberOfFiles"]) == (50, 2)
    sent = await env.services.datasets.replace(
        env.ctx("user1", "4"), stored["pid"], {**body, "size": 7}
    )
    assert sent["size"] == 7


# --- delete ---------------------------------------------------------------------


async def test_delete_needs_a_delete_group_and_cleans_up(env):
    stored = await env.services.datasets.create(env.ctx("user1"), raw_dataset())
    with pytest.raises(ForbiddenError):
        # Admins may delete only if also in DELETE_GROUPS (hard part 11).
        await env.services.datasets.delete(env.ctx("admin"), stored["pid"])
    removed = await env.services.datasets.delete(
        env.ctx("archiveManager", source="req-9"), stored["pid"]
    )
    assert removed["pid"] == stored["pid"]
    assert await env.count("Dataset") == 0
    assert await env.count("MetadataKeys") == 0
    assert env.indexer.deleted == [stored["pid"]]
    assert env.events.keys()[-1] == "dataset.deleted"
    with pytest.raises(NotFoundError):
        await env.services.datasets.delete(env.ctx("archiveManager"), stored["pid"])


async def test_merge_patch_of_an_object_holding_stored_dates(env):
    stored = await env.services.datasets.create(env.ctx("user1"), raw_dataset())
    updated = await env.services.datasets.patch(
        env.ctx("user1", "4"),
        stored["pid"],
        {"datasetlifecycle": {"archivable": False}},
        merge=True,
    )
    lifecycle = updated["datasetlifecycle"]
    before = stored["datasetlifecycle"]
    assert lifecycle["archivable"] is False
    assert lifecycle["dateOfDiskPurging"] == before["dateOfDiskPurging"]
    assert lifecycle["_id"] == before["_id"]
