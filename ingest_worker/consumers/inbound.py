"""The checks of a delivery before anything is looked up: id, size, type, JSON.

A failed check is a :class:`~.outcomes.Rejected` with code ``invalid`` and a
reason a publisher can act on; nothing here raises anything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aio_pika.abc import AbstractIncomingMessage

from common import jsoncodec
from common.services.context import ApiVersion

from .contract import API_VERSION_HEADER, ATTEMPTS_HEADER, ErrorCode
from .outcomes import Rejected

JSON_CONTENT_TYPES = frozenset({"application/json", "text/json"})


@dataclass(frozen=True, slots=True)
class Delivery:
    """One delivery as the worker settles it, whether or not its body is usable."""

    raw: AbstractIncomingMessage
    routing_key: str
    message_id: str | None
    attempts: int

    @classmethod
    def of(cls, raw: AbstractIncomingMessage, routing_key: str) -> Delivery:
        return cls(raw, routing_key, raw.message_id or None, attempts_of(raw))

    @property
    def reply_to(self) -> str | None:
        return self.raw.reply_to or None

    @property
    def correlation_id(self) -> str | None:
        return self.raw.correlation_id or None


@dataclass(frozen=True, slots=True)
class Inbound:
    """A delivery whose id, content type and JSON body passed the checks."""

    delivery: Delivery
    message_id: str
    body: Any
    api_version: ApiVersion


class InboundRejected(Exception):
    """Carries the rejection of a delivery that failed a check."""

    def __init__(self, rejection: Rejected) -> None:
        super().__init__(rejection.message)
        self.rejection = rejection


def attempts_of(raw: AbstractIncomingMessage) -> int:
    """How many transient failures this message has had (our header, else 0)."""
    value = (raw.headers or {}).get(ATTEMPTS_HEADER)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return 0


def _invalid(message: str, **details: Any) -> InboundRejected:
    return InboundRejected(Rejected(ErrorCode.INVALID, message, details or None))


def _text(value: Any) -> str | None:
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, str | int):
        return str(value)
    return None


def api_version_of(raw: AbstractIncomingMessage) -> ApiVersion:
    value = _text((raw.headers or {}).get(API_VERSION_HEADER))
    if value is None or value.strip() in ("", "3"):
        return ApiVersion.V3
    if value.strip() == "4":
        return ApiVersion.V4
    raise _invalid(
        f"{API_VERSION_HEADER} must be 3 or 4", header=API_VERSION_HEADER, value=value
    )


def check(delivery: Delivery, max_body_bytes: int) -> Inbound:
    """The usable message, or :class:`InboundRejected` saying what is wrong."""
    raw = delivery.raw
    if delivery.message_id is None:
        raise _invalid("message_id is required (it makes redelivery idempotent)")
    if len(raw.body) > max_body_bytes:
        raise _invalid(
            "message body too large", size=len(raw.body), limit=max_body_bytes
        )
    content_type = (raw.content_type or "").split(";")[0].strip().lower()
    if content_type and content_type not in JSON_CONTENT_TYPES:
        raise _invalid(
            "unsupported content type: the body must be JSON",
            content_type=raw.content_type,
        )
    if raw.content_encoding not in (None, "", "utf-8", "identity"):
        raise _invalid(
            "unsupported content encoding", content_encoding=raw.content_encoding
        )
    version = api_version_of(raw)
    try:
        body = jsoncodec.loads(raw.body)
    except jsoncodec.JSONDecodeError as exc:
        raise _invalid("body is not valid JSON", error=str(exc)) from exc
    if not isinstance(body, dict):
        raise _invalid("body must be a JSON object", type=type(body).__name__)
    return Inbound(delivery, delivery.message_id, body, version)
