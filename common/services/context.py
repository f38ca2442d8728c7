"""Who is calling a service, on whose behalf, and through which API shape."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from common.identity.principal import ANONYMOUS, Identity


class ApiVersion(enum.StrEnum):
    """The input/output shape the caller speaks (`/api/v3` or `/api/v4`)."""

    V3 = "3"
    V4 = "4"


@dataclass(frozen=True, slots=True)
class CallContext:
    """Identity, source id (message or request id) and API version of one call.

    ``source_id`` travels into event headers (``x-scicat-source-id``) so a
    consumer can tie an event to the message or request that caused it.
    """

    identity: Identity = ANONYMOUS
    source_id: str | None = None
    api_version: ApiVersion = ApiVersion.V3

    @property
    def username(self) -> str:
        """The name written to ``createdBy``/``updatedBy`` and history rows."""
        if self.identity.is_anonymous:
            return "anonymous"
        return self.identity.username
