"""Groups recomputed from UserRole → Role names and the identity's access groups."""

from __future__ import annotations

from bson import ObjectId

from common.identity.users import current_groups


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
