"""Accounts as SciCat stores them: User, UserIdentity, Role, UserRole, UserSetting.

Document shapes follow the original's Mongoose schemas (reference §2.12):
ObjectId ``_id``s, ``userId``/``roleId`` as ObjectIds, ``__v``, and
``created``/``modified`` on Role and UserIdentity.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId

from common.settings import Settings
from common.store.interface import Document, Store

USER = "User"
USER_IDENTITY = "UserIdentity"
ROLE = "Role"
USER_ROLE = "UserRole"
USER_SETTING = "UserSetting"

# SciCat's UserSettings defaults.
DEFAULT_DATASET_COUNT = 25
DEFAULT_JOB_COUNT = 25

WITHOUT_PASSWORD = {"password": 0}


def now() -> datetime:
    """Dates are stored with millisecond precision, as MongoDB keeps them."""
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def object_id(value: Any) -> ObjectId | None:
    """``value`` as an ObjectId, or None when it cannot be one."""
    if isinstance(value, ObjectId):
        return value
    if isinstance(value, str):
        try:
            return ObjectId(value)
        except (InvalidId, TypeError):
            return None
    return None


def id_key(value: Any) -> Any:
    """The value to look a user id up by: an ObjectId where it parses as one."""
    return object_id(value) or value


def unique(values: Iterable[str]) -> list[str]:
    """Drop blanks and repeats, keeping the first occurrence's order."""
    return list(dict.fromkeys(value for value in values if value))


def user_json(user: Document) -> dict[str, Any]:
    """A User as SciCat's JSON form renders it: no password, string ids, ``id``."""
    rendered = {key: value for key, value in user.items() if key != "password"}
    rendered["_id"] = str(user["_id"])
    rendered["id"] = rendered["_id"]
    return rendered


def provider_access_groups(settings: Settings) -> list[str]:
    """The access-group providers this system implements (reference §5.7).

    Only the static provider exists here; the OIDC-payload and GraphQL providers
    arrive with OIDC (TODO(identity): needs the OIDC login flow).
    """
    if not settings.ACCESS_GROUPS_STATIC_ENABLED:
        return []
    return unique(settings.ACCESS_GROUPS_STATIC_VALUES)


async def find_user(store: Store, user_id: Any) -> Document | None:
    """The User with this id, without its password hash."""
    key = object_id(user_id)
    if key is None:
        return None
    return await store.collection(USER).find_one({"_id": key}, WITHOUT_PASSWORD)


async def find_user_with_password(store: Store, username: str) -> Document | None:
    return await store.collection(USER).find_one({"username": username})


async def find_identity(store: Store, user_id: Any) -> Document | None:
    return await store.collection(USER_IDENTITY).find_one({"userId": id_key(user_id)})


async def role_names(store: Store, role_ids: list[Any]) -> list[str]:
    if not role_ids:
        return []
    roles = (
        await store.collection(ROLE)
        .find({"_id": {"$in": role_ids}}, {"name": 1})
        .to_list(None)
    )
    by_id = {role["_id"]: role.get("name") for role in roles}
    return [name for rid in role_ids if isinstance(name := by_id.get(rid), str)]


async def current_groups(store: Store, user_id: Any) -> list[str]:
    """Role names via UserRole, then the identity's access groups (reference §5.6).

    Three indexed point reads (UserRole and UserIdentity by ``userId``, Role by
    ``_id``) fetching only the top-level fields used. They run one after the other: on
    the embedded store concurrent tasks cost more than they overlap, and on
    MongoDB each is a sub-millisecond indexed read.
    TODO(identity): on MongoDB one aggregation ($lookup Role, $unionWith
    UserIdentity) would be a single round trip; it needs $unionWith in the
    embedded store, whose $lookup today costs more than the two finds.
    """
    key = id_key(user_id)
    links = (
        await store.collection(USER_ROLE)
        .find({"userId": key}, {"roleId": 1, "_id": 0})
        .to_list(None)
    )
    # A top-level projection: the store selects keys instead of walking a path.
    identity = await store.collection(USER_IDENTITY).find_one(
        {"userId": key}, {"profile": 1, "_id": 0}
    )
    role_ids = [rid for link in links if (rid := link.get("roleId")) is not None]
    names = await role_names(store, role_ids)
    profile = (identity or {}).get("profile") or {}
    access_groups = profile.get("accessGroups") or []
    return unique([*names, *(g for g in access_groups if isinstance(g, str))])


# The collections :func:`current_groups` reads.
GROUP_SOURCES = (USER_ROLE, ROLE, USER_IDENTITY)
# Users whose groups are kept while their sources are unchanged.
GROUPS_KEPT = 4096


class CurrentGroups:
    """:func:`current_groups` per user, kept while the store says no write
    reached UserRole, Role or UserIdentity since (the embedded store can tell;
    on MongoDB every call reads, as SciCat does)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._kept: dict[Any, tuple[Hashable, tuple[str, ...]]] = {}

    async def __call__(self, user_id: Any) -> tuple[str, ...]:
        # Taken before the reads: a write during them makes the entry stale.
        stamp = self._store.generation(GROUP_SOURCES)
        key = id_key(user_id)
        if stamp is None:
            return tuple(await current_groups(self._store, key))

        kept = self._kept.get(key)
        if kept is not None and kept[0] == stamp:
            return kept[1]

        groups = tuple(await current_groups(self._store, key))
        if len(self._kept) >= GROUPS_KEPT:
            del self._kept[next(iter(self._kept))]  # the oldest
        self._kept[key] = (stamp, groups)
        return groups


def new_profile(user: Document, access_groups: list[str]) -> dict[str, Any]:
    """A local account's identity profile, as SciCat's seeding writes it."""
    return {
        "displayName": user["username"],
        "email": user["email"],
        "username": user["username"],
        "thumbnailPhoto": "error: no photo found",
        "emails": [{"value": user["email"]}],
        "accessGroups": access_groups,
        "id": str(user["_id"]),
    }


async def save_local_identity(
    store: Store, user: Document, access_groups: list[str]
) -> None:
    """Create or overwrite the local UserIdentity of ``user``."""
    moment = now()
    fields = {
        "authStrategy": "local",
        "credentials": {},
        "externalId": "",
        "profile": new_profile(user, access_groups),
        "provider": "local",
        "userId": user["_id"],
        "modified": moment,
    }
    await store.collection(USER_IDENTITY).update_one(
        {"userId": user["_id"]},
        {"$set": fields, "$setOnInsert": {"created": moment, "__v": 0}},
        upsert=True,
    )


async def refresh_login_groups(
    store: Store, settings: Settings, user: Document
) -> None:
    """At login: identity access groups = provider groups + role names (§3.1)."""
    links = (
        await store.collection(USER_ROLE).find({"userId": user["_id"]}).to_list(None)
    )
    names = await role_names(store, [link["roleId"] for link in links])
    groups = [*provider_access_groups(settings), *names]

    identities = store.collection(USER_IDENTITY)
    result = await identities.update_one(
        {"userId": user["_id"]},
        {"$set": {"profile.accessGroups": groups, "modified": now()}},
    )
    if result.matched_count == 0:
        # SciCat answers 500 for a user without identity; we give it one.
        await save_local_identity(store, user, groups)


async def ensure_user_settings(store: Store, user_id: Any) -> None:
    """Create the default UserSetting of a user that has none (§3.1)."""
    key = id_key(user_id)
    await store.collection(USER_SETTING).update_one(
        {"userId": key},
        {
            "$setOnInsert": {
                "datasetCount": DEFAULT_DATASET_COUNT,
                "jobCount": DEFAULT_JOB_COUNT,
                "externalSettings": {},
                "__v": 0,
            }
        },
        upsert=True,
    )
