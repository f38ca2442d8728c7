"""``/api/v4/metadatakeys`` (reference §3.14, access §5.3)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fixtures.scicat_db import DERIVED_PID, RAW_PID

pytestmark = pytest.mark.asyncio

URL = "/api/v4/metadatakeys"


@pytest.fixture
async def api(catalogue_api, scicat_db):  # type: ignore[no-untyped-def]
    return catalogue_api


async def keys(api: Any, user: str = "anonymous", **filter_: Any) -> Any:
    params = {"filter": json.dumps(filter_)} if filter_ else {}
    response = await api.call("GET", URL, user, params=params)
    return response.status, await response.json()


async def test_rows_by_caller(api) -> None:
    status, rows = await keys(api, "admin")
    assert status == 200
    everything = {row["_id"] for row in rows}
    assert len(everything) == 4

    status, rows = await keys(api)
    assert status == 200
    assert rows and all(row["isPublished"] for row in rows)
    assert {row["sourceId"] for row in rows} == {DERIVED_PID}

    # group2 is among the raw dataset's rows' userGroups.
    _, rows = await keys(api, "user2")
    assert {row["sourceId"] for row in rows} == {RAW_PID, DERIVED_PID}
    _, rows = await keys(api, "user4")
    assert {row["sourceId"] for row in rows} == {DERIVED_PID}


async def test_filters_and_limits(api) -> None:
    _, rows = await keys(api, "admin", where={"sourceId": RAW_PID}, fields=["key"])
    assert rows and all(set(row) <= {"_id", "key"} for row in rows)

    _, rows = await keys(
        api, "admin", where={"userGroups": {"$elemMatch": {"$eq": "group3"}}}
    )
    assert {row["sourceId"] for row in rows} == {RAW_PID}

    _, rows = await keys(api, "admin", limits={"limit": 1, "sort": {"key": "asc"}})
    assert len(rows) == 1

    status, answer = await keys(api, "admin", where={"owner": "x"})
    assert status == 400
    assert (
        answer["message"]
        == "Property where.owner should not exist in the filter object"
    )
    status, answer = await keys(api, "admin", where={"$where": "1"})
    assert status == 400
