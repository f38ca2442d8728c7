"""Messages the worker sends on a delivery's behalf: replies, retries, dead letters.

Each is published on the channel the delivery came from, in confirm mode, and
counts as sent only once the broker confirmed it; only then is the original
acknowledged. A retry or dead letter keeps the original body and properties.
The AMQP ``user_id`` is the one exception: the broker refuses a ``user_id``
other than the publishing connection's, so it travels in a signed header
instead (see :mod:`.identity`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import aio_pika
import aiormq
from aio_pika.abc import AbstractIncomingMessage
from pamqp import commands as spec

from common import jsoncodec

from .contract import (
    AMQP_USER_HEADER,
    AMQP_USER_SIGNATURE_HEADER,
    ATTEMPTS_HEADER,
    DEAD_AT_HEADER,
    ERROR_CODE_HEADER,
    ERROR_HEADER,
    ROUTING_KEY_HEADER,
    DeadLetterError,
    Reply,
)
from .identity import UserSigner
from .outcomes import Rejected

# A header frame must fit in one AMQP frame (128 KiB by default), so the
# reason attached to a dead letter is bounded.
MAX_ERROR_HEADER_BYTES = 16_384
_TRUNCATED_MESSAGE = 2_000

PUBLISH_ERRORS: tuple[type[BaseException], ...] = (
    aiormq.exceptions.AMQPError,
    aiormq.exceptions.ChannelInvalidStateError,
    ConnectionError,
    TimeoutError,
)


class PublishFailed(Exception):
    """The broker did not confirm a publication (channel gone, nack, timeout)."""


def _encodable(value: Any) -> Any:
    # Header values come back from the decoder as bytes, which the encoder
    # only accepts as bytearray.
    if isinstance(value, bytes):
        return bytearray(value)
    if isinstance(value, dict):
        return {key: _encodable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_encodable(item) for item in value]
    return value


def error_header(rejection: Rejected) -> str:
    """The ``x-scicat-error`` JSON, bounded so it always fits a frame."""
    text = DeadLetterError(
        message=rejection.message, details=rejection.details
    ).model_dump_json()
    if len(text.encode()) <= MAX_ERROR_HEADER_BYTES:
        return text
    return DeadLetterError(
        message=rejection.message[:_TRUNCATED_MESSAGE],
        details={"truncated": True, "size": len(text)},
    ).model_dump_json()


class OutgoingCopies:
    """Builds and publishes the messages derived from a delivery."""

    def __init__(
        self, signer: UserSigner, worker_user: str, *, timeout: float = 30.0
    ) -> None:
        self._signer = signer
        self._worker_user = worker_user
        self._timeout = timeout

    async def reply(self, raw: AbstractIncomingMessage, reply: Reply) -> None:
        """Send ``reply`` to the delivery's ``reply_to`` with its correlation id."""
        properties = aio_pika.Message(
            b"",
            content_type="application/json",
            correlation_id=raw.correlation_id,
            message_id=uuid.uuid4().hex,
            headers={ROUTING_KEY_HEADER: raw.routing_key or ""},
        ).properties
        await self._publish(
            raw,
            jsoncodec.dumps(reply.body()),
            exchange="",
            routing_key=str(raw.reply_to),
            properties=properties,
        )

    async def retry(
        self,
        raw: AbstractIncomingMessage,
        *,
        exchange: str,
        routing_key: str,
        attempts: int,
    ) -> None:
        """Re-publish to a delay exchange, keeping the routing key it came with."""
        headers = {ATTEMPTS_HEADER: attempts}
        await self._publish(
            raw,
            raw.body,
            exchange=exchange,
            routing_key=routing_key,
            properties=self._copied(raw, routing_key, headers),
        )

    async def dead_letter(
        self,
        raw: AbstractIncomingMessage,
        *,
        exchange: str,
        routing_key: str,
        attempts: int,
        rejection: Rejected,
    ) -> None:
        """Publish the original with the reason headers to the dead-letter exchange."""
        headers: dict[str, Any] = {
            ERROR_CODE_HEADER: rejection.code.value,
            ERROR_HEADER: error_header(rejection),
            ROUTING_KEY_HEADER: routing_key,
            ATTEMPTS_HEADER: attempts,
            DEAD_AT_HEADER: jsoncodec.format_datetime(dt.datetime.now(dt.UTC)),
        }
        await self._publish(
            raw,
            raw.body,
            exchange=exchange,
            routing_key=routing_key,
            properties=self._copied(raw, routing_key, headers),
        )

    def _copied(
        self, raw: AbstractIncomingMessage, routing_key: str, added: dict[str, Any]
    ) -> spec.Basic.Properties:
        headers = {key: _encodable(value) for key, value in (raw.headers or {}).items()}
        headers.update(added)
        user_id = raw.user_id
        if user_id and user_id != self._worker_user:
            headers[AMQP_USER_HEADER] = user_id
            if raw.message_id:
                headers[AMQP_USER_SIGNATURE_HEADER] = self._signer.sign(
                    user_id, routing_key, raw.message_id, raw.body
                )
            user_id = None
        return aio_pika.Message(
            b"",
            headers=headers,
            content_type=raw.content_type,
            content_encoding=raw.content_encoding,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            priority=raw.priority,
            correlation_id=raw.correlation_id,
            reply_to=raw.reply_to,
            message_id=raw.message_id,
            timestamp=raw.timestamp,
            type=raw.type,
            user_id=user_id,
            app_id=raw.app_id,
        ).properties

    async def _publish(
        self,
        raw: AbstractIncomingMessage,
        body: bytes,
        *,
        exchange: str,
        routing_key: str,
        properties: spec.Basic.Properties,
    ) -> None:
        try:
            confirmation = await raw.channel.basic_publish(
                body,
                exchange=exchange,
                routing_key=routing_key,
                properties=properties,
                timeout=self._timeout,
            )
        except PUBLISH_ERRORS as exc:
            raise PublishFailed(f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(confirmation, spec.Basic.Ack):
            raise PublishFailed(f"the broker did not confirm: {confirmation!r}")
