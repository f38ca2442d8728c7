"""Groups recomputed from UserRole → Role names and the identity's access groups."""

from __future__ import annotations

import pytest
from bson import ObjectId

from common.identity import users
from common.identity.users import GROUP_SOURCES, CurrentGroups, current_groups


async def test_role_renames_and_new_links_count_on_the_next_call(accounts) -> None:
    user = await accounts.user("user1")
    store = accounts.store
    assert await current_groups(store, user["_id"]) == ["group1"]

    link = await store.collection("UserRole").find_one({"userId": user["_id"]})
    await store.collection("Role").update_one(
        {"_id": link["roleId"]}, {"$set": {"name": "renamed"}}
    )
    role = ObjectId()
    await store.collection("Role").insert_one({"_id": role, "name": "extra"})
    await store.collection("UserRole").insert_one(
        {"_id": ObjectId(), "userId": user["_id"], "roleId": role}
    )

    groups = await current_groups(store, user["_id"])
    assert set(groups) == {"renamed", "extra", "group1"}
    # Role names first, then the identity's groups, without repeats.
    assert groups.index("renamed") < groups.index("group1")


async def test_string_user_ids_and_broken_links_are_handled(accounts) -> None:
    user = await accounts.user("user1")
    store = accounts.store
    await store.collection("UserRole").insert_one(
        {"_id": ObjectId(), "userId": user["_id"]}
    )

    assert await current_groups(store, str(user["_id"])) == ["group1"]


async def test_a_user_without_identity_has_only_role_groups(accounts) -> None:
    user = await accounts.user("user1")
    await accounts.store.collection("UserIdentity").delete_many({"userId": user["_id"]})

    assert await current_groups(accounts.store, user["_id"]) == ["group1"]


# --- CurrentGroups: the same answers, read again only after a change ----------


class CountingReads:
    """``current_groups`` as CurrentGroups calls it, counted."""

    def __init__(self, monkeypatch) -> None:
        self.calls = 0
        original = users.current_groups

        async def counted(store, user_id):
            self.calls += 1
            return await original(store, user_id)

        monkeypatch.setattr(users, "current_groups", counted)


async def test_kept_groups_follow_every_change_of_their_sources(accounts) -> None:
    user = await accounts.user("user1")
    store = accounts.store
    groups = CurrentGroups(store)
    assert await groups(user["_id"]) == ("group1",)

    link = await store.collection("UserRole").find_one({"userId": user["_id"]})
    await store.collection("Role").update_one(
        {"_id": link["roleId"]}, {"$set": {"name": "renamed"}}
    )
    assert await groups(user["_id"]) == ("renamed", "group1")

    role = ObjectId()
    await store.collection("Role").insert_one({"_id": role, "name": "extra"})
    await store.collection("UserRole").insert_one(
        {"_id": ObjectId(), "userId": user["_id"], "roleId": role}
    )
    assert set(await groups(str(user["_id"]))) == {"renamed", "extra", "group1"}

    await store.collection("UserIdentity").update_one(
        {"userId": user["_id"]}, {"$set": {"profile.accessGroups": ["beamline"]}}
    )
    assert set(await groups(user["_id"])) == {"renamed", "extra", "beamline"}

    await store.collection("UserRole").delete_many({"userId": user["_id"]})
    assert await groups(user["_id"]) == ("beamline",)


async def test_groups_are_read_again_only_after_their_sources_change(
    accounts, monkeypatch
) -> None:
    if accounts.store.generation(GROUP_SOURCES) is None:
        pytest.skip("this store cannot tell when collections change")
    user = await accounts.user("user1")
    reads = CountingReads(monkeypatch)
    groups = CurrentGroups(accounts.store)

    await groups(user["_id"])
    await groups(str(user["_id"]))
    await accounts.store.collection("Dataset").insert_one({"_id": "unrelated"})
    await groups(user["_id"])
    assert reads.calls == 1

    await accounts.store.collection("UserIdentity").update_one(
        {"userId": user["_id"]}, {"$set": {"modified": "now"}}
    )
    await groups(user["_id"])
    assert reads.calls == 2


class BlindStore:
    """A store that cannot tell when collections change (as MongoDB)."""

    def __init__(self, store) -> None:
        self._store = store

    def collection(self, name):
        return self._store.collection(name)

    def generation(self, collections):
        return None


async def test_a_store_that_cannot_tell_is_read_on_every_call(
    accounts, monkeypatch
) -> None:
    user = await accounts.user("user1")
    reads = CountingReads(monkeypatch)
    groups = CurrentGroups(BlindStore(accounts.store))

    assert await groups(user["_id"]) == ("group1",)
    assert await groups(user["_id"]) == ("group1",)
    assert reads.calls == 2


async def test_users_kept_are_bounded(accounts, monkeypatch) -> None:
    monkeypatch.setattr(users, "GROUPS_KEPT", 2)
    groups = CurrentGroups(accounts.store)
    names = ["user1", "user2", "user3"]
    ids = [(await accounts.user(name))["_id"] for name in names]

    answers = [await groups(user_id) for user_id in ids]

    assert len(groups._kept) <= 2
    assert [await groups(user_id) for user_id in ids] == answers
