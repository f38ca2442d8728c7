"""v3 dataset sub-routes: file lists, datablocks and attachments (reference §3.3)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.fixtures.scicat_db import CUSTOM_PID, DERIVED_PID, RAW_PID

pytestmark = pytest.mark.asyncio

RAW = f"/api/v3/datasets/{quote(RAW_PID, safe='')}"
CUSTOM = f"/api/v3/datasets/{quote(CUSTOM_PID, safe='')}"
DERIVED = f"/api/v3/datasets/{quote(DERIVED_PID, safe='')}"


@pytest.fixture
async def api(catalogue_api, scicat_db):  # type: ignore[no-untyped-def]
    return catalogue_api


def file_list(size: int = 100, files: int = 2) -> dict[str, Any]:
    return {
        "size": size,
        "chkAlg": "sha1",
        "dataFileList": [
            {"path": f"f{n}.h5", "size": size // files, "time": "2024-03-14T10:00:00Z"}
            for n in range(files)
        ],
    }


def datablock(archive_id: str = "tape/0001", packed: int = 40) -> dict[str, Any]:
    return {
        "archiveId": archive_id,
        "size": 100,
        "packedSize": packed,
        "version": "1",
        "dataFileList": [{"path": "a.tar", "size": 40, "time": "2024-03-14T10:00:00Z"}],
    }


async def dataset(api: Any, pid: str) -> dict[str, Any]:
    found = await api.store.collection("Dataset").find_one({"_id": pid})
    assert found is not None
    return found  # type: ignore[no-any-return]


async def message(response: Any) -> Any:
    return (await response.json())["message"]


# --- file lists -------------------------------------------------------------------


async def test_create_file_list_copies_ownership_and_recomputes_sizes(api) -> None:
    response = await api.call(
        "POST", f"{RAW}/origdatablocks", "user1", json=file_list(1000, 4)
    )
    assert response.status == 201, await response.text()
    created = await response.json()
    assert created["datasetId"] == RAW_PID
    assert created["ownerGroup"] == "group1"
    assert created["accessGroups"] == ["group2", "group3"]
    assert created["id"] == created["_id"]

    stored = await dataset(api, RAW_PID)
    # Sums over all file lists (the two stored ones and this one), not the
    # stored 5368709120 plus 1000.
    assert stored["size"] == 5368700000 + 8704 + 1000
    assert stored["numberOfFiles"] == 2 + 1 + 4


async def test_create_file_list_refusals(api) -> None:
    url = f"{RAW}/origdatablocks"
    response = await api.call("POST", url, json=file_list())
    assert response.status == 403
    assert await message(response) == "Forbidden resource"

    # user4 is in no create group: the gate refuses.
    response = await api.call("POST", url, "user4", json=file_list())
    assert response.status == 403

    response = await api.call(
        "POST", "/api/v3/datasets/nope/origdatablocks", "user1", json=file_list()
    )
    assert response.status == 404
    assert await message(response) == "dataset: nope not found"

    response = await api.call("POST", url, "user1", json={"size": 1})
    assert response.status == 400

    response = await api.call(
        "POST", url, "user1", json={**file_list(), "datasetId": "other"}
    )
    assert response.status == 400


async def test_is_valid(api) -> None:
    url = f"{RAW}/origdatablocks/isValid"
    response = await api.call("POST", url, "user1", json=file_list())
    assert response.status == 200
    assert await response.json() == {"valid": True, "errors": []}

    response = await api.call("POST", url, "user1", json={"size": "big"})
    assert response.status == 200
    answer = await response.json()
    assert answer["valid"] is False
    assert {error["property"] for error in answer["errors"]} >= {"size", "dataFileList"}


async def test_list_and_count_file_lists_by_access(api) -> None:
    response = await api.call("GET", f"{RAW}/origdatablocks", "user3")
    assert response.status == 200
    found = await response.json()
    assert sorted(block["size"] for block in found) == [8704, 5368700000]

    response = await api.call("GET", f"{RAW}/origdatablocks/count", "user3")
    assert await response.json() == {"count": 2}

    # Neither owner nor in the access groups: the dataset decides.
    response = await api.call("GET", f"{RAW}/origdatablocks", "user4")
    assert response.status == 403
    assert await message(response) == "Unauthorized access"

    # Anonymous callers pass the gate but see only published datasets' lists.
    response = await api.call("GET", f"{RAW}/origdatablocks")
    assert response.status == 403
    response = await api.call("GET", f"{DERIVED}/origdatablocks/count")
    assert response.status == 200
    assert await response.json() == {"count": 0}


async def test_patch_file_list_recomputes_sizes(api) -> None:
    url = f"{RAW}/origdatablocks/16fd2706-8baf-433b-82eb-8c7fada847da"
    response = await api.call("PATCH", url, "user1", json={"size": 9000})
    assert response.status == 200, await response.text()
    assert (await response.json())["size"] == 9000
    assert (await dataset(api, RAW_PID))["size"] == 5368700000 + 9000

    # A file list of another dataset is not found under this one.
    response = await api.call(
        "PATCH",
        f"{RAW}/origdatablocks/a0c8b7f2-3e1d-4b5a-9c6e-7d8f9e0a1b2c",
        "user1",
        json={"size": 1},
    )
    assert response.status == 404
    assert (
        await message(response)
        == "origDatablock: a0c8b7f2-3e1d-4b5a-9c6e-7d8f9e0a1b2c not found"
    )

    # user3 may read but not update (not the owner group).
    response = await api.call("PATCH", url, "user3", json={"size": 1})
    assert response.status == 403

    response = await api.call("PATCH", url, "user1", json={"size": "x"})
    assert response.status == 400


async def test_delete_file_lists(api) -> None:
    one = f"{RAW}/origdatablocks/16fd2706-8baf-433b-82eb-8c7fada847da"
    response = await api.call("DELETE", one, "user1")
    assert response.status == 403  # only delete groups

    response = await api.call("DELETE", one, "archiveManager")
    assert response.status == 200
    assert (await response.json())["_id"] == "16fd2706-8baf-433b-82eb-8c7fada847da"
    stored = await dataset(api, RAW_PID)
    assert (stored["size"], stored["numberOfFiles"]) == (5368700000, 2)

    response = await api.call("DELETE", one, "archiveManager")
    assert response.status == 404

    response = await api.call("DELETE", f"{RAW}/origdatablocks", "archiveManager")
    assert response.status == 200
    assert await response.json() == {"count": 1}
    stored = await dataset(api, RAW_PID)
    assert (stored["size"], stored["numberOfFiles"]) == (0, 0)


# --- datablocks -------------------------------------------------------------------


async def test_datablocks_create_list_patch_delete(api) -> None:
    url = f"{CUSTOM}/datablocks"
    response = await api.call("POST", url, "user2", json=datablock("tape/x", 40))
    assert response.status == 201, await response.text()
    created = await response.json()
    assert created["ownerGroup"] == "group2"
    stored = await dataset(api, CUSTOM_PID)
    # The stored datablock of the fixture counts as well.
    fixture = await api.store.collection("Datablock").find_one(
        {"_id": "e2b1c9d8-7f6a-4e5d-8c3b-2a1f0e9d8c7b"}
    )
    assert stored["packedSize"] == fixture["packedSize"] + 40
    assert stored["numberOfFilesArchived"] == len(fixture["dataFileList"]) + 1

    response = await api.call("POST", url, "user2", json=datablock("tape/x", 1))
    assert response.status == 409

    response = await api.call("GET", f"{url}/count", "user2")
    assert await response.json() == {"count": 2}
    response = await api.call("GET", url, "user5.1")
    assert response.status == 200  # group5 is an access group
    assert len(await response.json()) == 2

    response = await api.call(
        "PATCH", f"{url}/{created['_id']}", "user2", json={"packedSize": 50}
    )
    assert response.status == 200
    assert (await dataset(api, CUSTOM_PID))["packedSize"] == fixture["packedSize"] + 50

    response = await api.call("DELETE", f"{url}/{created['_id']}", "archiveManager")
    assert response.status == 200
    assert await response.text() == ""
    assert (await dataset(api, CUSTOM_PID))["packedSize"] == fixture["packedSize"]

    response = await api.call("DELETE", url, "archiveManager")
    assert await response.json() == {"count": 1}
    stored = await dataset(api, CUSTOM_PID)
    assert (stored["packedSize"], stored["numberOfFilesArchived"]) == (0, 0)


# --- attachments ------------------------------------------------------------------


async def attach(api: Any, caption: str, user: str = "user1") -> dict[str, Any]:
    body = {
        "caption": caption,
        "thumbnail": "data:image/png;base64,AA==",
        "ownerGroup": "x",
    }
    response = await api.call("POST", f"{RAW}/attachments", user, json=body)
    assert response.status == 201, await response.text()
    return await response.json()  # type: ignore[no-any-return]


async def test_attachments_v3_shape_and_listing(api) -> None:
    created = await attach(api, "first")
    assert created["datasetId"] == RAW_PID
    assert created["ownerGroup"] == "group1"  # the dataset's, not the body's
    assert created["id"] and "relationships" not in created and "aid" not in created

    response = await api.call("GET", f"{RAW}/attachments", "user3")
    assert response.status == 200
    captions = [item["caption"] for item in await response.json()]
    # Newest first; the fixture's attachment of this dataset is older.
    assert captions[0] == "first" and len(captions) == 2

    response = await api.call("GET", f"{RAW}/attachments/count", "user3")
    assert await response.json() == {"count": 2}

    response = await api.call("GET", f"{RAW}/attachments", "user4")
    assert response.status == 403


async def test_attachment_put_and_delete_act_on_the_named_one(api) -> None:
    first = await attach(api, "first")
    second = await attach(api, "second")

    response = await api.call(
        "PUT", f"{RAW}/attachments/{second['id']}", "user1", json={"caption": "new"}
    )
    assert response.status == 200, await response.text()
    assert (await response.json())["caption"] == "new"
    stored = await api.store.collection("Attachment").find_one({"_id": first["id"]})
    assert stored["caption"] == "first"

    # An attachment of a proposal is not one of this dataset's.
    response = await api.call(
        "PUT",
        f"{RAW}/attachments/5e8f2a1c-9b7d-4c3e-a6f0-1d2e3f4a5b6c",
        "user1",
        json={"caption": "x"},
    )
    assert response.status == 404

    response = await api.call(
        "PUT", f"{RAW}/attachments/{first['id']}", "user3", json={"caption": "x"}
    )
    assert response.status == 403

    response = await api.call("DELETE", f"{RAW}/attachments/{first['id']}", "user1")
    assert response.status == 200
    assert (await response.json())["caption"] == "first"
    assert (
        await api.store.collection("Attachment").find_one({"_id": first["id"]}) is None
    )

    response = await api.call("DELETE", f"{RAW}/attachments", "user1")
    assert await response.json() == {"count": 2}
    response = await api.call("GET", f"{RAW}/attachments/count", "user1")
    assert await response.json() == {"count": 0}


async def test_attachment_create_refusals(api) -> None:
    response = await api.call(
        "POST", f"{RAW}/attachments", json={"caption": "x", "ownerGroup": "g"}
    )
    assert response.status == 403
    assert await message(response) == "Forbidden resource"

    # user2 may create attachments only on datasets its group owns.
    response = await api.call(
        "POST", f"{RAW}/attachments", "user2", json={"caption": "x", "ownerGroup": "g"}
    )
    assert response.status == 403
    assert await message(response) == "Unauthorized access"

    response = await api.call("POST", f"{RAW}/attachments", "user1", json={"x": 1})
    assert response.status == 400
