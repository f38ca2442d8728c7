"""``/api/v4/attachments`` (reference §3.7)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fixtures.scicat_db import RAW_PID

pytestmark = pytest.mark.asyncio

URL = "/api/v4/attachments"
ON_RAW = "3b241101-e2bb-4255-8caf-4136c566a962"  # group1, access group2/3
LOGO = "5e8f2a1c-9b7d-4c3e-a6f0-1d2e3f4a5b6c"  # group1, published


@pytest.fixture
async def api(catalogue_api, scicat_db):  # type: ignore[no-untyped-def]
    return catalogue_api


def body(**extra: Any) -> dict[str, Any]:
    return {
        "caption": "plot",
        "thumbnail": "data:image/png;base64,AA==",
        "ownerGroup": "group1",
        "isPublished": False,
        "relationships": [{"targetId": RAW_PID, "targetType": "dataset"}],
        **extra,
    }


async def listed(api: Any, user: str = "anonymous", **filter_: Any) -> Any:
    params = {"filter": json.dumps(filter_)} if filter_ else {}
    response = await api.call("GET", URL, user, params=params)
    return response.status, await response.json()


async def test_list_visibility_and_filters(api) -> None:
    status, found = await listed(api, "user3")
    assert status == 200
    # Newest first; user3 reaches one by access group, the other is published.
    assert [item["_id"] for item in found] == [ON_RAW, LOGO]
    assert "id" not in found[0]
    _, found = await listed(api)
    assert [item["_id"] for item in found] == [LOGO]
    _, found = await listed(api, "user4")
    assert [item["_id"] for item in found] == [LOGO]

    _, found = await listed(
        api,
        "admin",
        where={"relationships": {"$elemMatch": {"targetType": "proposal"}}},
    )
    assert [item["_id"] for item in found] == [LOGO]
    status, answer = await listed(api, "admin", where={"secret": 1})
    assert status == 400
    assert (
        answer["message"]
        == "Property where.secret should not exist in the filter object"
    )

    response = await api.call("GET", f"{URL}/public")
    assert [item["_id"] for item in await response.json()] == [LOGO]


async def test_create_gate_and_get(api) -> None:
    response = await api.call("POST", URL, "user1", json=body())
    assert response.status == 403
    assert (await response.json())["message"] == "Forbidden resource"
    response = await api.call("POST", URL, "admin", json=body())
    assert response.status == 201, await response.text()
    created = await response.json()
    assert created["id"] == created["aid"] == created["_id"]
    assert created["relationships"][0]["relationType"] == "is attached to"

    response = await api.call("GET", f"{URL}/{created['aid']}", "user1")
    assert response.status == 200
    response = await api.call("GET", f"{URL}/{created['aid']}", "user4")
    assert response.status == 403
    response = await api.call("GET", f"{URL}/nope", "user1")
    assert response.status == 404
    assert (await response.json())["message"] == "Attachment: nope not found"

    response = await api.call("POST", URL, "admin", json=body(caption=None))
    assert response.status == 400


async def test_is_valid(api) -> None:
    response = await api.call("POST", f"{URL}/isValid", "admin", json=body())
    assert await response.json() == {"valid": True, "reason": []}
    response = await api.call(
        "POST", f"{URL}/isValid", "admin", json=body(caption=None, extra=1)
    )
    answer = await response.json()
    assert answer["valid"] is False
    assert "property extra should not exist" in answer["reason"]
    response = await api.call("POST", f"{URL}/isValid", "user1", json=body())
    assert response.status == 403


async def test_patch_merge_put_and_delete(api) -> None:
    url = f"{URL}/{ON_RAW}"
    response = await api.call("PATCH", url, "user1", json={"caption": "x"})
    assert response.status == 403  # the update gate is for admins

    response = await api.call(
        "PATCH",
        url,
        "admin",
        json={"caption": "x"},
        headers={"If-Unmodified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"},
    )
    assert response.status == 412

    response = await api.call(
        "PATCH",
        url,
        "admin",
        data=json.dumps({"caption": "merged", "thumbnail": None}),
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert response.status == 200, await response.text()
    patched = await response.json()
    assert patched["caption"] == "merged" and "thumbnail" not in patched

    response = await api.call(
        "PUT",
        url,
        "admin",
        json={"caption": "replaced", "ownerGroup": "group1", "isPublished": True},
    )
    assert response.status == 200, await response.text()
    replaced = await response.json()
    assert replaced["aid"] == ON_RAW and replaced["isPublished"] is True
    assert replaced["createdBy"] == "user1"

    response = await api.call("DELETE", url, "user1")
    assert response.status == 403
    response = await api.call("DELETE", url, "archiveManager")
    assert response.status == 200
    assert (await response.json())["caption"] == "replaced"
    response = await api.call("GET", url, "admin")
    assert response.status == 404
