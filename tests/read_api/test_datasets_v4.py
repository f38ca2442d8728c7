"""``/api/v4/datasets``: the generic routes and the dataset's own (reference §3.4)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.asyncio


def v4_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "owner": "Bertram Astor",
        "ownerEmail": "bertram.astor@your.site",
        "contactEmail": "bertram.astor@your.site",
        "sourceFolder": "/iramjet/tiff/pid/",
        "creationTime": "2011-09-14T06:08:25.000Z",
        "datasetName": "v4 dataset",
        "type": "raw",
        "ownerGroup": "group1",
        "accessGroups": ["group5"],
        "isPublished": False,
        "scientificMetadata": {"temperature.max": {"value": 300, "unit": "K"}},
    }
    body.update(overrides)
    return body


async def create(api, user: str = "user1", **overrides: Any) -> dict[str, Any]:
    response = await api.call(
        "POST", "/api/v4/datasets", user, json=v4_body(**overrides)
    )
    assert response.status == 201, await response.text()
    return await response.json()


async def test_create_then_get_list_count_patch_delete(catalogue_api) -> None:
    api = catalogue_api
    created = await create(api)
    pid = created["pid"]
    assert created["id"] == pid

    response = await api.call(
        "GET", f"/api/v4/datasets/{pid.replace('/', '%2F')}", "user1"
    )
    assert response.status == 200
    assert (await response.json())["pid"] == pid

    response = await api.call("GET", "/api/v4/datasets", "user1")
    assert [d["pid"] for d in await response.json()] == [pid]

    response = await api.call("GET", "/api/v4/datasets/count", "user1")
    assert await response.json() == {"count": 1}
