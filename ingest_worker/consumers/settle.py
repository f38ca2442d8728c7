"""The one place where an outcome becomes broker actions.

    Applied   reply (if ``reply_to``), make the claim binding, ack
    Rejected  release the claim, dead letter (confirmed), reply, ack
    Retry     release the claim, re-publish to the next delay queue
              (confirmed), ack; past the last delay: Rejected(retries_exhausted)

Anything the broker does not confirm returns the message to its queue (nack
with requeue), so it is never lost; the queue's delivery limit bounds how often
that can happen.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable

from aio_pika.abc import AbstractIncomingMessage

from common.errors import SciCatError
from ingest_worker.topology import Topology

from .contract import ErrorCode, Reply, ReplyError, ReplyStatus
from .idempotency import ClaimBook
from .inbound import Delivery
from .outcomes import Applied, Outcome, Rejected, Retry
from .publishing import OutgoingCopies, PublishFailed

logger = logging.getLogger(__name__)


class Settler:
    """Turns outcomes into acks, replies, retries and dead letters."""

    def __init__(
        self, copies: OutgoingCopies, topology: Topology, claims: ClaimBook
    ) -> None:
        self._copies = copies
        self._topology = topology
        self._claims = claims

    async def settle(
        self, delivery: Delivery, outcome: Outcome, claim_id: str | None = None
    ) -> None:
        """Settle one delivery; raises nothing but CancelledError."""
        try:
            final: Applied | Rejected | None = (
                await self._retry(delivery, outcome, claim_id)
                if isinstance(outcome, Retry)
                else outcome
            )
            if isinstance(final, Rejected):
                await self._reject(delivery, final, claim_id)
            elif isinstance(final, Applied):
                await self._apply(delivery, final, claim_id)
        except PublishFailed as exc:
            logger.error(
                "message returned to its queue: publication not confirmed",
                extra=self._fields(delivery, error=str(exc)),
            )
            await self.requeue(delivery.raw)

    async def requeue(self, raw: AbstractIncomingMessage) -> None:
        """Give the message back to its queue (best effort: a lost channel does it)."""
        with contextlib.suppress(Exception):
            await raw.nack(requeue=True)

    async def _apply(
        self, delivery: Delivery, outcome: Applied, claim_id: str | None
    ) -> None:
        if delivery.reply_to:
            reply = Reply(
                status=outcome.status, id=outcome.id, document=outcome.document()
            )
            await self._copies.reply(delivery.raw, reply)
        if claim_id is not None:
            await self._quietly(self._claims.succeed(claim_id, outcome.id), delivery)
        await self._ack(delivery.raw)
        logger.debug(
            "message applied",
            extra=self._fields(delivery, status=outcome.status.value, id=outcome.id),
        )

    async def _reject(
        self, delivery: Delivery, outcome: Rejected, claim_id: str | None
    ) -> None:
        if claim_id is not None:
            await self._quietly(self._claims.release(claim_id), delivery)
        await self._copies.dead_letter(
            delivery.raw,
            exchange=self._topology.dead_letter_exchange,
            routing_key=delivery.routing_key,
            attempts=delivery.attempts + 1,
            rejection=outcome,
        )
        if delivery.reply_to:
            reply = Reply(
                status=ReplyStatus.REJECTED,
                error=ReplyError(
                    code=outcome.code, message=outcome.message, details=outcome.details
                ),
            )
            try:
                await self._copies.reply(delivery.raw, reply)
            except PublishFailed as exc:
                # The dead letter is stored; repeating it for a reply is worse.
                logger.error(
                    "reply to a rejected message not sent",
                    extra=self._fields(delivery, error=str(exc)),
                )
        await self._ack(delivery.raw)
        logger.warning(
            "message dead-lettered",
            extra=self._fields(
                delivery, code=outcome.code.value, error=outcome.message[:500]
            ),
        )

    async def _retry(
        self, delivery: Delivery, outcome: Retry, claim_id: str | None
    ) -> Rejected | None:
        """Schedule the next attempt; the rejection when none is left."""
        if claim_id is not None:
            await self._quietly(self._claims.release(claim_id), delivery)
        delays = self._topology.retry_delays
        if delivery.attempts >= len(delays):
            return Rejected(
                ErrorCode.RETRIES_EXHAUSTED,
                f"gave up after {delivery.attempts + 1} attempts: {outcome.reason}",
                {"last_error": outcome.reason, "details": outcome.details},
            )
        delay = delays[delivery.attempts]
        await self._copies.retry(
            delivery.raw,
            exchange=self._topology.retry_exchange(delay),
            routing_key=delivery.routing_key,
            attempts=delivery.attempts + 1,
        )
        await self._ack(delivery.raw)
        logger.info(
            "message scheduled for retry",
            extra=self._fields(delivery, delay_seconds=delay, reason=outcome.reason),
        )
        return None

    async def _ack(self, raw: AbstractIncomingMessage) -> None:
        try:
            await raw.ack()
        except Exception as exc:
            # The channel is gone: the broker redelivers, and the claim (or
            # the derived id) makes the second delivery find this outcome.
            logger.warning("ack failed", extra={"error": repr(exc)})

    async def _quietly(self, step: Awaitable[None], delivery: Delivery) -> None:
        try:
            await step
        except SciCatError as exc:
            # A claim left behind is taken over or expires; the outcome stands.
            logger.warning(
                "claim bookkeeping failed",
                extra=self._fields(delivery, error=exc.message),
            )

    @staticmethod
    def _fields(delivery: Delivery, **extra: object) -> dict[str, object]:
        return {
            "routing_key": delivery.routing_key,
            "message_id": delivery.message_id,
            "attempts": delivery.attempts,
            **extra,
        }
