"""``/api/v3/auth`` as SciCat's clients see it (reference §3.1)."""

from __future__ import annotations

import base64
import json
import time

import pytest

from read_api.routes.auth import auth
from read_api.routes.users import users


@pytest.fixture
async def client(api_client_factory, accounts):
    return await api_client_factory(
        settings=accounts.settings,
        store=accounts.store,
        authenticator=accounts.authenticator,
        route_groups=[auth, users],
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_login_answers_the_full_login_object(client, accounts):
    response = await client.post(
        "/api/v3/auth/login",
        json={
            "username": "adminIngestor",
            "password": accounts.passwords["adminIngestor"],
        },
    )
    assert response.status == 201
    body = await response.json()
    user = await accounts.user("adminIngestor")
    assert body["access_token"] == body["id"]
    assert body["expires_in"] == body["ttl"] == 3600
    assert body["created"].endswith("Z")
    assert body["userId"] == str(user["_id"])
    assert body["user"] == {
        "_id": str(user["_id"]),
        "id": str(user["_id"]),
        "username": "adminIngestor",
        "email": "adminingestor@scicat.project",
        "authStrategy": "local",
        "__v": 0,
    }


async def test_login_accepts_a_form_body_and_any_path_case(client, accounts):
    response = await client.post(
        "/api/v3/auth/Login/",
        data={"username": "user1", "password": accounts.passwords["user1"]},
    )
    assert response.status == 201
    assert (await response.json())["user"]["username"] == "user1"


BAD_CREDENTIALS = [
    {"username": "user1", "password": "wrong"},
    {"username": "nobody", "password": "x"},
    {"username": "user1", "password": "p" * 73},
    {"username": "user1", "password": "é" * 50},
    {"username": "user1"},
    {"username": 1, "password": 2},
    {},
    [1, 2],
]


async def test_bad_credentials_are_401_as_scicat_answers(client):
    # One client for all cases: seeding the accounts is the slow part.
    for body in BAD_CREDENTIALS:
        response = await client.post("/api/v3/auth/login", json=body)
        assert response.status == 401, body
        assert await response.json() == {"message": "Unauthorized", "statusCode": 401}


async def test_malformed_json_is_400(client):
    response = await client.post(
        "/api/v3/auth/login",
        data=b'{"username": "user1", ',
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 400


async def test_whoami_shows_groups_recomputed_per_request(client, accounts):
    token = await accounts.token("user1")
    response = await client.get("/api/v3/auth/whoami", headers=bearer(token))
    assert response.status == 200
    body = await response.json()
    assert body["username"] == "user1"
    assert body["currentGroups"] == ["group1"]
    assert body["email"] == "user1@your.site"
    assert body["authStrategy"] == "local"

    user = await accounts.user("user1")
    await accounts.store.collection("UserIdentity").update_one(
        {"userId": user["_id"]}, {"$set": {"profile.accessGroups": ["group1", "x"]}}
    )
    again = await client.get("/api/v3/auth/whoami", headers=bearer(token))
    assert (await again.json())["currentGroups"] == ["group1", "x"]


async def test_token_in_the_access_token_query_parameter(client, accounts):
    token = await accounts.token("user2")
    response = await client.get(f"/api/v3/auth/whoami?access_token={token}")
    assert (await response.json())["username"] == "user2"


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def forged_tokens(accounts) -> list[str]:
    token = await accounts.token("user1")
    header, _payload, signature = token.split(".")
    admin = await accounts.user("admin")
    claims = {
        "_id": str(admin["_id"]),
        "username": "admin",
        "exp": int(time.time()) + 60,
    }
    expired = accounts.codec.sign(
        {"_id": str(admin["_id"]), "username": "admin"},
        expires_in=5,
        now=time.time() - 60,
    )
    return [
        f"{header}.{b64(claims)}.{signature}",  # tampered payload
        f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}.",  # alg none
        expired,
        "not-a-token",
    ]


async def test_tampered_expired_and_unsigned_tokens_are_anonymous(client, accounts):
    for token in await forged_tokens(accounts):
        response = await client.get("/api/v3/auth/whoami", headers=bearer(token))
        assert response.status == 200
        assert await response.read() == b""


async def test_anonymous_whoami_is_an_empty_200(client):
    response = await client.get("/api/v3/auth/whoami")
    assert response.status == 200
    assert await response.read() == b""


async def test_logout(client, accounts):
    token = await accounts.token("user1")
    response = await client.post("/api/v3/auth/logout", headers=bearer(token))
    assert response.status == 200
    assert await response.json() == {"logout": "successful"}


async def test_anonymous_logout_is_401_not_logged_in(client):
    response = await client.post("/api/v3/auth/logout")
    assert response.status == 401
    assert await response.json() == "Not logged in"
