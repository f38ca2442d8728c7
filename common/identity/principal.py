"""The caller of a service, as both edges hand it over."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Identity:
    """An authenticated user (or the anonymous caller) with its current groups.

    ``groups`` are recomputed from the store on every request or message
    (SciCat's ``currentGroups``); they are never taken from a token's claims.
    """

    username: str
    user_id: str | None = None
    email: str | None = None
    groups: tuple[str, ...] = field(default_factory=tuple)
    auth_strategy: str | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None and self.username == "anonymous"


ANONYMOUS = Identity(username="anonymous")


class Authenticator(Protocol):
    """Turns a bearer token (or nothing) into an identity; never raises on bad ones."""

    async def authenticate(self, token: str | None) -> Identity: ...
