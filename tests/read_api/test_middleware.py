"""Request id and log line, CORS, identity from the token, default answers."""

from __future__ import annotations

import logging

import pytest
from aiohttp import web

from common.identity.principal import ANONYMOUS, Identity
from read_api.inputs import identity_of
from read_api.routing import RouteGroup

ALICE = Identity(username="alice", user_id="u1", groups=("group1",))


class TokenTable:
    """An authenticator that knows one token and records what it was asked."""

    def __init__(self) -> None:
        self.seen: list[str | None] = []

    async def authenticate(self, token: str | None) -> Identity:
        self.seen.append(token)
        return ALICE if token == "good-token" else ANONYMOUS


def _group() -> RouteGroup:
    group = RouteGroup("/api/v3/probe")

    @group.get("/whoami")
    async def whoami(request: web.Request) -> dict[str, object]:
        return {"username": identity_of(request).username}

    @group.get("/private", auth=True)
    async def private(request: web.Request) -> dict[str, object]:
        return {"secret": 1}

    @group.post("/nothing")
    async def nothing(request: web.Request) -> None:
        return None

    @group.post("/created")
    async def created(request: web.Request) -> dict[str, object]:
        return {"id": "x"}

    return group


@pytest.fixture
def tokens() -> TokenTable:
    return TokenTable()


@pytest.fixture
async def client(api_client_factory, tokens):
    return await api_client_factory(route_groups=[_group()], authenticator=tokens)


@pytest.mark.parametrize(
    ("headers", "query"),
    [
        ({"Authorization": "Bearer good-token"}, {}),
        ({"Authorization": "good-token"}, {}),
        ({"Authorization": "bearer   good-token "}, {}),
        ({}, {"access_token": "good-token"}),
        ({}, {"access_token": "Bearer good-token"}),
    ],
)
async def test_token_from_header_or_query_identifies_the_caller(client, headers, query):
    response = await client.get("/api/v3/probe/whoami", headers=headers, params=query)

    assert await response.json() == {"username": "alice"}


async def test_bad_token_is_anonymous_not_an_error(client, tokens):
    response = await client.get(
        "/api/v3/probe/whoami", headers={"Authorization": "Bearer forged"}
    )

    assert response.status == 200
    assert await response.json() == {"username": "anonymous"}
    assert tokens.seen == ["forged"]


async def test_no_token_is_anonymous_without_asking_the_authenticator(client, tokens):
    response = await client.get("/api/v3/probe/whoami")

    assert await response.json() == {"username": "anonymous"}
    assert tokens.seen == []


async def test_without_authenticator_every_caller_is_anonymous(api_client_factory):
    client = await api_client_factory(route_groups=[_group()])

    response = await client.get(
        "/api/v3/probe/whoami", headers={"Authorization": "Bearer good-token"}
    )

    assert await response.json() == {"username": "anonymous"}


async def test_authenticated_route_answers_401_to_anonymous(client):
    response = await client.get("/api/v3/probe/private")

    assert response.status == 401
    assert await response.json() == {
        "statusCode": 401,
        "message": "Unauthenticated",
        "error": "Unauthorized",
    }


async def test_authenticated_route_serves_a_known_caller(client):
    response = await client.get(
        "/api/v3/probe/private", headers={"Authorization": "Bearer good-token"}
    )

    assert await response.json() == {"secret": 1}


async def test_none_result_is_200_with_empty_body_even_for_post(client):
    response = await client.post("/api/v3/probe/nothing")

    assert response.status == 200
    assert await response.read() == b""


async def test_post_answers_201_with_json(client):
    response = await client.post("/api/v3/probe/created")

    assert response.status == 201
    assert response.content_type == "application/json"
    assert await response.json() == {"id": "x"}


async def test_cors_preflight_is_answered_for_any_path(client):
    response = await client.options(
        "/api/v3/datasets/abc%2Fdef",
        headers={
            "Origin": "https://frontend.example",
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )

    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "PATCH" in response.headers["Access-Control-Allow-Methods"]
    assert (
        response.headers["Access-Control-Allow-Headers"] == "authorization,content-type"
    )


async def test_cors_header_on_answers_and_errors(client):
    origin = {"Origin": "https://frontend.example"}

    served = await client.get("/api/v3/probe/whoami", headers=origin)
    missing = await client.get("/api/v3/unknown", headers=origin)

    assert served.headers["Access-Control-Allow-Origin"] == "*"
    assert missing.status == 404
    assert missing.headers["Access-Control-Allow-Origin"] == "*"


async def test_each_request_gets_an_id_and_one_log_line(client, caplog):
    with caplog.at_level(logging.INFO, logger="read_api.middleware"):
        response = await client.get(
            "/api/v3/probe/whoami", params={"access_token": "good-token"}
        )

    request_id = response.headers["X-Request-Id"]
    [line] = [r for r in caplog.records if r.getMessage() == "request"]
    assert line.request_id == request_id
    assert line.method == "GET"
    assert line.path == "/api/v3/probe/whoami"
    assert line.route == "/api/v3/probe/whoami"
    assert line.status == 200
    assert line.ms >= 0
    assert "good-token" not in str(line.__dict__)


async def test_a_safe_incoming_request_id_is_kept(client):
    response = await client.get(
        "/api/v3/probe/whoami", headers={"X-Request-Id": "trace-123"}
    )
    unsafe = await client.get(
        "/api/v3/probe/whoami", headers={"X-Request-Id": "bad\tid {}"}
    )

    assert response.headers["X-Request-Id"] == "trace-123"
    assert unsafe.headers["X-Request-Id"] != "bad\tid {}"


def test_new_request_ids_are_unique_hex_and_differ_in_a_forked_child():
    import os
    import re

    from read_api.middleware import RequestIds

    ids = RequestIds()
    made = [ids() for _ in range(10_000)]
    assert len(set(made)) == len(made)
    assert all(re.fullmatch(r"[0-9a-f]{32}", made_id) for made_id in made)
    assert RequestIds()()[:16] != made[0][:16]  # another process's prefix

    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        os.write(writer, ids().encode())
        os._exit(0)
    os.close(writer)
    os.waitpid(child, 0)
    from_child = os.read(reader, 64).decode()
    os.close(reader)
    assert re.fullmatch(r"[0-9a-f]{32}", from_child)
    assert from_child[:16] != made[0][:16]
    assert from_child not in made
