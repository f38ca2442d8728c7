"""Dataset fullquery, fullfacet and metadataKeys over SciCat's stored documents
(reference §3.3, §3.4, §4.2-4.4)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fixtures.scicat_db import CUSTOM_PID, DERIVED_PID, RAW_PID

pytestmark = pytest.mark.asyncio


async def get(api: Any, path: str, user: str = "anonymous", **params: Any) -> Any:
    query = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    response = await api.call("GET", path, user, params=query)
    return response.status, await response.json()


@pytest.fixture
async def api(catalogue_api, scicat_db):  # type: ignore[no-untyped-def]
    return catalogue_api


def pids(documents: list[dict[str, Any]]) -> list[str]:
    return sorted(document["pid"] for document in documents)


# --- fullquery --------------------------------------------------------------------


async def test_fullquery_visibility_per_caller(api) -> None:
    status, found = await get(api, "/api/v3/datasets/fullquery", "admin")
    assert status == 200
    assert pids(found) == sorted([RAW_PID, DERIVED_PID, CUSTOM_PID])

    # Anonymous callers get published datasets only.
    _, found = await get(api, "/api/v3/datasets/fullquery")
    assert pids(found) == [DERIVED_PID]

    # user3 (group3) reaches the raw dataset through accessGroups only; SciCat's
    # userGroups condition does not add published datasets.
    _, found = await get(api, "/api/v3/datasets/fullquery", "user3")
    assert pids(found) == [RAW_PID]

    # Naming a group the caller is not in shows nothing more.
    _, found = await get(
        api, "/api/v3/datasets/fullquery", "user3", fields={"userGroups": ["group2"]}
    )
    assert found == []


async def test_fullquery_v3_shape_and_text(api) -> None:
    status, found = await get(
        api, "/api/v3/datasets/fullquery", "admin", fields={"text": "hematite"}
    )
    assert status == 200
    assert [d["pid"] for d in found] == [RAW_PID]
    item = found[0]
    assert item["id"] == RAW_PID
    assert item["proposalId"] == "20170266"
    assert item["sampleId"] == "sample-fe2o3-01"
    # v3 decodes the stored metadata keys.
    assert "temperature.max" in item["scientificMetadata"]
    assert item["creationTime"] == "2024-03-14T09:26:53.589Z"


async def test_fullquery_field_types(api) -> None:
    url = "/api/v3/datasets/fullquery"
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"type": ["raw"]}, [RAW_PID]),
        ({"type": ["raw", "derived"]}, sorted([RAW_PID, DERIVED_PID])),
        ({"keywords": ["xrd", "refinement"]}, sorted([RAW_PID, DERIVED_PID])),
        ({"isPublished": True}, [DERIVED_PID]),
        (
            {"creationTime": {"begin": "2024-03-01", "end": "2024-03-15"}},
            [RAW_PID],
        ),
        ({"size": {"min": 1_000_000, "max": 100_000_000}}, [CUSTOM_PID]),
        ({"mode": {"pid": CUSTOM_PID}}, [CUSTOM_PID]),
        ({"ownerGroup": ["group2"]}, [CUSTOM_PID]),
        (
            {"datasetlifecycle.archiveStatusMessage": "datasetOnArchiveDisk"},
            [CUSTOM_PID],
        ),
    ]
    for fields, expected in cases:
        status, found = await get(api, url, "admin", fields=fields)
        assert status == 200, (fields, found)
        assert pids(found) == expected, fields


async def test_fullquery_limits(api) -> None:
    url = "/api/v3/datasets/fullquery"
    _, found = await get(
        api, url, "admin", limits={"limit": 2, "skip": 0, "order": "creationTime:asc"}
    )
    assert [d["pid"] for d in found] == [CUSTOM_PID, RAW_PID]
    _, found = await get(
        api, url, "admin", limits={"limit": 1, "skip": 1, "order": "creationTime:desc"}
    )
    assert [d["pid"] for d in found] == [RAW_PID]


async def test_fullquery_scientific_with_unit_conversion(api) -> None:
    url = "/api/v3/datasets/fullquery"
    condition = {
        "lhs": "detector distance",
        "relation": "GREATER_THAN",
        "rhs": 20,
        "unit": "cm",
    }
    _, found = await get(api, url, "admin", fields={"scientific": [condition]})
    assert [d["pid"] for d in found] == [RAW_PID]
    # The answer gives the quantity in the unit asked for.
    quantity = found[0]["scientificMetadata"]["detector distance"]
    assert quantity["value"] == 25
    assert quantity["unit"] == "cm"

    condition["rhs"] = 30
    _, found = await get(api, url, "admin", fields={"scientific": [condition]})
    assert found == []

    between = {
        "lhs": "temperature.max",
        "relation": "RANGE",
        "rhs": [290, 310],
        "unit": "K",
    }
    _, found = await get(api, url, "admin", fields={"scientific": [between]})
    assert [d["pid"] for d in found] == [RAW_PID]

    numeric = {"lhs": "temperature.max", "relation": "EQUAL_TO_NUMERIC", "rhs": 300}
    _, found = await get(api, url, "admin", fields={"scientific": [numeric]})
    assert [d["pid"] for d in found] == [RAW_PID]

    # lhs is one encoded top-level key, as in SciCat: no nested paths.
    text = {"lhs": "sample.name", "relation": "EQUAL_TO_STRING", "rhs": "Fe2O3"}
    _, found = await get(api, url, "admin", fields={"scientific": [text]})
    assert found == []


async def test_fullquery_bad_input_is_400(api) -> None:
    url = "/api/v3/datasets/fullquery"
    for params in (
        {"fields": "{not json"},
        {"fields": json.dumps({"mode": {"$where": "sleep(1000)"}})},
        {"fields": json.dumps({"text": 5})},
        {"limits": json.dumps({"limit": -1})},
        {"fields": json.dumps({"scientific": [{"lhs": "x", "relation": "NOPE"}]})},
    ):
        response = await api.call("GET", url, "admin", params=params)
        body = await response.json()
        assert response.status == 400, (params, body)
        assert body["statusCode"] == 400


# --- fullfacet --------------------------------------------------------------------


async def test_fullfacet_shape_arrays_and_dates(api) -> None:
    status, answer = await get(
        api,
        "/api/v3/datasets/fullfacet",
        "admin",
        facets=["type", "keywords", "creationTime", "ownerGroup"],
    )
    assert status == 200
    assert len(answer) == 1
    facets = answer[0]
    assert facets["all"] == [{"totalSets": 3}]
    assert facets["type"] == [
        {"_id": "raw", "count": 1},
        {"_id": "derived", "count": 1},
        {"_id": "calibration", "count": 1},
    ]
    # Arrays are unwound: one count per keyword.
    assert {item["_id"]: item["count"] for item in facets["keywords"]} == {
        "xrd": 1,
        "refinement": 1,
        "powder": 1,
        "hematite": 1,
    }
    assert [item["_id"] for item in facets["keywords"]] == [
        "xrd",
        "refinement",
        "powder",
        "hematite",
    ]
    # Dates group by day.
    assert facets["creationTime"] == [
        {"_id": {"year": 2024, "month": 3, "day": 16}, "count": 1},
        {"_id": {"year": 2024, "month": 3, "day": 14}, "count": 1},
        {"_id": {"year": 2024, "month": 2, "day": 20}, "count": 1},
    ]
    assert facets["ownerGroup"] == [
        {"_id": "group2", "count": 1},
        {"_id": "group1", "count": 2},
    ]


async def test_fullfacet_conditions_and_visibility(api) -> None:
    # A facet's own condition does not narrow its counts; the others do.
    _, answer = await get(
        api,
        "/api/v3/datasets/fullfacet",
        "admin",
        fields={"type": ["raw"]},
        facets=["type", "ownerGroup"],
    )
    assert answer[0]["all"] == [{"totalSets": 1}]
    assert answer[0]["ownerGroup"] == [{"_id": "group1", "count": 1}]
    assert answer[0]["type"] == [{"_id": "raw", "count": 1}]

    _, answer = await get(api, "/api/v3/datasets/fullfacet", facets=["type"])
    assert answer == [
        {"type": [{"_id": "derived", "count": 1}], "all": [{"totalSets": 1}]}
    ]

    # Nothing matches: every facet empty and "all" is [].
    _, answer = await get(
        api,
        "/api/v3/datasets/fullfacet",
        "admin",
        fields={"text": "nothing-like-this"},
        facets=["type"],
    )
    assert answer == [{"type": [], "all": []}]


async def test_fullfacet_count_only_without_facets(api) -> None:
    status, answer = await get(api, "/api/v3/datasets/fullfacet", "user2")
    assert status == 200
    # user2: owner of the calibration set, access group of the raw one.
    assert answer == [{"all": [{"totalSets": 2}]}]


async def test_fullfacet_unknown_facet_skipped_and_bad_facets_400(api) -> None:
    _, answer = await get(
        api, "/api/v3/datasets/fullfacet", "admin", facets=["nonsense", "type"]
    )
    assert set(answer[0]) == {"type", "all"}
    response = await api.call(
        "GET", "/api/v3/datasets/fullfacet", "admin", params={"facets": '"type"'}
    )
    assert response.status == 400


async def test_v4_fullfacet_gates_and_public(api) -> None:
    response = await api.call("GET", "/api/v4/datasets/fullfacet")
    assert response.status == 403
    assert (await response.json())["message"] == "Forbidden resource"

    status, answer = await get(
        api, "/api/v4/datasets/fullfacet", "user1", facets=["type"]
    )
    assert status == 200
    assert answer[0]["all"] == [{"totalSets": 2}]

    status, answer = await get(
        api, "/api/v4/datasets/public/fullfacet", facets=["type"]
    )
    assert status == 200
    assert answer == [
        {"type": [{"_id": "derived", "count": 1}], "all": [{"totalSets": 1}]}
    ]


# --- metadataKeys -----------------------------------------------------------------


async def test_metadata_keys_listing(api) -> None:
    status, keys = await get(api, "/api/v3/datasets/metadataKeys", "admin")
    assert status == 200
    # Flattened, decoded, first-seen order.
    assert keys[:5] == [
        "temperature.max",
        "wavelength",
        "detector distance",
        "sample.name",
        "sample.mass",
    ]
    # The blacklist names "runNumber" (case-sensitive), not this key.
    assert "run_number" in keys
    assert "concentration (mol/L)" in keys
    assert "cell.a" in keys

    _, keys = await get(
        api, "/api/v3/datasets/metadataKeys", "admin", fields={"metadataKey": "CELL"}
    )
    assert keys == ["cell.a", "cell.c"]

    _, keys = await get(api, "/api/v3/datasets/metadataKeys")
    assert keys == ["R-factor", "cell.a", "cell.c"]


async def test_metadata_keys_limits(api, catalogue_api_factory) -> None:
    limited = await catalogue_api_factory(METADATA_KEYS_RETURN_LIMIT=2)
    _, keys = await get(limited, "/api/v3/datasets/metadataKeys", "admin")
    assert keys == ["temperature.max", "wavelength"]

    parents = await catalogue_api_factory(METADATA_PARENT_INSTANCES_RETURN_LIMIT=1)
    _, keys = await get(
        parents,
        "/api/v3/datasets/metadataKeys",
        "admin",
        limits={"order": "creationTime:asc"},
    )
    assert keys == ["concentration (mol/L)", "gain", "pixel.size"]


async def test_v4_metadata_keys_gates(api) -> None:
    response = await api.call("GET", "/api/v4/datasets/metadataKeys")
    assert response.status == 403
    _, keys = await get(api, "/api/v4/datasets/metadataKeys", "user2")
    assert "pixel.size" in keys and "wavelength" in keys and "R-factor" not in keys
    _, keys = await get(api, "/api/v4/datasets/public/metadataKeys")
    assert keys == ["R-factor", "cell.a", "cell.c"]


async def test_fullfacet_lifecycle_facet_and_text(api) -> None:
    status, answer = await get(
        api,
        "/api/v3/datasets/fullfacet",
        "admin",
        facets=["datasetlifecycle.archiveStatusMessage"],
    )
    assert status == 200
    # Grouped by the lifecycle field (SciCat answers _id: null), keyed as SciCat.
    assert answer[0]["archiveStatusMessage"] == [
        {"_id": "datasetOnArchiveDisk", "count": 1},
        {"_id": "datasetCreated", "count": 2},
    ]

    _, answer = await get(
        api,
        "/api/v3/datasets/fullfacet",
        "admin",
        fields={"text": "hematite"},
        facets=["type"],
    )
    assert answer == [{"type": [{"_id": "raw", "count": 1}], "all": [{"totalSets": 1}]}]

    # A userGroups list holding "globalaccess" does not restrict (admins only).
    _, answer = await get(
        api,
        "/api/v3/datasets/fullfacet",
        "admin",
        fields={"userGroups": ["globalaccess"]},
        facets=["type"],
    )
    assert answer[0]["all"] == [{"totalSets": 3}]
