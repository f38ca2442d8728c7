"""Attachments: v4 create with permission on the body, v3 dataset sub-route."""

from __future__ import annotations

import pytest

from common.errors import ForbiddenError, NotFoundError
from tests.services.conftest import raw_dataset


def attachment(**extra):
    return {"caption": "a plot", "ownerGroup": "group1", "isPublished": False, **extra}


async def test_v4_create_stores_aid_as_id(env):
    stored = await env.services.attachments.create(
        env.ctx("admin", "4"),
        attachment(
            relationships=[{"targetId": "p/1", "targetType": "dataset"}],
            thumbnail="data:image/png;base64,AAAA",
        ),
    )
    assert stored["_id"] == stored["aid"]
    assert stored["relationships"] == [
        {"targetId": "p/1", "targetType": "dataset", "relationType": "is attached to"}
    ]
    assert env.events.keys() == ["attachment.created"]


async def test_v4_create_for_a_foreign_group_is_forbidden(env):
    with pytest.raises(ForbiddenError):
        await env.services.attachments.create(
            env.ctx("user1", "4"), attachment(ownerGroup="group2")
        )
    assert await env.count("Attachment") == 0


async def test_dataset_sub_route_takes_dataset_owner_group(env):
    dataset = await env.services.datasets.create(env.ctx("user1"), raw_dataset())
    stored = await env.services.attachments.create_for_dataset(
        env.ctx("user1"), dataset["pid"], {"caption": "x", "ownerGroup": "zzz"}
    )
    assert stored["ownerGroup"] == "group1"
    assert stored["relationships"][0]["targetId"] == dataset["pid"]
    with pytest.raises(NotFoundError):
        await env.services.attachments.create_for_dataset(
            env.ctx("user1"), "nope", {"caption": "x", "ownerGroup": "g"}
        )
    with pytest.raises(ForbiddenError):
        await env.services.attachments.create_for_dataset(
            env.ctx("user4"), dataset["pid"], {"caption": "x", "ownerGroup": "g"}
        )


async def test_patch_replace_delete(env):
    stored = await env.services.attachments.create(env.ctx("admin", "4"), attachment())
    aid = stored["aid"]
    patched = await env.services.attachments.patch(
        env.ctx("user1", "4"), aid, {"caption": "better"}
    )
    assert patched["caption"] == "better"
    replaced = await env.services.attachments.replace(
        env.ctx("user1", "4"), aid, attachment(caption="third")
    )
    assert replaced["aid"] == aid and replaced["caption"] == "third"
    with pytest.raises(ForbiddenError):
        await env.services.attachments.delete(env.ctx("user2", "4"), aid)
    await env.services.attachments.delete(env.ctx("user1", "4"), aid)
    with pytest.raises(NotFoundError, match=f"Attachment: {aid} not found"):
        await env.services.attachments.get(env.ctx("admin", "4"), aid)
