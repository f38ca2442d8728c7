"""The generic entity mechanism itself: wiring, preconditions, include, a second
entity configured on it."""

from __future__ import annotations

import datetime as dt

import pytest
from aiohttp.test_utils import make_mocked_request

from common.models.origdatablock import OrigDatablock
from common.query.include import (
    DATASET_RELATIONS,
    ORIGDATABLOCK_RELATIONS,
    parse_include,
)
from common.query.limits import V4_DEFAULTS
from common.services.context import ApiVersion
from common.services.related import attach_related, values_at
from read_api.app import create_app
from read_api.generic import (
    EntityRoutes,
    FilterLanguage,
    FilterRules,
    Operation,
    expose,
    unmodified_since,
    use_runtime,
    use_services,
)
from read_api.routing import RouteGroup
from tests.read_api.dataset_bodies import create_v3, enc, raw_v3


async def test_use_runtime_builds_the_services_on_the_app_store(
    aiohttp_client, accounts
) -> None:
    app = create_app(
        accounts.settings,
        store=accounts.store,
        authenticator=accounts.authenticator,
        setups=[use_runtime],
    )
    client = await aiohttp_client(app)
    token = await accounts.token("user1")

    response = await client.get(
        "/api/v3/datasets/count", headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status == 200
    assert await response.json() == {"count": 0}


async def test_without_a_store_entity_routes_answer_503(api_client_factory) -> None:
    client = await api_client_factory()

    response = await client.get("/api/v3/datasets")

    assert response.status == 503


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            "Wed, 21 Oct 2015 07:28:00 GMT",
            dt.datetime(2015, 10, 21, 7, 28, tzinfo=dt.UTC),
        ),
        ("2015-10-21T07:28:00.000Z", dt.datetime(2015, 10, 21, 7, 28, tzinfo=dt.UTC)),
        ("yesterday", None),
        ("", None),
    ],
)
def test_if_unmodified_since_forms(header, expected) -> None:
    request = make_mocked_request(
        "PATCH", "/x", headers={"If-Unmodified-Since": header} if header else {}
    )

    assert unmodified_since(request) == expected


def test_values_at_looks_through_arrays() -> None:
    document = {"relationships": [{"targetId": "a"}, {"targetId": "b"}], "x": "c"}

    assert values_at(document, "relationships.targetId") == ["a", "b"]
    assert values_at(document, "x") == ["c"]
    assert values_at(document, "missing.path") == []


async def test_attach_related_scopes_per_parent(store) -> None:
    await store.collection("OrigDatablock").insert_many(
        [
            {"_id": f"o{n}", "datasetId": "d1" if n < 3 else "d2", "n": n}
            for n in range(5)
        ]
    )
    parents = [{"pid": "d1"}, {"pid": "d2"}, {"pid": "d3"}]
    [spec] = parse_include(
        [
            {
                "relation": "origdatablocks",
                "scope": {"limits": {"limit": 1, "sort": {"n": "desc"}}},
            }
        ]
    )

    await attach_related(store, parents, [spec], DATASET_RELATIONS, max_time_ms=1000)

    assert [[o["_id"] for o in p["origdatablocks"]] for p in parents] == [
        ["o2"],
        ["o4"],
        [],
    ]


async def test_a_second_entity_configured_on_the_mechanism(
    aiohttp_client, accounts, catalogue_api
) -> None:
    """File lists exposed read-only at v4 with the same mechanism and no new code."""
    created = await create_v3(catalogue_api, "user1")
    await catalogue_api.store.collection("OrigDatablock").insert_many(
        [
            {
                "_id": "odb-a",
                "datasetId": created["pid"],
                "ownerGroup": "group1",
                "size": 1,
            },
            {
                "_id": "odb-b",
                "datasetId": created["pid"],
                "ownerGroup": "zz",
                "size": 2,
            },
        ]
    )
    routes = EntityRoutes(
        name="example_blocks",
        version=ApiVersion.V4,
        service=lambda services: services.origdatablocks,
        filters=FilterRules(
            language=FilterLanguage.MONGO,
            limit_defaults=V4_DEFAULTS,
            entity_keys=frozenset({"datasetId", "size", "ownerGroup", "_id"}),
            relations=ORIGDATABLOCK_RELATIONS,
        ),
        output=OrigDatablock,
    )
    group = RouteGroup("/api/v4/exampleblocks")
    expose(group, routes, (Operation.LIST, Operation.COUNT, Operation.GET))
    client = await aiohttp_client(
        create_app(
            accounts.settings,
            store=accounts.store,
            authenticator=accounts.authenticator,
            extra_routes=[group],
            setups=[use_services(catalogue_api.services)],
        )
    )
    auth = {"Authorization": f"Bearer {await accounts.token('user1')}"}

    listed = await client.get("/api/v4/exampleblocks", headers=auth)
    count = await client.get("/api/v4/exampleblocks/count", headers=auth)
    one = await client.get(
        "/api/v4/exampleblocks/odb-a", headers=auth, params={"include": "dataset"}
    )
    hidden = await client.get("/api/v4/exampleblocks/odb-b", headers=auth)
    bad = await client.get(
        "/api/v4/exampleblocks", headers=auth, params={"filter": '{"where": {"x": 1}}'}
    )

    assert [item["_id"] for item in await listed.json()] == ["odb-a"]
    assert await count.json() == {"count": 1}
    assert [d["pid"] for d in (await one.json())["dataset"]] == [created["pid"]]
    assert hidden.status == 403
    assert bad.status == 400


async def test_writes_publish_events_carrying_the_request_id(catalogue_api) -> None:
    response = await catalogue_api.call(
        "POST",
        "/api/v3/datasets",
        "user1",
        json=raw_v3(),
        headers={"X-Request-Id": "req-123"},
    )
    pid = (await response.json())["pid"]
    await catalogue_api.call(
        "PATCH",
        f"/api/v4/datasets/{enc(pid)}",
        "user1",
        json={"comment": "x"},
        headers={"X-Request-Id": "req-456"},
    )

    events = catalogue_api.events.events
    assert [(e.routing_key, e.source_id) for e in events] == [
        ("dataset.created", "req-123"),
        ("dataset.updated", "req-456"),
    ]
    assert events[1].document["comment"] == "x"
