"""The ingest consumers: one FastStream subscriber per routing key, all alike.

Per delivery: check the message (id, size, content type, JSON), resolve the
sender, claim the message id, call the service, then hand the outcome to the
:class:`~.settle.Settler`. Deliveries run concurrently up to the prefetch;
a copy of a message already in flight in this process waits for it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aio_pika.abc import AbstractIncomingMessage
from faststream import AckPolicy
from faststream.message import StreamMessage

from common.errors import SciCatError
from common.identity.authenticator import message_authenticator
from common.identity.tokens import load_jwt_secret
from common.runtime import Runtime
from common.services import Services
from common.services.context import CallContext
from common.services.entity import AlreadyExistsError
from common.settings import Settings
from common.store.interface import Store
from ingest_worker.app import Worker
from ingest_worker.topology import Topology

from .contract import ReplyStatus
from .idempotency import Claim, ClaimBook, ClaimKind
from .identity import MessageIdentities, UserSigner
from .inbound import Delivery, Inbound, InboundRejected, check
from .outcomes import (
    Applied,
    Outcome,
    Rejected,
    Retry,
    internal_error,
    outcome_for_error,
)
from .publishing import OutgoingCopies
from .routes import INGEST_ROUTES, IngestRoute
from .settle import Settler

logger = logging.getLogger(__name__)


async def raw_delivery(message: StreamMessage[Any]) -> Any:
    """The broker's own message as the handler's argument.

    FastStream's decoder would parse JSON before our checks could reject it,
    and a ``message: RabbitMessage`` parameter is a context field FastStream
    resolves in a worker thread for every delivery.
    """
    return message.raw_message


class IngestConsumers:
    """The consumers of one process; register them on one worker or several.

    One instance per process: its claim book knows which messages are in
    flight here, which is how leftovers of a crashed process are told apart.
    """

    def __init__(
        self,
        settings: Settings,
        store: Store,
        services: Services,
        *,
        routes: tuple[IngestRoute, ...] = INGEST_ROUTES,
    ) -> None:
        signer = UserSigner(load_jwt_secret(settings))
        self._settings = settings
        self._services = services
        self._routes = routes
        self._max_body = settings.max_body_bytes
        self._identities = MessageIdentities(
            message_authenticator(store, settings), signer
        )
        self.claims = ClaimBook(
            store, lease_seconds=settings.INGEST_CLAIM_LEASE_SECONDS
        )
        self._settler = Settler(
            OutgoingCopies(signer, settings.RABBITMQ_USERNAME),
            Topology.from_settings(settings),
            self.claims,
        )

    @classmethod
    def from_runtime(cls, runtime: Runtime) -> IngestConsumers:
        return cls(runtime.settings, runtime.store, runtime.services)

    def register(self, worker: Worker) -> None:
        """A worker set-up: subscribe every route's queue with manual acks."""
        for route in self._routes:
            subscriber = worker.broker.subscriber(
                worker.topology.subscriber_queue(route.routing_key),
                ack_policy=AckPolicy.MANUAL,
                no_reply=True,
                decoder=raw_delivery,
                title=route.routing_key,
                description=route.summary,
            )
            subscriber(self._handler(route))

    def _handler(self, route: IngestRoute) -> Any:
        async def on_message(raw: Any) -> None:
            await self.handle(route, raw)

        on_message.__name__ = f"on_{route.routing_key.replace('.', '_')}"
        return on_message

    async def handle(self, route: IngestRoute, raw: AbstractIncomingMessage) -> None:
        """Process and settle one delivery; never raises but CancelledError."""
        delivery = Delivery.of(raw, route.routing_key)
        try:
            await self._handle(route, delivery)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception(
                "settling a message failed; returned to its queue",
                extra={
                    "routing_key": route.routing_key,
                    "message_id": delivery.message_id,
                },
            )
            await self._settler.requeue(raw)

    async def _handle(self, route: IngestRoute, delivery: Delivery) -> None:
        try:
            inbound = check(delivery, self._max_body)
        except InboundRejected as exc:
            await self._settler.settle(delivery, exc.rejection)
            return

        async with self.claims.exclusive(
            route.routing_key, inbound.message_id
        ) as claim_id:
            owned = False
            try:
                outcome, owned = await self._process(route, inbound, claim_id)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.exception(
                    "message processing failed unexpectedly",
                    extra={
                        "routing_key": route.routing_key,
                        "message_id": inbound.message_id,
                    },
                )
                outcome = internal_error(exc)
            await self._settler.settle(delivery, outcome, claim_id if owned else None)

    async def _process(
        self, route: IngestRoute, inbound: Inbound, claim_id: str
    ) -> tuple[Outcome, bool]:
        """The outcome, and whether this delivery holds the claim."""
        message_id = inbound.message_id
        try:
            identity = await self._identities.resolve(inbound.delivery, message_id)
            ctx = CallContext(identity, message_id, inbound.api_version)
            claim = await self.claims.claim(claim_id, route.routing_key, message_id)
        except SciCatError as exc:
            return outcome_for_error(exc), False
        if claim.kind is ClaimKind.DONE:
            return await self._duplicate(route, ctx, claim), False
        if claim.kind is ClaimKind.BUSY:
            return Retry("another worker is processing this message"), False

        try:
            document = await route.apply(self._services, ctx, inbound.body, message_id)
        except AlreadyExistsError as exc:
            if not route.is_own_write(
                self._settings, message_id, exc, ctx, claim.earlier_attempt_at
            ):
                return outcome_for_error(exc), True
            # An earlier delivery of this message wrote it and then stopped.
            document = exc.existing or {route.id_field: exc.existing_id}
        except SciCatError as exc:
            return outcome_for_error(exc), True
        except Exception as exc:
            # Dead-lettered as internal; the claim is ours to release.
            logger.exception(
                "service call failed unexpectedly",
                extra={"routing_key": route.routing_key, "message_id": message_id},
            )
            return internal_error(exc), True
        return self._applied(route, ReplyStatus.CREATED, document, inbound), True

    async def _duplicate(
        self, route: IngestRoute, ctx: CallContext, claim: Claim
    ) -> Applied | Rejected:
        service = route.service(self._services)
        document_id = claim.document_id or ""
        stored = await service.fetch(document_id) if document_id else None
        # The document only goes to a sender who may read it.
        visible = stored if stored and service.can_read(ctx, stored) else None
        return Applied(
            ReplyStatus.DUPLICATE, document_id, visible, route.renderer(ctx.api_version)
        )

    @staticmethod
    def _applied(
        route: IngestRoute,
        status: ReplyStatus,
        document: dict[str, Any],
        inbound: Inbound,
    ) -> Applied:
        return Applied(
            status,
            route.document_id(document),
            document,
            route.renderer(inbound.api_version),
        )
