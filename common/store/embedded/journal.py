"""Write-through persistence of the embedded store: SQLite in WAL mode.

Every write is queued with a future; the queued changes are applied in one
transaction and committed, then the futures resolve (group commit). A
caller's ``await`` therefore returns only after its change is in the
database file, so a killed process loses no acknowledged write.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import sqlite3
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


Pending = tuple[list[Entry], asyncio.Future[None]]


class Journal:
    """The SQLite file and the batching of commits into it.

    Writes submitted during one event-loop iteration are committed together at
    the start of the next. With ``synchronous=NORMAL`` (no fsync per commit
    in WAL mode) the commit runs inline, which is cheaper than a hand-off to
    a thread; with ``FULL`` it runs on a writer thread so that the fsync does
    not stall the loop, and writes arriving meanwhile form the next batch.
    """

    def __init__(self, path: Path, *, synchronous: str = "NORMAL") -> None:
        self.path = path
        self._connection = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None
        )
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute(f"PRAGMA synchronous={synchronous}")
        for statement in _SCHEMA:
            self._connection.execute(statement)
        self._inline = synchronous.upper() != "FULL"
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._pending: list[Pending] = []
        self._scheduled = False
        self._flushing = False
        self._failed: BaseException | None = None
        self._closed = False

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
        if not self._inline:
            self._executor = concurrent.futures.ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="embedded-store-journal"
            )

    def submit(self, entries: list[Entry]) -> asyncio.Future[None]:
        """Queue entries for the next commit; the future resolves once committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        if self._failed is not None or self._closed:
            future.set_exception(JournalError(str(self._failed or "journal closed")))
            return future
        self._pending.append((entries, future))
        if not self._scheduled and not self._flushing:
            self._scheduled = True
            loop.call_soon(self._flush)
        return future

    def write_now(self, entries: list[Entry]) -> None:
        """Commit synchronously (start-up work, before writes are accepted)."""
        self._apply([entries])

    async def close(self) -> None:
        """Commit what is pending, then close the file."""
        while self._pending or self._flushing:
            if not self._flushing:
                self._flush()
            else:
                await asyncio.sleep(0.001)
        self._closed = True
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        self._connection.close()

    def _flush(self) -> None:
        self._scheduled = False
        batch, self._pending = self._pending, []
        if not batch:
            return
        entries = [pending_entries for pending_entries, _ in batch]
        if self._executor is None:
            self._settle(batch, self._try_apply(entries))
            return
        self._flushing = True
        loop = asyncio.get_running_loop()
        done = loop.run_in_executor(self._executor, self._try_apply, entries)
        done.add_done_callback(lambda outcome: self._after_thread(batch, outcome))

    def _after_thread(
        self, batch: list[Pending], outcome: asyncio.Future[BaseException | None]
    ) -> None:
        self._flushing = False
        self._settle(batch, outcome.result())
        if self._pending and not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _try_apply(self, entries: list[list[Entry]]) -> BaseException | None:
        try:
            self._apply(entries)
        except (sqlite3.Error, OSError) as exc:
            # Memory is now ahead of the file: refuse further writes rather
            # than acknowledge changes that may not survive a restart.
            self._failed = exc
            logger.error(
                "embedded store commit failed",
                extra={"path": str(self.path), "error": str(exc)},
            )
            return exc
        return None

    @staticmethod
    def _settle(batch: list[Pending], error: BaseException | None) -> None:
        for _, future in batch:
            if future.done():
                continue
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(JournalError(str(error)))

    def _apply(self, batches: list[list[Entry]]) -> None:
        cursor = self._connection.cursor()
        cursor.execute("BEGIN")
        try:
            upserts: list[tuple[str, bytes, bytes]] = []
            for entries in batches:
                for entry in entries:
                    # Runs of stored documents go to SQLite in one call; anything
                    # else first writes the run, keeping the order of changes.
                    if isinstance(entry, Change) and entry.body is not None:
                        upserts.append((entry.collection, entry.doc_id, entry.body))
                        continue
                    _write_upserts(cursor, upserts)
                    _apply_entry(cursor, entry)
            _write_upserts(cursor, upserts)
            cursor.execute("COMMIT")
        except BaseException:
            if self._connection.in_transaction:
                cursor.execute("ROLLBACK")
            raise


_UPSERT = (
    "INSERT INTO documents (collection, doc_id, body) VALUES (?, ?, ?)"
    " ON CONFLICT (collection, doc_id) DO UPDATE SET body = excluded.body"
)


def _write_upserts(
    cursor: sqlite3.Cursor, upserts: list[tuple[str, bytes, bytes]]
) -> None:
    if upserts:
        cursor.executemany(_UPSERT, upserts)
        upserts.clear()


def _apply_entry(cursor: sqlite3.Cursor, entry: Entry) -> None:
    if isinstance(entry, Change):
        if entry.body is None:
            cursor.execute(
                "DELETE FROM documents WHERE collection = ? AND doc_id = ?",
                (entry.collection, entry.doc_id),
            )
        else:
            cursor.execute(_UPSERT, (entry.collection, entry.doc_id, entry.body))
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
