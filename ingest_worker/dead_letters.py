"""Reading and replaying ``<ns>.dead`` without losing or reordering anything.

Peeking takes every message with ``basic.get`` and no ack, then closes the
channel, which returns them all. A quorum queue does not keep the order of
returned messages (measured on RabbitMQ 3.10: a returned batch comes back
shuffled), so the order shown and replayed is the order of dead-lettering,
recorded by the worker in ``x-scicat-dead-at`` (the broker's ``x-death`` time
for messages it dead-lettered itself), ties broken by queue position.

Replay re-publishes the selected messages to ``<ns>.ingest`` with their
original routing key, message id, body and properties, in that order, and
acknowledges (removes) each dead letter only after the broker confirmed its
copy; the others go back to the queue when the channel closes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any

import aio_pika
from aio_pika.abc import AbstractConnection, AbstractIncomingMessage

from common import jsoncodec
from ingest_worker.consumers.contract import (
    ATTEMPTS_HEADER,
    BROKER_HEADERS,
    DEAD_AT_HEADER,
    ERROR_CODE_HEADER,
    ERROR_HEADER,
    REPLAYED_AT_HEADER,
    ROUTING_KEY_HEADER,
)
from ingest_worker.topology import Topology

logger = logging.getLogger(__name__)

# What the worker adds to a dead letter; a replayed message starts clean.
_REASON_HEADERS = (
    ERROR_CODE_HEADER,
    ERROR_HEADER,
    ATTEMPTS_HEADER,
    DEAD_AT_HEADER,
    ROUTING_KEY_HEADER,
)


def _text(value: Any) -> str | None:
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One message of the dead queue, with the reason the worker recorded."""

    position: int
    message: AbstractIncomingMessage

    @property
    def headers(self) -> dict[str, Any]:
        return dict(self.message.headers or {})

    @property
    def code(self) -> str:
        code = _text(self.headers.get(ERROR_CODE_HEADER))
        if code is not None:
            return code
        death = self._death()
        return f"broker:{_text(death.get('reason')) or 'unknown'}" if death else ""

    @property
    def error(self) -> dict[str, Any]:
        raw = _text(self.headers.get(ERROR_HEADER))
        if raw is None:
            return {"message": "dead-lettered by the broker", "details": self._death()}
        try:
            parsed = json.loads(raw)
        except ValueError:
            return {"message": raw, "details": None}
        return parsed if isinstance(parsed, dict) else {"message": raw}

    @property
    def routing_key(self) -> str:
        """The key the message was first published with."""
        recorded = _text(self.headers.get(ROUTING_KEY_HEADER))
        if recorded:
            return recorded
        keys = self._death().get("routing-keys") or []
        if keys and _text(keys[0]):
            return str(_text(keys[0]))
        return self.message.routing_key or ""

    @property
    def dead_at(self) -> str:
        recorded = _text(self.headers.get(DEAD_AT_HEADER))
        if recorded:
            return recorded
        moment = self._death().get("time")
        if isinstance(moment, dt.datetime):
            return jsoncodec.format_datetime(moment)
        return ""

    @property
    def attempts(self) -> int | None:
        value = self.headers.get(ATTEMPTS_HEADER)
        return value if isinstance(value, int) else None

    def summary(self) -> dict[str, Any]:
        """What ``scicat dead list --json`` prints for this dead letter."""
        return {
            "position": self.position,
            "deadAt": self.dead_at,
            "routingKey": self.routing_key,
            "messageId": self.message.message_id,
            "correlationId": self.message.correlation_id,
            "code": self.code,
            "error": self.error,
            "attempts": self.attempts,
            "bodyBytes": len(self.message.body),
        }

    def _death(self) -> dict[str, Any]:
        deaths = self.headers.get("x-death")
        if isinstance(deaths, list) and deaths and isinstance(deaths[0], dict):
            return deaths[0]
        return {}


def in_dead_letter_order(letters: list[DeadLetter]) -> list[DeadLetter]:
    return sorted(letters, key=lambda letter: (letter.dead_at, letter.position))


async def _take_all(
    channel: aio_pika.abc.AbstractChannel, topology: Topology
) -> list[DeadLetter]:
    queue = await channel.get_queue(topology.dead_queue)
    letters: list[DeadLetter] = []
    while (message := await queue.get(no_ack=False, fail=False)) is not None:
        letters.append(DeadLetter(len(letters), message))
    return in_dead_letter_order(letters)


async def peek(connection: AbstractConnection, topology: Topology) -> list[DeadLetter]:
    """Every dead letter, in dead-letter order; all stay in the queue."""
    channel = await connection.channel(publisher_confirms=False)
    try:
        return await _take_all(channel, topology)
    finally:
        await channel.close()  # returns every message taken


def replay_message(letter: DeadLetter, *, connection_user: str) -> aio_pika.Message:
    """The original message again, without the reason and broker headers."""
    original = letter.message
    headers = {
        key: value
        for key, value in letter.headers.items()
        if key not in _REASON_HEADERS and key not in BROKER_HEADERS
    }
    headers[REPLAYED_AT_HEADER] = jsoncodec.format_datetime(dt.datetime.now(dt.UTC))
    return aio_pika.Message(
        original.body,
        headers={
            k: bytearray(v) if isinstance(v, bytes) else v for k, v in headers.items()
        },
        content_type=original.content_type,
        content_encoding=original.content_encoding,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        priority=original.priority,
        correlation_id=original.correlation_id,
        reply_to=original.reply_to,
        message_id=original.message_id,
        timestamp=original.timestamp,
        type=original.type,
        # The broker only accepts the publishing connection's own user.
        user_id=original.user_id if original.user_id == connection_user else None,
        app_id=original.app_id,
    )


async def replay(
    connection: AbstractConnection,
    topology: Topology,
    *,
    connection_user: str,
    code: str | None = None,
    limit: int | None = None,
) -> list[DeadLetter]:
    """Re-publish the selected dead letters in order; returns those replayed."""
    channel = await connection.channel(publisher_confirms=True)
    try:
        letters = await _take_all(channel, topology)
        chosen = [letter for letter in letters if code is None or letter.code == code]
        chosen = chosen[:limit] if limit is not None else chosen
        exchange = await channel.get_exchange(topology.ingest_exchange)

        async def one(letter: DeadLetter) -> None:
            await exchange.publish(
                replay_message(letter, connection_user=connection_user),
                routing_key=letter.routing_key,
            )
            await letter.message.ack()

        # Publications leave in this order; each is acked after its confirm.
        await asyncio.gather(*(one(letter) for letter in chosen))
        logger.info(
            "dead letters replayed",
            extra={"replayed": len(chosen), "kept": len(letters) - len(chosen)},
        )
        return chosen
    finally:
        await channel.close()
