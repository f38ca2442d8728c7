"""``/api/v3/datablocks`` (reference §3.6)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fixtures.scicat_db import CUSTOM_PID, RAW_PID

pytestmark = pytest.mark.asyncio

URL = "/api/v3/datablocks"
STORED = "e2b1c9d8-7f6a-4e5d-8c3b-2a1f0e9d8c7b"  # CUSTOM's datablock, 70000000


@pytest.fixture
async def api(catalogue_api, scicat_db):  # type: ignore[no-untyped-def]
    return catalogue_api


def body(archive_id: str, dataset_id: str = RAW_PID, **extra: Any) -> dict[str, Any]:
    return {
        "datasetId": dataset_id,
        "archiveId": archive_id,
        "size": 10,
        "packedSize": 5,
        "version": "1",
        "dataFileList": [{"path": "a", "size": 10, "time": "2024-01-01T00:00:00Z"}],
        **extra,
    }


async def packed(api: Any, pid: str) -> tuple[Any, Any]:
    found = await api.store.collection("Dataset").find_one({"_id": pid})
    return found["packedSize"], found["numberOfFilesArchived"]


async def test_create_ownership_sizes_and_refusals(api) -> None:
    response = await api.call("POST", URL, "user1", json=body("t/1"))
    assert response.status == 201, await response.text()
    created = await response.json()
    assert created["ownerGroup"] == "group1" and created["id"] == created["_id"]
    response = await api.call(
        "POST", URL, "user1", json=body("t/2", ownerGroup="group1", accessGroups=[])
    )
    assert (await response.json())["accessGroups"] == []
    assert await packed(api, RAW_PID) == (10, 2)

    response = await api.call("POST", URL, "user1", json=body("t/1"))
    assert response.status == 409
    assert (await response.json())["message"] == (
        "A datablock with this this unique key already exists!"
    )
    response = await api.call("POST", URL, json=body("t/3"))
    assert response.status == 403
    assert (await response.json())["message"] == "Forbidden resource"
    # user4 passes the gate but is in no creating group.
    response = await api.call("POST", URL, "user4", json=body("t/3"))
    assert response.status == 403
    response = await api.call("POST", URL, "user1", json={"archiveId": "x"})
    assert response.status == 400


async def test_list_count_and_get_by_the_named_id(api) -> None:
    response = await api.call("POST", URL, "user1", json=body("t/1"))
    mine = (await response.json())["_id"]

    # user2 owns the calibration set and is an access group of the raw one.
    response = await api.call("GET", URL, "user2")
    assert sorted(block["_id"] for block in await response.json()) == sorted(
        [STORED, mine]
    )
    response = await api.call("GET", URL, "user1")
    assert [block["_id"] for block in await response.json()] == [mine]
    response = await api.call(
        "GET", URL, "admin", params={"filter": json.dumps({"order": "archiveId:asc"})}
    )
    assert response.status == 200
    response = await api.call("GET", URL)
    assert response.status == 403

    response = await api.call(
        "GET",
        f"{URL}/count",
        "admin",
        params={"filter": json.dumps({"where": {"datasetId": RAW_PID}})},
    )
    assert await response.json() == {"count": 1}
    response = await api.call(
        "GET",
        f"{URL}/count",
        "admin",
        params={"where": json.dumps({"where": {"datasetId": CUSTOM_PID}})},
    )
    assert await response.json() == {"count": 1}

    # The datablock named in the path, not the collection's first one.
    response = await api.call("GET", f"{URL}/{mine}", "user1")
    assert response.status == 200
    assert (await response.json())["archiveId"] == "t/1"
    response = await api.call("GET", f"{URL}/{STORED}", "user1")
    assert response.status == 403
    response = await api.call("GET", f"{URL}/nope", "user1")
    assert response.status == 404


async def test_patch_and_delete(api) -> None:
    response = await api.call(
        "PATCH", f"{URL}/{STORED}", "user2", json={"packedSize": 7}
    )
    assert response.status == 200, await response.text()
    assert await packed(api, CUSTOM_PID) == (7, 2)

    # SciCat's update rule admits accessGroups members (group5).
    response = await api.call(
        "PATCH", f"{URL}/{STORED}", "user5.1", json={"packedSize": 8}
    )
    assert response.status == 200
    # A refusal stays a refusal (SciCat turns it into a 500).
    response = await api.call("PATCH", f"{URL}/{STORED}", "user4", json={"size": 1})
    assert response.status == 403
    response = await api.call("PATCH", f"{URL}/{STORED}", "user2", json={"size": "x"})
    assert response.status == 400

    response = await api.call("DELETE", f"{URL}/{STORED}", "user2")
    assert response.status == 403
    response = await api.call("DELETE", f"{URL}/{STORED}", "archiveManager")
    assert response.status == 200
    assert (await response.json())["_id"] == STORED
    assert await packed(api, CUSTOM_PID) == (0, 0)
