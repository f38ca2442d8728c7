"""``/api/v3/users`` own-record routes and their 401/403 edges (reference §3.2)."""

from __future__ import annotations

import pytest
from bson import ObjectId

from read_api.routes.auth import auth
from read_api.routes.users import users

FORBIDDEN = {
    "statusCode": 403,
    "message": "Access Forbidden or Unauthorized",
    "error": "Forbidden",
}
UNAUTHENTICATED = {
    "statusCode": 401,
    "message": "Unauthenticated",
    "error": "Unauthorized",
}


@pytest.fixture
async def client(api_client_factory, accounts):
    return await api_client_factory(
        settings=accounts.settings,
        store=accounts.store,
        authenticator=accounts.authenticator,
        route_groups=[auth, users],
    )


async def get(client, accounts, path, username=None):
    headers = {}
    if username is not None:
        headers["Authorization"] = f"Bearer {await accounts.token(username)}"
    return await client.get(path, headers=headers)


async def test_my_self_is_the_callers_user_without_password(client, accounts):
    response = await get(client, accounts, "/api/v3/users/my/self", "user3")
    assert response.status == 200
    body = await response.json()
    user = await accounts.user("user3")
    assert body["id"] == body["_id"] == str(user["_id"])
    assert body["username"] == "user3"
    assert "password" not in body


async def test_users_path_is_case_insensitive(client, accounts):
    response = await get(client, accounts, "/api/v3/Users/my/self", "user3")
    assert response.status == 200


async def test_anonymous_callers_get_401(client, accounts):
    paths = [
        "/api/v3/users/my/self",
        "/api/v3/users/abc",
        "/api/v3/users/abc/userIdentity",
    ]
    for path in paths:
        response = await get(client, accounts, path)
        assert response.status == 401, path
        assert await response.json() == UNAUTHENTICATED


async def test_own_user_by_id(client, accounts):
    user = await accounts.user("user1")
    response = await get(client, accounts, f"/api/v3/users/{user['_id']}", "user1")
    assert response.status == 200
    assert (await response.json())["email"] == "user1@your.site"


async def test_someone_elses_user_is_403(client, accounts):
    other = await accounts.user("user2")
    response = await get(client, accounts, f"/api/v3/users/{other['_id']}", "user1")
    assert response.status == 403
    assert await response.json() == FORBIDDEN


async def test_admin_reads_any_user(client, accounts):
    other = await accounts.user("user2")
    response = await get(client, accounts, f"/api/v3/users/{other['_id']}", "admin")
    assert response.status == 200
    assert (await response.json())["username"] == "user2"


async def test_admin_asking_for_a_missing_user_gets_an_empty_200(client, accounts):
    for missing in (str(ObjectId()), "not-an-object-id"):
        response = await get(client, accounts, f"/api/v3/users/{missing}", "admin")
        assert response.status == 200
        assert await response.read() == b""


async def test_own_identity(client, accounts):
    user = await accounts.user("user6")
    response = await get(
        client, accounts, f"/api/v3/users/{user['_id']}/userIdentity", "user6"
    )
    assert response.status == 200
    body = await response.json()
    assert body["userId"] == str(user["_id"])
    assert body["provider"] == "local"
    assert body["profile"]["accessGroups"] == ["group6", "user6"]
    assert body["created"].endswith("Z")


async def test_someone_elses_identity_is_403_except_for_admins(client, accounts):
    other = await accounts.user("user6")
    path = f"/api/v3/users/{other['_id']}/userIdentity"
    denied = await get(client, accounts, path, "user1")
    assert denied.status == 403
    assert await denied.json() == FORBIDDEN
    allowed = await get(client, accounts, path, "adminIngestor")
    assert allowed.status == 200
    assert (await allowed.json())["profile"]["username"] == "user6"


async def test_my_identity_and_settings(client, accounts):
    headers = {"Authorization": f"Bearer {await accounts.token('user2')}"}
    user = await accounts.user("user2")
    identity = await client.get("/api/v3/users/my/identity", headers=headers)
    assert identity.status == 200
    assert (await identity.json())["profile"]["accessGroups"] == ["group2"]

    # Login (done by accounts.token) created the default settings.
    settings = await client.get("/api/v3/users/my/settings", headers=headers)
    body = await settings.json()
    assert body["userId"] == str(user["_id"])
    assert (body["datasetCount"], body["jobCount"]) == (25, 25)
    assert body["externalSettings"] == {}


async def test_service_jwt_round_trip_keeps_groups_from_the_store(client, accounts):
    token = await accounts.token("user3")
    response = await client.post(
        "/api/v3/users/jwt", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 201
    service_token = (await response.json())["jwt"]
    claims = accounts.codec.verify(service_token)
    user = await accounts.user("user3")
    assert claims["username"] == str(user["_id"])
    assert claims["groups"] == ["group3"]

    who = await client.get(
        "/api/v3/auth/whoami", headers={"Authorization": f"Bearer {service_token}"}
    )
    assert (await who.json())["username"] == "user3"


async def test_anonymous_service_jwt_stays_anonymous(client, accounts):
    response = await client.post("/api/v3/users/jwt")
    assert response.status == 201
    service_token = (await response.json())["jwt"]
    assert accounts.codec.verify(service_token)["groups"] == ["public"]
    who = await client.get(
        "/api/v3/auth/whoami", headers={"Authorization": f"Bearer {service_token}"}
    )
    assert await who.read() == b""


async def test_users_logout_matches_auth_logout(client, accounts):
    anonymous = await client.post("/api/v3/users/logout")
    assert anonymous.status == 401
    assert await anonymous.json() == "Not logged in"
    token = await accounts.token("user1")
    response = await client.post(
        "/api/v3/users/logout", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 200
    assert await response.json() == {"logout": "successful"}
