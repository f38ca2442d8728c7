"""Write-through persistence of the embedded store: SQLite in WAL mode.

Every write is queued with a future; one writer thread takes all queued
changes, applies them in a single transaction and commits, then resolves the
futures (group commit). A caller's ``await`` therefore returns only after its
change is in the database file, so a killed process loses no acknowledged
write.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS documents ("
    " seq INTEGER PRIMARY KEY,"
    " collection TEXT NOT NULL,"
    " doc_id BLOB NOT NULL,"
    " body BLOB NOT NULL,"
    " UNIQUE (collection, doc_id))",
    "CREATE TABLE IF NOT EXISTS indexes ("
    " collection TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " spec BLOB NOT NULL,"
    " PRIMARY KEY (collection, name))",
    "CREATE TABLE IF NOT EXISTS collections (name TEXT PRIMARY KEY)",
)


@dataclass(frozen=True, slots=True)
class Change:
    """One row to write: a document body, or None to delete it."""

    collection: str
    doc_id: bytes
    body: bytes | None


@dataclass(frozen=True, slots=True)
class IndexChange:
    collection: str
    name: str
    spec: bytes | None


@dataclass(frozen=True, slots=True)
class CollectionChange:
    """Create (``dropped=False``) or drop a whole collection."""

    collection: str
    dropped: bool


Entry = Change | IndexChange | CollectionChange


class JournalError(Exception):
    """The database file could not be written."""


class Journal:
    """The SQLite file plus its writer thread."""

    def __init__(self, path: Path, *, synchronous: str = "NORMAL") -> None:
        self.path = path
        self._connection = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None
        )
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute(f"PRAGMA synchronous={synchronous}")
        for statement in _SCHEMA:
            self._connection.execute(statement)
        self._queue: queue.SimpleQueue[
            tuple[list[Entry], asyncio.Future[None], asyncio.AbstractEventLoop] | None
        ] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._failed: BaseException | None = None

    @property
    def failed(self) -> BaseException | None:
        """The error that stopped writing, if any."""
        return self._failed

    # --- loading ------------------------------------------------------------

    def collections(self) -> list[str]:
        rows = self._connection.execute("SELECT name FROM collections ORDER BY name")
        return [name for (name,) in rows]

    def indexes(self) -> Iterator[tuple[str, bytes]]:
        rows = self._connection.execute(
            "SELECT collection, spec FROM indexes ORDER BY rowid"
        )
        yield from rows

    def documents(self) -> Iterator[tuple[str, bytes]]:
        rows = self._connection.execute(
            "SELECT collection, body FROM documents ORDER BY seq"
        )
        yield from rows

    # --- writing ------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name="embedded-store-journal", daemon=True
        )
        self._thread.start()

    def submit(self, entries: list[Entry]) -> asyncio.Future[None]:
        """Queue entries for the next commit; the future resolves once committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        if self._failed is not None:
            future.set_exception(JournalError(str(self._failed)))
            return future
        self._queue.put((entries, future, loop))
        return future

    def write_now(self, entries: list[Entry]) -> None:
        """Commit synchronously (start-up work, before the thread runs)."""
        self._apply([entries])

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        self._connection.close()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            self._commit_batch(batch)

    def _commit_batch(
        self,
        batch: list[
            tuple[list[Entry], asyncio.Future[None], asyncio.AbstractEventLoop]
        ],
    ) -> None:
        error: BaseException | None = None
        try:
            self._apply([entries for entries, _, _ in batch])
        except (sqlite3.Error, OSError) as exc:
            # Memory is now ahead of the file: refuse further writes rather
            # than acknowledge changes that may not survive a restart.
            self._failed = exc
            error = exc
            logger.error(
                "embedded store commit failed",
                extra={"path": str(self.path), "error": str(exc)},
            )
        for _, future, loop in batch:
            loop.call_soon_threadsafe(_settle, future, error)

    def _apply(self, batches: list[list[Entry]]) -> None:
        cursor = self._connection.cursor()
        cursor.execute("BEGIN")
        try:
            for entries in batches:
                for entry in entries:
                    _apply_entry(cursor, entry)
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise


def _apply_entry(cursor: sqlite3.Cursor, entry: Entry) -> None:
    if isinstance(entry, Change):
        if entry.body is None:
            cursor.execute(
                "DELETE FROM documents WHERE collection = ? AND doc_id = ?",
                (entry.collection, entry.doc_id),
            )
        else:
            cursor.execute(
                "INSERT INTO documents (collection, doc_id, body) VALUES (?, ?, ?)"
                " ON CONFLICT (collection, doc_id) DO UPDATE SET body = excluded.body",
                (entry.collection, entry.doc_id, entry.body),
            )
    elif isinstance(entry, IndexChange):
        if entry.spec is None:
            cursor.execute(
                "DELETE FROM indexes WHERE collection = ? AND name = ?",
                (entry.collection, entry.name),
            )
        else:
            cursor.execute(
                "INSERT OR REPLACE INTO indexes (collection, name, spec)"
                " VALUES (?, ?, ?)",
                (entry.collection, entry.name, entry.spec),
            )
    elif entry.dropped:
        for table in ("documents", "indexes"):
            cursor.execute(
                f"DELETE FROM {table} WHERE collection = ?", (entry.collection,)
            )
        cursor.execute("DELETE FROM collections WHERE name = ?", (entry.collection,))
    else:
        cursor.execute(
            "INSERT OR IGNORE INTO collections (name) VALUES (?)", (entry.collection,)
        )


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(JournalError(str(error)))
