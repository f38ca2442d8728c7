"""Functional accounts are stored as SciCat stores them (reference §5.5)."""

from __future__ import annotations

import json

import pytest
from bson import ObjectId

from common.errors import ConfigurationError
from common.identity.passwords import check_password, hash_password
from common.identity.seeding import seed_functional_accounts


async def test_users_are_local_with_bcrypt_hashes(accounts):
    user = await accounts.user("user1")
    assert isinstance(user["_id"], ObjectId)
    assert user["email"] == "user1@your.site"
    assert user["authStrategy"] == "local"
    assert user["__v"] == 0
    assert user["password"].startswith("$2")
    assert await check_password(accounts.passwords["user1"], user["password"])
    assert await accounts.store.collection("User").count_documents({}) == 13


async def test_identity_holds_roles_and_globalaccess(accounts):
    admin = await accounts.user("admin")
    identity = await accounts.store.collection("UserIdentity").find_one(
        {"userId": admin["_id"]}
    )
    assert identity["provider"] == "local"
    assert identity["authStrategy"] == "local"
    assert identity["profile"]["accessGroups"] == ["admin", "globalaccess"]
    assert identity["profile"]["id"] == str(admin["_id"])
    assert identity["profile"]["username"] == "admin"
    assert identity["profile"]["emails"] == [{"value": "admin@scicat.project"}]
    assert identity["created"].tzinfo is not None


async def test_roles_and_links(accounts):
    roles = accounts.store.collection("Role")
    names = {role["name"] for role in await roles.find({}).to_list(None)}
    assert {"admin", "globalaccess", "group1", "group6", "user6"} <= names
    user6 = await accounts.user("user6")
    links = (
        await accounts.store.collection("UserRole")
        .find({"userId": user6["_id"]})
        .to_list(None)
    )
    linked = {(await roles.find_one({"_id": link["roleId"]}))["name"] for link in links}
    assert linked == {"group6", "user6"}


async def test_reseeding_keeps_passwords_and_duplicates_nothing(accounts):
    store, settings = accounts.store, accounts.settings
    before = await accounts.user("user1")
    changed = await hash_password("changed-by-the-user", rounds=4)
    await store.collection("User").update_one(
        {"_id": before["_id"]}, {"$set": {"password": changed}}
    )
    await seed_functional_accounts(store, settings)
    after = await accounts.user("user1")
    assert after["password"] == changed
    assert await store.collection("User").count_documents({}) == 13
    assert await store.collection("UserIdentity").count_documents({}) == 13
    assert (
        await store.collection("UserRole").count_documents({"userId": after["_id"]})
        == 1
    )
    assert await store.collection("Role").count_documents({"name": "group1"}) == 1


async def test_reseeding_restores_the_identity_groups(accounts):
    user = await accounts.user("user1")
    identities = accounts.store.collection("UserIdentity")
    await identities.update_one(
        {"userId": user["_id"]}, {"$set": {"profile.accessGroups": []}}
    )
    await seed_functional_accounts(accounts.store, accounts.settings)
    identity = await identities.find_one({"userId": user["_id"]})
    assert identity["profile"]["accessGroups"] == ["group1"]


async def test_static_access_groups_join_the_identity(
    settings_factory, tmp_path, store
):
    path = tmp_path / "accounts.json"
    path.write_text(
        json.dumps(
            [{"username": "svc", "email": "svc@x", "password": "pw", "role": "r"}]
        )
    )
    settings = settings_factory(
        FUNCTIONAL_ACCOUNTS_FILE=path, ACCESS_GROUPS_STATIC_VALUES="ess, ,staff"
    )
    await seed_functional_accounts(store, settings)
    identity = await store.collection("UserIdentity").find_one({})
    assert identity["profile"]["accessGroups"] == ["r", "ess", "staff"]


async def test_no_file_seeds_nothing_with_a_warning(
    settings_factory, tmp_path, caplog, store
):
    settings = settings_factory(FUNCTIONAL_ACCOUNTS_FILE=tmp_path / "missing.json")
    assert await seed_functional_accounts(store, settings) == 0
    assert await store.collection("User").count_documents({}) == 0
    assert "no functional accounts file" in caplog.text


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        '{"username": "x"}',
        '[{"username": "x"}]',
        '[{"username": "x", "email": "x@y", "password": "' + "p" * 73 + '"}]',
    ],
)
async def test_invalid_file_is_a_configuration_error(
    settings_factory, tmp_path, content, store
):
    path = tmp_path / "accounts.json"
    path.write_text(content)
    with pytest.raises(ConfigurationError, match="functional accounts file"):
        await seed_functional_accounts(
            store, settings_factory(FUNCTIONAL_ACCOUNTS_FILE=path)
        )


async def test_existing_user_found_by_email_is_reused(
    settings_factory, tmp_path, store
):
    await store.collection("User").insert_one(
        {"_id": ObjectId(), "username": "old-name", "email": "svc@x", "password": "h"}
    )
    path = tmp_path / "accounts.json"
    path.write_text(
        json.dumps(
            [{"username": "svc", "email": "svc@x", "password": "pw", "role": "r"}]
        )
    )
    await seed_functional_accounts(
        store, settings_factory(FUNCTIONAL_ACCOUNTS_FILE=path)
    )
    assert await store.collection("User").count_documents({}) == 1
    assert (await store.collection("User").find_one({}))["password"] == "h"
