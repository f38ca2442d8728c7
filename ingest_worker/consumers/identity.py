"""Who sent a message: a bearer token, else the broker-verified AMQP user.

    authorization: Bearer <jwt>   verified with INGEST_TOKEN_GRACE_SECONDS past
                                  ``exp`` (messages wait in queues); a token
                                  that fails is a rejection, never a fallback
    x-scicat-amqp-user (signed)   the AMQP user_id of an earlier delivery of
                                  this very message (retries, dead-letter replay)
    user_id property              verified by the broker against the
                                  publisher's connection
    none of these                 rejected ``unauthenticated``

The account is looked up by username and its groups recomputed per message.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from common.errors import UnauthenticatedError
from common.identity.authenticator import JwtAuthenticator
from common.identity.principal import Identity

from .contract import (
    AMQP_USER_HEADER,
    AMQP_USER_SIGNATURE_HEADER,
    AUTHORIZATION_HEADER,
)
from .inbound import Delivery


class UserSigner:
    """Signs an AMQP user for one message (routing key, id, body) with our secret.

    Bound to the body, so a signature cannot be moved to another message.
    """

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"scicat-amqp-user\0" + secret.encode()).digest()

    def sign(self, user: str, routing_key: str, message_id: str, body: bytes) -> str:
        digest = hashlib.sha256(body).hexdigest()
        text = "\0".join((user, routing_key, message_id, digest))
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()

    def verify(
        self,
        user: str,
        signature: str,
        routing_key: str,
        message_id: str,
        body: bytes,
    ) -> bool:
        expected = self.sign(user, routing_key, message_id, body)
        return hmac.compare_digest(expected, signature)


def _header_text(headers: dict[str, Any], name: str) -> str | None:
    value = headers.get(name)
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("utf-8", errors="replace")
    return value if isinstance(value, str) and value else None


class MessageIdentities:
    """Resolves the identity of a delivery; raises UnauthenticatedError."""

    def __init__(self, authenticator: JwtAuthenticator, signer: UserSigner) -> None:
        self._authenticator = authenticator
        self._signer = signer

    async def resolve(self, delivery: Delivery, message_id: str) -> Identity:
        raw = delivery.raw
        headers = dict(raw.headers or {})

        token = _header_text(headers, AUTHORIZATION_HEADER)
        if token is not None:
            identity = await self._authenticator.authenticate(token)
            if identity.is_anonymous:
                raise UnauthenticatedError(
                    "the bearer token is invalid, or expired longer ago than "
                    "the grace period"
                )
            return identity

        user = self.amqp_user(delivery, message_id)
        if user is None:
            raise UnauthenticatedError(
                "no credentials: send 'authorization: Bearer <token>' or publish "
                "with a broker-verified user_id"
            )
        found = await self._authenticator.identity_for_username(user)
        if found is None:
            raise UnauthenticatedError(
                f"no account for AMQP user {user}", details={"user_id": user}
            )
        return found

    def amqp_user(self, delivery: Delivery, message_id: str) -> str | None:
        """The verified AMQP user: a re-publication's signed header, else user_id."""
        raw = delivery.raw
        headers = dict(raw.headers or {})
        carried = _header_text(headers, AMQP_USER_HEADER)
        signature = _header_text(headers, AMQP_USER_SIGNATURE_HEADER)
        if (
            carried is not None
            and signature is not None
            and self._signer.verify(
                carried, signature, delivery.routing_key, message_id, raw.body
            )
        ):
            return carried
        return raw.user_id or None
