"""``/api/v3/origdatablocks`` and ``/api/v4/origdatablocks`` (reference §3.5)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fixtures.scicat_db import CUSTOM_PID, RAW_PID

pytestmark = pytest.mark.asyncio

V3 = "/api/v3/origdatablocks"
V4 = "/api/v4/origdatablocks"
SMALL = "16fd2706-8baf-433b-82eb-8c7fada847da"  # RAW's one-file list
CALIBRATION = "a0c8b7f2-3e1d-4b5a-9c6e-7d8f9e0a1b2c"  # CUSTOM's list


@pytest.fixture
async def api(catalogue_api, scicat_db):  # type: ignore[no-untyped-def]
    return catalogue_api


def body(dataset_id: str = RAW_PID, size: int = 10, files: int = 1) -> dict[str, Any]:
    return {
        "datasetId": dataset_id,
        "size": size,
        "dataFileList": [
            {"path": f"x{n}", "size": size // files, "time": "2024-01-01T00:00:00Z"}
            for n in range(files)
        ],
    }


async def sizes(api: Any, pid: str) -> tuple[Any, Any]:
    found = await api.store.collection("Dataset").find_one({"_id": pid})
    return found["size"], found["numberOfFiles"]


async def get_json(api: Any, path: str, user: str = "anonymous", **params: Any) -> Any:
    query = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    response = await api.call("GET", path, user, params=query)
    return response.status, await response.json()


# --- v3 ---------------------------------------------------------------------------


async def test_v3_create_recomputes_and_refuses(api) -> None:
    response = await api.call("POST", V3, "user1", json=body(size=10, files=2))
    assert response.status == 201, await response.text()
    created = await response.json()
    assert created["id"] == created["_id"]
    assert created["ownerGroup"] == "group1"
    assert await sizes(api, RAW_PID) == (5368700000 + 8704 + 10, 5)

    response = await api.call("POST", V3, json=body())
    assert response.status == 403
    response = await api.call("POST", V3, "user1", json=body("nope"))
    assert response.status == 404
    assert (await response.json())["message"] == (
        "Dataset: nope not found for attaching an origdatablock"
    )
    # user1 owns nothing of the calibration dataset (group2).
    response = await api.call("POST", V3, "user1", json=body(CUSTOM_PID))
    assert response.status == 403
    assert (await response.json())["message"] == "Unauthorized access"
    response = await api.call("POST", V3, "user1", json={"datasetId": RAW_PID})
    assert response.status == 400


async def test_v3_is_valid(api) -> None:
    response = await api.call("POST", f"{V3}/isValid", "user1", json=body())
    assert response.status == 200
    assert await response.json() == {"valid": True, "errors": []}
    response = await api.call("POST", f"{V3}/isValid", "user1", json={"size": 1})
    answer = await response.json()
    assert answer["valid"] is False and answer["errors"]
    response = await api.call("POST", f"{V3}/isValid", "user1", json=body("nope"))
    assert response.status == 404


async def test_v3_list_fullquery_and_files(api) -> None:
    status, found = await get_json(
        api, V3, "user3", filter={"where": {"datasetId": RAW_PID}}
    )
    assert status == 200
    assert sorted(block["size"] for block in found) == [8704, 5368700000]
    assert all(block["id"] == block["_id"] for block in found)

    # user3 does not reach the calibration dataset's list.
    _, found = await get_json(api, V3, "user3")
    assert {block["datasetId"] for block in found} == {RAW_PID}
    _, found = await get_json(api, V3)
    assert found == []

    _, found = await get_json(
        api,
        f"{V3}/fullquery",
        "admin",
        fields={"datasetId": RAW_PID},
        limits={"limit": 1, "order": "size:asc"},
    )
    assert [block["_id"] for block in found] == [SMALL]

    status, rows = await get_json(api, f"{V3}/fullquery/files", "admin")
    assert status == 200
    assert len(rows) == 5  # 2 + 1 + 2 files
    assert all(row["datasetExist"] is True for row in rows)
    assert all(isinstance(row["dataFileList"], dict) for row in rows)

    await api.store.collection("Dataset").delete_one({"_id": CUSTOM_PID})
    _, rows = await get_json(
        api, f"{V3}/fullquery/files", "admin", fields={"datasetId": CUSTOM_PID}
    )
    assert [row["datasetExist"] for row in rows] == [False, False]


async def test_v3_fullfacet_counts(api) -> None:
    status, answer = await get_json(
        api, f"{V3}/fullfacet", "admin", facets=["datasetId"]
    )
    assert status == 200
    assert answer == [{"all": [{"totalSets": 3}]}]
    _, answer = await get_json(api, f"{V3}/fullfacet/files", "admin")
    assert answer == [{"all": [{"totalSets": 5}]}]
    _, answer = await get_json(api, f"{V3}/fullfacet/files", "user3")
    assert answer == [{"all": [{"totalSets": 3}]}]
    _, answer = await get_json(api, f"{V3}/fullfacet")
    assert answer == [{"all": []}]


async def test_v3_get_patch_delete(api) -> None:
    status, found = await get_json(api, f"{V3}/{SMALL}", "user3")
    assert status == 200 and found["id"] == SMALL
    status, found = await get_json(api, f"{V3}/{SMALL}", "user4")
    assert status == 403
    status, found = await get_json(api, f"{V3}/nope", "user1")
    assert status == 404

    response = await api.call(
        "PATCH",
        f"{V3}/{SMALL}",
        "user1",
        json={"size": 100},
        headers={"If-Unmodified-Since": "2000-01-01T00:00:00Z"},
    )
    assert response.status == 412
    response = await api.call("PATCH", f"{V3}/{SMALL}", "user1", json={"size": 100})
    assert response.status == 200
    assert await sizes(api, RAW_PID) == (5368700000 + 100, 3)

    response = await api.call("DELETE", f"{V3}/{SMALL}", "user1")
    assert response.status == 403
    response = await api.call("DELETE", f"{V3}/{SMALL}", "archiveManager")
    assert response.status == 200
    assert await sizes(api, RAW_PID) == (5368700000, 2)


# --- v4 ---------------------------------------------------------------------------


async def test_v4_create_needs_dataset_update_right(api) -> None:
    response = await api.call("POST", V4, "user1", json=body(size=7))
    assert response.status == 201, await response.text()
    assert (await response.json())["id"]
    assert (await sizes(api, RAW_PID))[0] == 5368700000 + 8704 + 7

    # user3 (privileged) may create file lists but not update group1's dataset.
    response = await api.call("POST", V4, "user3", json=body())
    assert response.status == 403

    response = await api.call("POST", f"{V4}/isValid", "user1", json={"size": 1})
    answer = await response.json()
    assert answer["valid"] is False and answer["reason"]


async def test_v4_list_files_get_include_and_filter_checks(api) -> None:
    status, found = await get_json(api, V4, "user3")
    assert status == 200
    assert sorted(block["_id"] for block in found) == sorted(
        [SMALL, "7c9e6679-7425-40de-944b-e07fc1f90ae7"]
    )
    assert "id" not in found[0]

    status, rows = await get_json(
        api, f"{V4}/files", "admin", filter={"where": {"datasetId": CUSTOM_PID}}
    )
    assert status == 200 and len(rows) == 2
    assert rows[0]["datasetExist"] is True

    status, answer = await get_json(api, V4, "admin", filter={"where": {"nonsense": 1}})
    assert status == 400
    assert (
        answer["message"]
        == "Property where.nonsense should not exist in the filter object"
    )

    status, found = await get_json(api, f"{V4}/{SMALL}", "user1", include="dataset")
    assert status == 200
    assert [d["pid"] for d in found["dataset"]] == [RAW_PID]

    response = await api.call("DELETE", f"{V4}/{SMALL}", "user1")
    assert response.status == 403


async def test_v4_public_family(api) -> None:
    await api.store.collection("OrigDatablock").update_one(
        {"_id": CALIBRATION}, {"$set": {"isPublished": True}}
    )
    status, found = await get_json(api, f"{V4}/public")
    assert status == 200
    assert [block["_id"] for block in found] == [CALIBRATION]
    _, rows = await get_json(api, f"{V4}/public/files")
    assert len(rows) == 2
    _, answer = await get_json(api, f"{V4}/public/fullfacet/files")
    assert answer == [{"all": [{"totalSets": 2}]}]
    _, found = await get_json(api, f"{V4}/public/{CALIBRATION}")
    assert found["_id"] == CALIBRATION
    response = await api.call("GET", f"{V4}/public/{SMALL}")
    assert response.status == 200
    assert await response.text() == ""


async def test_v4_patch_recomputes_and_checks(api) -> None:
    response = await api.call("PATCH", f"{V4}/{SMALL}", "user1", json={"size": 5})
    assert response.status == 200, await response.text()
    assert (await response.json())["id"] == SMALL
    assert (await sizes(api, RAW_PID))[0] == 5368700000 + 5

    # user3 reads the list through an access group but owns nothing.
    response = await api.call("PATCH", f"{V4}/{SMALL}", "user3", json={"size": 6})
    assert response.status == 403
    response = await api.call("PATCH", f"{V4}/{SMALL}", "user1", json={"nope": 6})
    assert response.status == 400
    response = await api.call("PATCH", f"{V4}/nope", "user1", json={"size": 6})
    assert response.status == 404
