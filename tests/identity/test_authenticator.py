"""Token → identity, with groups recomputed from the store on every call."""

from __future__ import annotations

import time

from bson import ObjectId

from common.identity.authenticator import JwtAuthenticator
from common.identity.principal import ANONYMOUS
from common.identity.tokens import TokenCodec


async def test_login_token_gives_the_account_and_its_groups(accounts):
    token = await accounts.token("admin")
    identity = await accounts.authenticator.authenticate(token)
    admin = await accounts.user("admin")
    assert identity.username == "admin"
    assert identity.user_id == str(admin["_id"])
    assert identity.email == "admin@scicat.project"
    assert identity.auth_strategy == "local"
    assert set(identity.groups) == {"admin", "globalaccess"}
    assert not identity.is_anonymous


async def test_bearer_prefix_is_optional(accounts):
    token = await accounts.token("user1")
    for presented in (token, f"Bearer {token}", f"bearer  {token} "):
        identity = await accounts.authenticator.authenticate(presented)
        assert identity.username == "user1"


async def test_groups_are_recomputed_on_every_call(accounts):
    token = await accounts.token("user1")
    assert (await accounts.authenticator.authenticate(token)).groups == ("group1",)

    user = await accounts.user("user1")
    await accounts.store.collection("UserIdentity").update_one(
        {"userId": user["_id"]}, {"$set": {"profile.accessGroups": ["group1", "new"]}}
    )
    assert set((await accounts.authenticator.authenticate(token)).groups) == {
        "group1",
        "new",
    }

    # Dropping the UserRole link removes the role's group too.
    await accounts.store.collection("UserRole").delete_many({"userId": user["_id"]})
    await accounts.store.collection("UserIdentity").update_one(
        {"userId": user["_id"]}, {"$set": {"profile.accessGroups": []}}
    )
    assert (await accounts.authenticator.authenticate(token)).groups == ()


async def test_groups_in_the_token_are_not_trusted(accounts):
    user = await accounts.user("user4")
    forged_claims = {
        "_id": str(user["_id"]),
        "username": "user4",
        "currentGroups": ["admin"],
        "groups": ["admin"],
    }
    identity = await accounts.authenticator.authenticate(
        accounts.codec.sign(forged_claims)
    )
    assert identity.groups == ("group4",)


async def test_invalid_tokens_are_anonymous(accounts):
    token = await accounts.token("admin")
    other = TokenCodec("a-different-secret-of-sufficient-length", expires_in=60)
    expired = accounts.codec.sign({"_id": "x"}, expires_in=1, now=time.time() - 10)
    for bad in (
        None,
        "",
        "Bearer ",
        token[:-3] + "abc",
        other.sign({"_id": "x"}),
        expired,
    ):
        assert await accounts.authenticator.authenticate(bad) is ANONYMOUS


async def test_message_authenticator_accepts_tokens_within_the_grace(accounts):
    user = await accounts.user("user1")
    late = accounts.codec.sign(
        {"_id": str(user["_id"]), "username": "user1"},
        expires_in=60,
        now=time.time() - 3600,
    )
    assert await accounts.authenticator.authenticate(late) is ANONYMOUS
    worker = JwtAuthenticator(
        accounts.store,
        accounts.codec,
        leeway_seconds=accounts.settings.INGEST_TOKEN_GRACE_SECONDS,
    )
    assert (await worker.authenticate(late)).groups == ("group1",)


async def test_service_tokens_resolve_the_user_id_and_ignore_claimed_groups(accounts):
    user = await accounts.user("user3")
    token = accounts.codec.sign({"username": str(user["_id"]), "groups": ["admin"]})
    identity = await accounts.authenticator.authenticate(token)
    assert identity.username == "user3"
    assert identity.groups == ("group3",)


async def test_anonymous_service_token_stays_anonymous(accounts):
    token = accounts.codec.sign({"username": "anonymous", "groups": ["public"]})
    assert await accounts.authenticator.authenticate(token) is ANONYMOUS
    unknown = accounts.codec.sign({"username": str(ObjectId()), "groups": ["x"]})
    assert await accounts.authenticator.authenticate(unknown) is ANONYMOUS


async def test_identity_for_a_broker_username(accounts):
    identity = await accounts.authenticator.identity_for_username("datasetIngestor")
    assert identity is not None
    assert identity.groups == ("datasetingestor",)
    assert await accounts.authenticator.identity_for_username("nobody") is None
