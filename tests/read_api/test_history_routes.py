"""``/api/v3/history`` (reference §3.14, §10.2)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from common.settings import TrackableStrategy
from tests.fixtures.scicat_db import DERIVED_PID, RAW_PID

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def api(catalogue_api_factory, scicat_db):  # type: ignore[no-untyped-def]
    # Datasets and datablocks tracked; group5 reads dataset history only.
    return await catalogue_api_factory(
        TRACKABLES="Dataset,Datablock",
        TRACKABLE_STRATEGY=TrackableStrategy.DELTA,
        HISTORY_ACCESS_DATASET_GROUPS=["group5"],
        HISTORY_ACCESS_DATABLOCK_GROUPS=["group4"],
    )


async def get(api: Any, path: str, user: str = "anonymous", **params: Any) -> Any:
    query = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    response = await api.call("GET", path, user, params=query)
    return response.status, await response.json()


async def test_rows_written_by_updates_are_read_back(api) -> None:
    pid = RAW_PID.replace("/", "%2F")
    response = await api.call(
        "PATCH", f"/api/v3/datasets/{pid}", "user1", json={"description": "new"}
    )
    assert response.status == 200, await response.text()

    status, page = await get(
        api,
        "/api/v3/history",
        "user5.1",
        filter={"subsystem": "Dataset", "documentId": RAW_PID},
    )
    assert status == 200
    assert page["count"] == page["totalCount"] == 1
    assert page["skip"] == 0 and page["limit"] == 100
    row = page["items"][0]
    assert row["operation"] == "update" and row["user"] == "user1"
    assert row["after"]["description"] == "new"
    assert set(row["after"]) == {"description", "updatedAt", "updatedBy"}

    # Newest first, across datasets; the fixture's row is the older one.
    status, page = await get(
        api, "/api/v3/history", "user5.1", filter={"subsystem": "Dataset"}, limit="1"
    )
    assert page["totalCount"] == 2 and page["count"] == 1
    assert page["items"][0]["documentId"] == RAW_PID
    _, page = await get(
        api, "/api/v3/history", "user5.1", filter={"subsystem": "Dataset"}, skip="1"
    )
    assert [row["documentId"] for row in page["items"]] == [DERIVED_PID]

    status, answer = await get(
        api, "/api/v3/history/count", "user5.1", filter={"subsystem": "Dataset"}
    )
    assert answer == {"count": 2}
    status, page = await get(api, "/api/v3/history/collection/Dataset", "user5.1")
    assert page["totalCount"] == 2


async def test_gates_and_messages(api) -> None:
    status, body = await get(api, "/api/v3/history", filter={"subsystem": "Dataset"})
    assert status == 401

    status, body = await get(
        api, "/api/v3/history", "user1", filter={"subsystem": "Dataset"}
    )
    assert status == 403 and body["message"] == "Forbidden resource"

    status, body = await get(
        api, "/api/v3/history", "user4", filter={"subsystem": "Dataset"}
    )
    assert status == 403
    assert body["message"] == (
        "You don't have permission to access history for Dataset collection"
    )
    status, body = await get(api, "/api/v3/history/collection/Dataset", "user4")
    assert status == 403
    status, body = await get(api, "/api/v3/history/collection/Datablock", "user4")
    assert status == 200

    # Without a subsystem only admins may ask.
    status, body = await get(api, "/api/v3/history", "user5.1", filter={})
    assert status == 400
    status, page = await get(api, "/api/v3/history", "admin")
    assert status == 200 and page["totalCount"] == 1
    status, body = await get(api, "/api/v3/history/count", "admin")
    assert status == 400

    for params in (
        {"filter": "{bad"},
        {"filter": json.dumps({"subsystem": "Dataset", "$where": "1"})},
        {"filter": json.dumps({"subsystem": {"$ne": "x"}})},
        {"filter": json.dumps({"subsystem": "Dataset"}), "limit": "-3"},
    ):
        response = await api.call("GET", "/api/v3/history", "user5.1", params=params)
        assert response.status == 400, params
