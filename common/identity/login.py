"""Local login as SciCat's ``POST /auth/login`` performs it (reference §3.1, §5.6)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from common import jsoncodec
from common.errors import UnauthenticatedError
from common.identity.passwords import check_password
from common.identity.tokens import TokenCodec
from common.identity.users import (
    ensure_user_settings,
    find_user_with_password,
    refresh_login_groups,
    user_json,
)
from common.settings import Settings
from common.store.interface import Store

logger = logging.getLogger(__name__)

# Nest's bare UnauthorizedException() message.
WRONG_CREDENTIALS = "Unauthorized"


async def login(
    store: Store,
    settings: Settings,
    codec: TokenCodec,
    username: str,
    password: str,
) -> dict[str, Any]:
    """Check the credentials and answer SciCat's login object.

    Raises :class:`UnauthenticatedError` for an unknown user, a wrong password,
    a user without one, or a password bcrypt cannot take (over 72 bytes).
    Refreshes the identity's access groups and creates default user settings.
    """
    user = await find_user_with_password(store, username)
    hashed = user.get("password") if user else None
    if user is None or not await check_password(password, _text(hashed)):
        logger.info("login refused", extra={"username": username})
        raise UnauthenticatedError(WRONG_CREDENTIALS)

    await refresh_login_groups(store, settings, user)
    rendered = user_json(user)
    token = codec.sign(rendered)
    await ensure_user_settings(store, user["_id"])

    logger.info("login", extra={"username": username, "user_id": rendered["id"]})
    return {
        "access_token": token,
        "id": token,
        "expires_in": codec.expires_in,
        "ttl": codec.expires_in,
        "created": jsoncodec.format_datetime(datetime.now(UTC)),
        "userId": rendered["_id"],
        "user": rendered,
    }


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
