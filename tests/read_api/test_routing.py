"""The resolver: SciCat path rules (case, trailing slash, encoded pids, literals)."""

from __future__ import annotations

import pytest
from aiohttp import web

from common.errors import InvalidError
from read_api.routing import Reply, RouteGroup, Router


async def _noop(request: web.Request) -> None:
    return None


def _router(*declarations: tuple[str, str]) -> Router:
    group = RouteGroup()
    for method, path in declarations:
        group.add(method, path, _noop)
    router = Router()
    router.include(group)
    return router


def _datasets_group() -> RouteGroup:
    """Test routes shaped like SciCat's dataset routes (real ones come later)."""
    group = RouteGroup("/api/v3/datasets", tags=("datasets",))

    @group.get("/count")
    async def count(request: web.Request) -> dict[str, object]:
        return {"handler": "count"}

    @group.get("/{pid}")
    async def find_by_id(request: web.Request) -> dict[str, object]:
        return {"handler": "find_by_id", "pid": request.match_info["pid"]}

    @group.patch("/{pid}")
    async def patch(request: web.Request) -> dict[str, object]:
        return {"handler": "patch", "pid": request.match_info["pid"]}

    @group.get("/{pid}/origdatablocks/{oid}")
    async def sub_item(request: web.Request) -> dict[str, object]:
        return {"pid": request.match_info["pid"], "oid": request.match_info["oid"]}

    @group.post("/{pid}/thumbnail", status=200)
    async def post_200(request: web.Request) -> Reply:
        return Reply({"ok": True}, status=202)

    return group


@pytest.mark.parametrize(
    "path",
    [
        "/api/v3/Datasets/abc%2Fdef",
        "/API/V3/datasets/abc%2Fdef/",
        "/api/v3/datasets/abc%2Fdef",
        "/api/v3/datasets/abc%2fdef?filter=%7B%7D",
    ],
)
async def test_encoded_pid_reaches_the_handler_decoded(api_client_factory, path):
    client = await api_client_factory(route_groups=[_datasets_group()])

    response = await client.get(path)

    assert response.status == 200
    assert await response.json() == {"handler": "find_by_id", "pid": "abc/def"}


async def test_literal_segment_wins_over_parameter(api_client_factory):
    client = await api_client_factory(route_groups=[_datasets_group()])

    response = await client.get("/api/v3/datasets/COUNT/")

    assert await response.json() == {"handler": "count"}


async def test_literal_branch_without_the_method_falls_back_to_parameter(
    api_client_factory,
):
    client = await api_client_factory(route_groups=[_datasets_group()])

    response = await client.patch("/api/v3/datasets/count")

    assert response.status == 200
    assert await response.json() == {"handler": "patch", "pid": "count"}


async def test_two_parameters_are_decoded_separately(api_client_factory):
    client = await api_client_factory(route_groups=[_datasets_group()])

    response = await client.get("/api/v3/datasets/20.500%2Fxyz/OrigDatablocks/a%20b")

    assert await response.json() == {"pid": "20.500/xyz", "oid": "a b"}


async def test_parameter_value_keeps_its_case(api_client_factory):
    client = await api_client_factory(route_groups=[_datasets_group()])

    response = await client.get("/api/v3/datasets/PID-MixedCase")

    assert (await response.json())["pid"] == "PID-MixedCase"


async def test_unknown_route_gets_scicat_404_body(api_client_factory):
    client = await api_client_factory(route_groups=[_datasets_group()])

    response = await client.get("/api/v3/nothing/here?x=1")

    assert response.status == 404
    assert await response.json() == {
        "statusCode": 404,
        "message": "Cannot GET /api/v3/nothing/here?x=1",
        "error": "Not Found",
    }


async def test_known_path_with_other_method_gets_405_with_allow(api_client_factory):
    client = await api_client_factory(route_groups=[_datasets_group()])

    response = await client.delete("/api/v3/datasets/count")

    assert response.status == 405
    assert response.headers["Allow"] == "GET, OPTIONS, PATCH"
    body = await response.json()
    assert body["error"] == "Method Not Allowed"
    assert body["message"] == "Cannot DELETE /api/v3/datasets/count"


async def test_head_is_served_by_the_get_route(api_client_factory):
    client = await api_client_factory(route_groups=[_datasets_group()])

    response = await client.head("/api/v3/datasets/abc")

    assert response.status == 200


async def test_bad_percent_encoding_in_a_parameter_is_400(api_client_factory):
    client = await api_client_factory(route_groups=[_datasets_group()])

    response = await client.get("/api/v3/datasets/%FF%FE")

    assert response.status == 400
    body = await response.json()
    assert body["statusCode"] == 400
    assert body["message"] == "Failed to decode param '%FF%FE'"


async def test_reply_sets_a_status_other_than_the_default(api_client_factory):
    client = await api_client_factory(route_groups=[_datasets_group()])

    response = await client.post("/api/v3/datasets/x/thumbnail")

    assert response.status == 202


def test_resolver_prefers_literals_at_every_depth():
    router = _router(
        ("GET", "/a/{x}/c"),
        ("GET", "/a/b/{y}"),
        ("GET", "/a/{x}/{y}"),
    )

    assert router.resolve("GET", "/a/b/c").route.path == "/a/b/{y}"
    assert router.resolve("GET", "/a/z/c").route.path == "/a/{x}/c"
    assert router.resolve("GET", "/a/z/q").route.path == "/a/{x}/{y}"
    assert router.resolve("GET", "/a/b/c").params == {"y": "c"}


def test_resolver_backtracks_when_literal_branch_dead_ends():
    router = _router(("GET", "/d/count"), ("GET", "/d/{pid}/files"))

    match = router.resolve("GET", "/d/count/files")

    assert match.route is not None
    assert match.params == {"pid": "count"}


def test_resolver_misses_empty_segments_and_unknown_paths():
    router = _router(("GET", "/d/{pid}"))

    assert router.resolve("GET", "/d//").route is None
    assert router.resolve("GET", "/d").allowed == frozenset()
    assert router.resolve("GET", "/e/x").route is None


def test_resolver_rejects_undecodable_parameter():
    router = _router(("GET", "/d/{pid}"))

    with pytest.raises(InvalidError):
        router.resolve("GET", "/d/%C3%28")


def test_declaring_a_route_twice_fails_at_startup():
    group = RouteGroup("/x")
    group.add("GET", "/{a}", _noop)
    group.add("get", "/{b}", _noop)

    with pytest.raises(ValueError, match="declared twice"):
        Router().include(group)


def test_post_defaults_to_201_and_others_to_200():
    group = RouteGroup()
    post = group.add("POST", "/p", _noop)
    login = group.add("POST", "/login", _noop, status=200)
    get = group.add("GET", "/g", _noop)

    assert (post.success_status, login.success_status, get.success_status) == (
        201,
        200,
        200,
    )


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("20.500%2Fabc", "20.500/abc"),
        ("%C3%A9t%C3%A9", "été"),
        ("caf%C3%A9-ü", "café-ü"),
        ("100%25", "100%"),
        ("a+b", "a+b"),
    ],
)
def test_parameters_are_percent_decoded_as_utf8(raw, decoded):
    router = _router(("GET", "/api/v3/datasets/{pid}"))

    match = router.resolve("GET", f"/api/v3/datasets/{raw}")

    assert match.params == {"pid": decoded}


@pytest.mark.parametrize("raw", ["%C3", "%FF%FE", "ok%E9", "\udcff%2F"])
def test_parameters_that_are_not_utf8_once_decoded_are_refused(raw):
    router = _router(("GET", "/api/v3/datasets/{pid}"))

    with pytest.raises(InvalidError, match="Failed to decode param"):
        router.resolve("GET", f"/api/v3/datasets/{raw}")
