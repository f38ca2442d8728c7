"""``/api/v3/users``: the caller's own account and, for admins, anyone's (§3.2)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from common.errors import ForbiddenError, StoreUnavailableError
from common.identity.principal import Identity
from common.identity.users import (
    USER_SETTING,
    find_identity,
    find_user,
    id_key,
    user_json,
)
from common.permissions.groups import GroupConfig, is_admin
from common.store.interface import Store
from read_api.inputs import identity_of
from read_api.keys import SERVICES, SETTINGS, STORE
from read_api.routes.auth import LogoutOut, UserOut, post_logout, token_codec
from read_api.routing import RouteGroup

users = RouteGroup("/api/v3/users", tags=("users",), auth=True)

FORBIDDEN = "Access Forbidden or Unauthorized"


class JwtOut(BaseModel):
    """A token for an external service, carrying the caller's id and groups."""

    jwt: str


class UserSettingsOut(BaseModel):
    """A user's frontend settings."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    id_: str = Field(alias="_id")
    userId: str
    datasetCount: int = 25
    jobCount: int = 25
    externalSettings: dict[str, Any] = Field(default_factory=dict)


class UserIdentityOut(BaseModel):
    """A UserIdentity as SciCat returns it (profile, provider, ``userId``)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    id_: str = Field(alias="_id")
    id: str
    userId: str
    authStrategy: str | None = None
    provider: str | None = None
    externalId: str | None = None
    profile: dict[str, Any] = Field(default_factory=dict)
    credentials: dict[str, Any] = Field(default_factory=dict)
    created: str | None = None
    modified: str | None = None


def group_config(app: web.Application) -> GroupConfig:
    services = app[SERVICES]
    if GroupConfig not in services:
        services.add(GroupConfig, GroupConfig.from_settings(app[SETTINGS]))
    return services.get(GroupConfig)


def store_of(request: web.Request) -> Store:
    store = request.app[STORE]
    if store is None:
        raise StoreUnavailableError("no store configured")
    return store


def require_self_or_admin(request: web.Request, user_id: str) -> Identity:
    """SciCat's UserReadOwn / UserReadAny check: 403 for anyone else's id."""
    identity = identity_of(request)
    if identity.user_id == user_id or is_admin(identity, group_config(request.app)):
        return identity
    raise ForbiddenError(FORBIDDEN)


def identity_json(document: dict[str, Any]) -> dict[str, Any]:
    """A stored UserIdentity in SciCat's JSON form (string ids, virtual ``id``)."""
    rendered = dict(document)
    rendered["_id"] = str(document["_id"])
    rendered["id"] = rendered["_id"]
    if "userId" in document:
        rendered["userId"] = str(document["userId"])
    return rendered


@users.get("/my/self", summary="The caller's own user record", response=UserOut)
async def get_my_self(request: web.Request) -> dict[str, Any] | None:
    identity = identity_of(request)
    user = await find_user(store_of(request), identity.user_id)
    return user_json(user) if user is not None else None


@users.get(
    "/{id}",
    summary="A user record: one's own, or anyone's for admins",
    response=UserOut,
    responses={401: None, 403: None},
)
async def get_user(request: web.Request) -> dict[str, Any] | None:
    user_id = request.match_info["id"]
    require_self_or_admin(request, user_id)
    user = await find_user(store_of(request), user_id)
    return user_json(user) if user is not None else None


@users.get(
    "/{id}/userIdentity",
    summary="A user's identity (profile, access groups): own, or any for admins",
    response=UserIdentityOut,
    responses={401: None, 403: None},
)
async def get_user_identity(request: web.Request) -> dict[str, Any] | None:
    user_id = request.match_info["id"]
    require_self_or_admin(request, user_id)
    found = await find_identity(store_of(request), user_id)
    return identity_json(found) if found is not None else None


@users.get(
    "/my/identity",
    summary="The caller's own identity (profile, access groups)",
    response=UserIdentityOut,
)
async def get_my_identity(request: web.Request) -> dict[str, Any] | None:
    found = await find_identity(store_of(request), identity_of(request).user_id)
    return identity_json(found) if found is not None else None


@users.get(
    "/my/settings",
    summary="The caller's own settings; empty when there are none",
    response=UserSettingsOut,
)
async def get_my_settings(request: web.Request) -> dict[str, Any] | None:
    key = id_key(identity_of(request).user_id)
    return await store_of(request).collection(USER_SETTING).find_one({"userId": key})


@users.post(
    "/jwt",
    summary="A token for external services; anonymous callers get a public one",
    response=JwtOut,
    auth=False,
)
async def post_jwt(request: web.Request) -> dict[str, str]:
    identity = identity_of(request)
    if identity.is_anonymous:
        claims: dict[str, Any] = {"username": "anonymous", "groups": ["public"]}
    else:
        claims = {"username": identity.user_id, "groups": list(identity.groups)}
    return {"jwt": token_codec(request.app).sign(claims)}


users.add(
    "POST",
    "/logout",
    post_logout,
    summary="Log out (same as /auth/logout)",
    response=LogoutOut,
    responses={401: str},
    status=200,
    auth=False,
)
