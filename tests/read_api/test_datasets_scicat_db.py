"""A database written by SciCat itself, served through the dataset routes as the
original serves it: v3 keys decoded, the virtual ``id`` where SciCat adds it,
``__v``, dates as ``...000Z``, sub-document ids as strings, unknown fields kept."""

from __future__ import annotations

import json

import pytest

from tests.fixtures.scicat_db import CUSTOM_PID, DERIVED_PID, RAW_PID
from tests.read_api.dataset_bodies import enc


@pytest.fixture
async def api(scicat_db, catalogue_api):  # type: ignore[no-untyped-def]
    return catalogue_api


async def get_json(api, path: str, user: str = "admin", **kwargs) -> object:
    response = await api.call("GET", path, user, **kwargs)
    assert response.status == 200, await response.text()
    return await response.json()


async def test_v3_get_renders_a_stored_raw_dataset(api) -> None:
    item = await get_json(api, f"/api/v3/datasets/{enc(RAW_PID)}", "user1")

    assert item["id"] == item["_id"] == item["pid"] == RAW_PID
    assert item["__v"] == 0
    assert item["creationTime"] == "2024-03-14T09:26:53.589Z"
    assert item["updatedAt"] == "2024-03-15T16:02:44.907Z"
    assert item["datasetlifecycle"]["_id"] == "65f2c25d8b1e4a0012a3b4c1"
    assert item["datasetlifecycle"]["dateOfDiskPurging"] == "2024-03-01T08:00:00.000Z"
    assert item["techniques"][0]["_id"] == "65f2c25d8b1e4a0012a3b4c2"
    assert item["size"] == 5368709120
    # The v3 singular fields, synthesised from the stored arrays.
    assert item["proposalId"] == "20170266"
    assert item["sampleId"] == "sample-fe2o3-01"
    assert item["instrumentId"] == "20.500.12269/instrument-p02"
    assert item["principalInvestigator"] == "Charles Babbage"
    metadata = item["scientificMetadata"]
    assert set(metadata) >= {"temperature.max", "detector distance", "sample"}
    assert metadata["wavelength"]["unit"] == "Å"
    assert metadata["sample"]["mass"]["unitSI"] == "kg"
    assert item["history"] == []


async def test_v3_get_rebuilds_history_and_keeps_unknown_fields(api) -> None:
    item = await get_json(api, f"/api/v3/datasets/{enc(DERIVED_PID)}")

    assert item["legacyLoopbackField"] == "kept from a v3 database"
    assert item["__v"] == 2
    assert "R-factor" in item["scientificMetadata"]
    assert item["history"] == [
        {
            "updatedAt": "2024-04-02T07:30:00.260Z",
            "updatedBy": "admin",
            "_id": "",
            "isPublished": {"previousValue": False, "currentValue": True},
        }
    ]


async def test_v3_custom_type_keys_decoded(api) -> None:
    item = await get_json(api, f"/api/v3/datasets/{enc(CUSTOM_PID)}")

    assert item["type"] == "calibration"
    assert set(item["scientificMetadata"]) == {
        "concentration (mol/L)",
        "gain",
        "pixel.size",
    }
    assert item["datasetlifecycle"]["archiveReturnMessage"] == {
        "message": "archived to tape pool B"
    }


async def test_v3_list_per_caller(api) -> None:
    anonymous = await get_json(api, "/api/v3/datasets", "anonymous")
    user1 = await get_json(api, "/api/v3/datasets", "user1")
    user5 = await get_json(api, "/api/v3/datasets", "user5.1")

    assert [d["pid"] for d in anonymous] == [DERIVED_PID]
    assert {d["pid"] for d in user1} == {RAW_PID, DERIVED_PID}
    assert {d["pid"] for d in user5} == {DERIVED_PID, CUSTOM_PID}
    assert all(d["id"] == d["pid"] for d in user1)


async def test_v4_reads_answer_stored_keys_without_virtual_id(api) -> None:
    item = await get_json(api, f"/api/v4/datasets/{enc(RAW_PID)}")
    listed = await get_json(
        api,
        "/api/v4/datasets",
        params={"filter": json.dumps({"where": {"pid": CUSTOM_PID}})},
    )

    assert "id" not in item and item["__v"] == 0
    assert "temperature%2Emax" in item["scientificMetadata"]
    assert "proposalId" not in item
    assert [d["pid"] for d in listed] == [CUSTOM_PID]
    assert "pixel%2Esize" in listed[0]["scientificMetadata"]


async def test_v4_default_order_is_newest_first(api) -> None:
    listed = await get_json(api, "/api/v4/datasets")

    assert [d["pid"] for d in listed] == [DERIVED_PID, RAW_PID, CUSTOM_PID]


async def test_v4_include_relations_of_a_stored_dataset(api) -> None:
    item = await get_json(
        api,
        f"/api/v4/datasets/{enc(RAW_PID)}",
        "user1",
        params={"include": "all"},
    )

    assert len(item["origdatablocks"]) == 2
    assert item["attachments"][0]["caption"] == "Diffraction pattern, frame 1"
    assert [p["proposalId"] for p in item["proposals"]] == ["20170266"]
    assert [s["sampleId"] for s in item["samples"]] == ["sample-fe2o3-01"]
    assert [i["pid"] for i in item["instruments"]] == ["20.500.12269/instrument-p02"]
    file_entry = item["origdatablocks"][0]["dataFileList"][0]
    assert file_entry["time"].endswith("Z") and isinstance(file_entry["_id"], str)


async def test_public_family_serves_the_published_one(api) -> None:
    listed = await get_json(api, "/api/v4/datasets/public", "anonymous")
    count = await get_json(api, "/api/v4/datasets/public/count", "anonymous")

    assert [d["pid"] for d in listed] == [DERIVED_PID]
    assert count == {"count": 1}


async def test_patching_a_stored_dataset_keeps_what_it_does_not_touch(api) -> None:
    response = await api.call(
        "PATCH",
        f"/api/v3/datasets/{enc(DERIVED_PID)}",
        "admin",
        json={"description": "re-refined"},
    )

    assert response.status == 200, await response.text()
    answer = await response.json()
    assert answer["description"] == "re-refined"
    assert answer["legacyLoopbackField"] == "kept from a v3 database"
    stored = await api.store.collection("Dataset").find_one({"_id": DERIVED_PID})
    assert "R%2Dfactor" in stored["scientificMetadata"]
    assert stored["jobParameters"] == {
        "refinement": {"cycles": 20, "background": "chebyshev"}
    }
    assert stored["createdBy"] == "user1" and stored["updatedBy"] == "admin"


async def test_thumbnail_and_lifecycle_of_stored_datasets(api) -> None:
    thumbnail = await get_json(
        api, f"/api/v3/datasets/{enc(RAW_PID)}/thumbnail", "user1"
    )
    lifecycle = await get_json(
        api, f"/api/v4/datasets/{enc(CUSTOM_PID)}/datasetlifecycle", "user5.1"
    )

    assert thumbnail["thumbnail"].startswith("data:image/png;base64,")
    assert lifecycle["storageLocation"] == "tape-pool-b"
    assert lifecycle["_id"] == "65d4b3e28f9a1c0011b2c3d4"


async def test_counts_per_caller(api) -> None:
    assert await get_json(api, "/api/v3/datasets/count", "anonymous") == {"count": 1}
    assert await get_json(api, "/api/v3/datasets/count", "user1") == {"count": 2}
    assert await get_json(api, "/api/v4/datasets/count", "admin") == {"count": 3}
