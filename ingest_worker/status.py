"""The broker connection's state as the rest of the process sees it (health, CLI)."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any


class BrokerState(enum.StrEnum):
    UP = "up"
    DOWN = "down"


def _now() -> datetime:
    return datetime.now(UTC)


class BrokerStatus:
    """Whether the worker is connected to RabbitMQ, since when, and the last error.

    Written only by the connection supervisor; read by the health probe. Tests
    and callers await a state with :meth:`wait_for` instead of polling.
    """

    def __init__(self) -> None:
        self.state = BrokerState.DOWN
        self.since = _now()
        self.last_error: str | None = "not connected yet"
        self.failed_attempts = 0
        self._changed = asyncio.Event()

    @property
    def is_up(self) -> bool:
        return self.state is BrokerState.UP

    def mark_up(self) -> None:
        self.last_error = None
        self.failed_attempts = 0
        self._enter(BrokerState.UP)

    def mark_down(self, error: str) -> None:
        self.last_error = error
        self._enter(BrokerState.DOWN)

    def record_failure(self, error: str) -> None:
        """One more failed connection attempt while down."""
        self.failed_attempts += 1
        self.mark_down(error)

    async def wait_for(self, state: BrokerState) -> None:
        """Return once the connection is in ``state`` (at once if it already is)."""
        await self.wait_until(lambda status: status.state is state)

    async def wait_until(self, condition: Callable[[BrokerStatus], bool]) -> None:
        """Return once ``condition`` holds, re-checked on every change."""
        while not condition(self):
            await self._changed.wait()

    def health(self) -> dict[str, Any]:
        """The broker's entry in the health document's ``details`` (terminus style)."""
        entry: dict[str, Any] = {
            "status": self.state.value,
            "since": self.since.isoformat().replace("+00:00", "Z"),
        }
        if self.state is BrokerState.DOWN:
            entry["message"] = self.last_error
            entry["failedAttempts"] = self.failed_attempts
        return entry

    def _enter(self, state: BrokerState) -> None:
        if state is not self.state:
            self.state = state
            self.since = _now()
        # Wake every waiter once, then give later waiters a fresh event.
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
