"""``/api/v3/auth``: local login, logout and whoami (reference §3.1)."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from common.errors import StoreUnavailableError, UnauthenticatedError
from common.identity.login import login
from common.identity.tokens import TokenCodec
from read_api.errors import HttpError
from read_api.inputs import identity_of, raw_body
from read_api.keys import SERVICES, SETTINGS, STORE
from read_api.routing import RouteGroup

logger = logging.getLogger(__name__)

auth = RouteGroup("/api/v3/auth", tags=("auth",))

FORM_AND_JSON = ("application/json", "application/x-www-form-urlencoded")


class Credentials(BaseModel):
    """A local account's username and password."""

    username: str
    password: str


class UserOut(BaseModel):
    """A User as SciCat returns it: no password, with ``id`` and ``__v``."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    id_: str = Field(alias="_id")
    id: str
    username: str
    email: str
    authStrategy: str | None = None
    realm: str | None = None
    emailVerified: bool | None = None
    v: int = Field(0, alias="__v")


class LoginOut(BaseModel):
    """SciCat's login object: the token twice, its lifetime and the user."""

    access_token: str
    id: str
    expires_in: int
    ttl: int
    created: str
    userId: str
    user: UserOut


class WhoAmIOut(BaseModel):
    """The caller as the API sees it, groups recomputed for this request."""

    id_: str = Field(alias="_id")
    username: str
    email: str | None = None
    currentGroups: list[str]
    authStrategy: str | None = None


class LogoutOut(BaseModel):
    logout: str


def token_codec(app: web.Application) -> TokenCodec:
    """The process's token codec, registered at start-up (or built once here)."""
    services = app[SERVICES]
    if TokenCodec not in services:
        services.add(TokenCodec, TokenCodec.from_settings(app[SETTINGS]))
    return services.get(TokenCodec)


def _unauthorized() -> HttpError:
    # Nest's bare UnauthorizedException() body, as passport-local answers it.
    return HttpError(401, {"message": "Unauthorized", "statusCode": 401})


@auth.post(
    "/login",
    summary="Log in with a local account's username and password",
    body=Credentials,
    response=LoginOut,
    responses={401: None},
    content_types=FORM_AND_JSON,
)
async def post_login(request: web.Request) -> dict[str, Any]:
    body = await raw_body(request)
    username = body.get("username") if isinstance(body, dict) else None
    password = body.get("password") if isinstance(body, dict) else None
    # passport-local refuses missing credentials with a plain 401.
    if not isinstance(username, str) or not isinstance(password, str):
        raise _unauthorized()
    if not username or not password:
        raise _unauthorized()

    store = request.app[STORE]
    if store is None:
        raise StoreUnavailableError("no store configured")
    try:
        return await login(
            store,
            request.app[SETTINGS],
            token_codec(request.app),
            username,
            password,
        )
    except UnauthenticatedError:
        raise _unauthorized() from None


@auth.post(
    "/logout",
    summary="Log out (tokens stay valid until they expire)",
    response=LogoutOut,
    responses={401: str},
    status=200,
)
async def post_logout(request: web.Request) -> dict[str, str]:
    identity = identity_of(request)
    if identity.is_anonymous:
        raise HttpError.string(401, "Not logged in")
    logger.info("logout", extra={"username": identity.username})
    return {"logout": "successful"}


@auth.get(
    "/whoami",
    summary="The calling user and its current groups; empty for anonymous",
    response=WhoAmIOut,
)
async def get_whoami(request: web.Request) -> dict[str, Any] | None:
    identity = identity_of(request)
    if identity.is_anonymous:
        return None
    return {
        "_id": identity.user_id,
        "username": identity.username,
        "email": identity.email,
        "currentGroups": list(identity.groups),
        "authStrategy": identity.auth_strategy,
    }
