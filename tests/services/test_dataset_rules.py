"""Dataset rules beyond plain CRUD: lifecycle route, v4 value/unit guard, sharing."""

from __future__ import annotations

import pytest

from common.errors import ForbiddenError, InvalidError, NotFoundError
from common.services import AlreadyExistsError
from tests.services.conftest import raw_dataset


async def test_lifecycle_group_may_update_lifecycle_but_not_the_dataset(env):
    stored = await env.services.datasets.create(env.ctx("user1"), raw_dataset())
    lifecycle = await env.services.datasets.update_lifecycle(
        env.ctx("archiveManager"), stored["pid"], {"archivable": False}
    )
    assert lifecycle["archivable"] is False
    assert lifecycle["retrievable"] is False  # untouched default kept
    with pytest.raises(ForbiddenError):
        await env.services.datasets.patch(
            env.ctx("archiveManager"), stored["pid"], {"comment": "x"}
        )
    with pytest.raises(ForbiddenError):
        await env.services.datasets.update_lifecycle(
            env.ctx("user2"), stored["pid"], {"archivable": True}
        )


async def test_lifecycle_route_refuses_empty_body_and_missing_dataset(env):
    stored = await env.services.datasets.create(env.ctx("user1"), raw_dataset())
    with pytest.raises(InvalidError, match="dataset lifecycle DTO must not be empty"):
        await env.services.datasets.update_lifecycle(
            env.ctx("user1"), stored["pid"], {}
        )
    with pytest.raises(NotFoundError, match="dataset with pid nope not found"):
        await env.services.datasets.update_lifecycle(
            env.ctx("user1"), "nope", {"archivable": True}
        )


async def test_v4_patch_must_keep_value_and_unit_together(env):
    stored = await env.services.datasets.create(
        env.ctx("user1"),
        raw_dataset(scientificMetadata={"temp": {"value": 1, "unit": "K"}}),
    )
    with pytest.raises(InvalidError) as caught:
        await env.services.datasets.patch(
            env.ctx("user1", "4"),
            stored["pid"],
            {"scientificMetadata": {"temp": {"value": 2}}},
        )
    assert caught.value.message == (
        f"Original dataset {stored['pid']} contains both value and unit in "
        "scientificMetadata.temp. Please provide both when updating."
    )
    updated = await env.services.datasets.patch(
        env.ctx("user1", "4"),
        stored["pid"],
        {"scientificMetadata": {"temp": {"value": 2, "unit": "mK"}}},
    )
    assert updated["scientificMetadata"]["temp"]["unitSI"] == "K"


async def test_shared_with_grants_v3_reads_only(env):
    stored = await env.services.datasets.create(
        env.ctx("user1"), raw_dataset(sharedWith=["user2@your.site"])
    )
    got = await env.services.datasets.get(env.ctx("user2", "3"), stored["pid"])
    assert got["pid"] == stored["pid"]
    with pytest.raises(ForbiddenError):
        await env.services.datasets.get(env.ctx("user2", "4"), stored["pid"])
    assert await env.services.datasets.count(env.ctx("user2", "4"), {}) == 1


async def test_redelivery_rebuilds_missing_metadata_keys(env):
    ctx = env.ctx("user1")
    stored = await env.services.datasets.create(ctx, raw_dataset(), id_seed="m-5")
    await env.store.collection("MetadataKeys").delete_many({})
    with pytest.raises(AlreadyExistsError):
        await env.services.datasets.create(ctx, raw_dataset(), id_seed="m-5")
    assert await env.count("MetadataKeys", {"sourceId": stored["pid"]}) == 3
