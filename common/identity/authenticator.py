"""The real :class:`Authenticator`: token → verified claims → user → current groups.

Groups are never taken from a token; they are SciCat's ``currentGroups``
(reference §5.6) as the store holds them at each call, so a change to a
user's roles or identity takes effect on the next request or message. Where
the store can say that none of their sources changed (the embedded store),
the groups computed last are used again; signatures verified once are not
verified again (:class:`TokenCodec`).
"""

from __future__ import annotations

import logging
from typing import Any

from common.identity.principal import ANONYMOUS, Identity
from common.identity.tokens import TokenCodec
from common.identity.users import USER, CurrentGroups, find_user, object_id
from common.settings import Settings
from common.store.interface import Store

logger = logging.getLogger(__name__)

BEARER = "bearer "


def strip_bearer(token: str | None) -> str | None:
    """The token itself, with or without a ``Bearer`` prefix; None when blank."""
    if token is None:
        return None
    text = token.strip()
    if text[: len(BEARER)].lower() == BEARER:
        text = text[len(BEARER) :].strip()
    return text or None


class JwtAuthenticator:
    """Authenticates the API's tokens against the store's accounts.

    ``leeway_seconds`` accepts tokens that long past their ``exp``: the worker
    uses ``INGEST_TOKEN_GRACE_SECONDS`` because messages wait in queues.
    """

    def __init__(
        self, store: Store, codec: TokenCodec, *, leeway_seconds: float = 0
    ) -> None:
        self._store = store
        self._codec = codec
        self._leeway = leeway_seconds
        self._groups = CurrentGroups(store)

    async def authenticate(self, token: str | None) -> Identity:
        """The caller behind ``token``; anonymous for a missing or invalid one."""
        raw = strip_bearer(token)
        if raw is None:
            return ANONYMOUS
        claims = self._codec.verify(raw, self._leeway)
        if claims is None:
            return ANONYMOUS
        return await self.identity_from_claims(claims)

    async def identity_from_claims(self, claims: dict[str, Any]) -> Identity:
        user_id = claims.get("_id")
        if user_id is None:
            return await self._service_token_identity(claims)

        return Identity(
            username=_text(claims.get("username")) or str(user_id),
            user_id=str(user_id),
            email=_text(claims.get("email")),
            groups=await self._groups(user_id),
            auth_strategy=_text(claims.get("authStrategy")),
        )

    async def identity_for_username(self, username: str) -> Identity | None:
        """The account called ``username`` (e.g. a broker-verified AMQP user)."""
        user = await self._store.collection(USER).find_one(
            {"username": username}, {"password": 0}
        )
        if user is None:
            return None
        return await self._identity_of_user(user)

    async def _service_token_identity(self, claims: dict[str, Any]) -> Identity:
        """Tokens from ``POST /users/jwt`` carry ``{username, groups}`` only.

        Their ``username`` holds the user's id; the account's groups are
        recomputed as for any token, and the claimed ``groups`` are ignored. The
        anonymous variant (``username: anonymous``) stays anonymous.
        """
        user_id = object_id(claims.get("username"))
        user = await find_user(self._store, user_id) if user_id else None
        if user is None:
            return ANONYMOUS
        return await self._identity_of_user(user)

    async def _identity_of_user(self, user: dict[str, Any]) -> Identity:
        return Identity(
            username=str(user.get("username", "")),
            user_id=str(user["_id"]),
            email=_text(user.get("email")),
            groups=await self._groups(user["_id"]),
            auth_strategy=_text(user.get("authStrategy")),
        )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def api_authenticator(
    store: Store, settings: Settings, codec: TokenCodec | None = None
) -> JwtAuthenticator:
    """The authenticator of HTTP requests: tokens are valid until ``exp``."""
    return JwtAuthenticator(store, codec or TokenCodec.from_settings(settings))


def message_authenticator(
    store: Store, settings: Settings, codec: TokenCodec | None = None
) -> JwtAuthenticator:
    """The authenticator of queued messages: a grace period past ``exp``."""
    return JwtAuthenticator(
        store,
        codec or TokenCodec.from_settings(settings),
        leeway_seconds=settings.INGEST_TOKEN_GRACE_SECONDS,
    )
