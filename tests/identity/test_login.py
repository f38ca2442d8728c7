"""Local login (reference §3.1, §5.6)."""

from __future__ import annotations

import re

import pytest

from common.errors import UnauthenticatedError
from common.identity.login import login


async def log_in(accounts, username, password):
    return await login(
        accounts.store, accounts.settings, accounts.codec, username, password
    )


async def test_login_answers_scicat_login_object(accounts):
    answer = await log_in(accounts, "user1", accounts.passwords["user1"])
    user = await accounts.user("user1")
    assert set(answer) == {
        "access_token",
        "id",
        "expires_in",
        "ttl",
        "created",
        "userId",
        "user",
    }
    assert answer["id"] == answer["access_token"]
    assert answer["expires_in"] == answer["ttl"] == 3600
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", answer["created"])
    assert answer["userId"] == str(user["_id"])
    assert answer["user"] == {
        "_id": str(user["_id"]),
        "id": str(user["_id"]),
        "username": "user1",
        "email": "user1@your.site",
        "authStrategy": "local",
        "__v": 0,
    }


async def test_token_carries_the_user_document(accounts):
    answer = await log_in(accounts, "user2", accounts.passwords["user2"])
    claims = accounts.codec.verify(answer["access_token"])
    assert claims["_id"] == answer["userId"]
    assert claims["username"] == "user2"
    assert "password" not in claims
    assert claims["exp"] - claims["iat"] == 3600


async def test_wrong_credentials_are_unauthenticated(accounts):
    cases = [
        ("user1", "wrong"),
        ("nobody", "whatever"),
        ("user1", "x" * 100),
        ("user1", ""),
    ]
    for username, password in cases:
        with pytest.raises(UnauthenticatedError):
            await log_in(accounts, username, password)


async def test_user_without_password_cannot_log_in(accounts):
    await accounts.store.collection("User").update_one(
        {"username": "user4"}, {"$unset": {"password": ""}}
    )
    with pytest.raises(UnauthenticatedError):
        await log_in(accounts, "user4", accounts.passwords["user4"])


async def test_login_refreshes_access_groups_from_roles_and_providers(accounts):
    user = await accounts.user("user1")
    identities = accounts.store.collection("UserIdentity")
    await identities.update_one(
        {"userId": user["_id"]}, {"$set": {"profile.accessGroups": ["stale"]}}
    )
    await log_in(accounts, "user1", accounts.passwords["user1"])
    identity = await identities.find_one({"userId": user["_id"]})
    assert identity["profile"]["accessGroups"] == ["group1"]


async def test_login_creates_default_settings_once(accounts):
    user = await accounts.user("user5.1")
    settings = accounts.store.collection("UserSetting")
    assert await settings.count_documents({"userId": user["_id"]}) == 0
    await log_in(accounts, "user5.1", accounts.passwords["user5.1"])
    await log_in(accounts, "user5.1", accounts.passwords["user5.1"])
    stored = await settings.find({"userId": user["_id"]}).to_list(None)
    assert len(stored) == 1
    assert stored[0]["datasetCount"] == 25
    assert stored[0]["jobCount"] == 25
    assert stored[0]["externalSettings"] == {}


async def test_login_gives_a_user_without_identity_one(accounts):
    user = await accounts.user("user4")
    identities = accounts.store.collection("UserIdentity")
    await identities.delete_many({"userId": user["_id"]})
    await log_in(accounts, "user4", accounts.passwords["user4"])
    identity = await identities.find_one({"userId": user["_id"]})
    assert identity["profile"]["accessGroups"] == ["group4"]
