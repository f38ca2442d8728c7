"""Outgoing mail: an interface and the implementation that writes mail to the log.

The jobs issue adds the SMTP implementation (aiosmtplib). Senders never raise
to their callers for a delivery failure: SciCat logs mail failures and carries
on, and so do we.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MailMessage:
    """One e-mail to send; ``sender`` falls back to the configured ``EMAIL_FROM``."""

    to: tuple[str, ...]
    subject: str
    text: str
    html: str | None = None
    cc: tuple[str, ...] = field(default_factory=tuple)
    sender: str | None = None
    reply_to: str | None = None


class Mailer(Protocol):
    """Sends mail; delivery failures are logged, never raised."""

    async def send(self, message: MailMessage) -> None: ...

    async def close(self) -> None: ...


class LogMailer:
    """Writes each message to the log instead of sending it (no SMTP configured)."""

    def __init__(self, default_sender: str | None = None) -> None:
        self._default_sender = default_sender

    async def send(self, message: MailMessage) -> None:
        logger.info(
            "mail not sent (log mailer)",
            extra={
                "mail_from": message.sender or self._default_sender,
                "mail_to": list(message.to),
                "mail_cc": list(message.cc),
                "subject": message.subject,
                "body": message.text,
            },
        )

    async def close(self) -> None:
        return None
