"""The composition root of the domain layer for one process.

``await Runtime.open(settings)`` opens the store, chooses the effects from the
settings (the AMQP event publisher when ``AMQP_EVENTS_ENABLED``, the null one
otherwise; the null indexer until search lands; the log mailer until SMTP
lands) and builds the services on them. Both edges open one at start-up and
``await runtime.close()`` at shutdown.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from common.effects.events import AmqpEventPublisher, EventPublisher, NullEventPublisher
from common.effects.indexer import Indexer, NullIndexer
from common.effects.mailer import LogMailer, Mailer
from common.services import Services
from common.settings import Settings
from common.store import Store, open_store
from common.units import load_registry

logger = logging.getLogger(__name__)


def event_publisher_for(settings: Settings) -> EventPublisher:
    """The AMQP publisher on ``<ns>.ingest`` when events are enabled, else null."""
    if not settings.AMQP_EVENTS_ENABLED:
        return NullEventPublisher()
    return AmqpEventPublisher(
        settings.amqp_url,
        settings.AMQP_NAMESPACE,
        buffer_size=settings.AMQP_EVENTS_BUFFER,
    )


def indexer_for(settings: Settings) -> Indexer:
    # TODO(search): return the Elasticsearch indexer when ELASTICSEARCH_ENABLED;
    # the search issue adds it behind the same interface.
    return NullIndexer()


def mailer_for(settings: Settings) -> Mailer:
    # TODO(jobs): return the SMTP mailer when SMTP_HOST is set; the jobs issue
    # adds it behind the same interface.
    return LogMailer(settings.mail_from)


@dataclass(slots=True)
class Runtime:
    """Store, effects and services of one process; closed in reverse order."""

    settings: Settings
    store: Store
    events: EventPublisher
    indexer: Indexer
    mailer: Mailer
    services: Services
    owns_store: bool = True

    @classmethod
    async def open(
        cls,
        settings: Settings,
        *,
        store: Store | None = None,
        events: EventPublisher | None = None,
        indexer: Indexer | None = None,
        mailer: Mailer | None = None,
    ) -> Runtime:
        """Build from settings; a part passed in is used instead of one built.

        The runtime closes the effects it is given; a store passed in stays the
        caller's to close.
        """
        owns_store = store is None
        opened = store if store is not None else await open_store(settings)
        events = events if events is not None else event_publisher_for(settings)
        indexer = indexer if indexer is not None else indexer_for(settings)
        mailer = mailer if mailer is not None else mailer_for(settings)
        services = Services.build(opened, settings, events=events, indexer=indexer)
        # Off the event loop and before the first message or request: the first
        # SI conversion would otherwise stall every request in flight.
        await asyncio.to_thread(load_registry)
        logger.info(
            "runtime opened",
            extra={
                "store": opened.kind,
                "events": type(events).__name__,
                "indexer": type(indexer).__name__,
                "mailer": type(mailer).__name__,
            },
        )
        return cls(
            settings, opened, events, indexer, mailer, services, owns_store=owns_store
        )

    async def close(self) -> None:
        """Flush and close the effects, then the store if this runtime opened it."""
        await self.events.close()
        await self.indexer.close()
        await self.mailer.close()
        if self.owns_store:
            await self.store.close()
