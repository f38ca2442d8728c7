"""The embedded store: mongomock in memory, SQLite underneath, one process at a time.

Opening takes an exclusive file lock on the folder, loads every document and
index from the SQLite file in bulk, drops documents past their TTL, and then
serves collections from memory. A background task repeats the TTL sweep.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Hashable, Iterable
from pathlib import Path
from typing import Any

import bson
from bson.codec_options import CodecOptions

from common.errors import StoreQueryError, StoreUnavailableError
from common.store.embedded.collection import EmbeddedCollection
from common.store.embedded.engine import engine_collection, new_database
from common.store.embedded.indexes import IndexSpec
from common.store.embedded.journal import Entry, Journal
from common.store.errors import StoreLockedError
from common.store.interface import StoreKind

logger = logging.getLogger(__name__)

DATABASE_FILE = "store.sqlite3"
LOCK_FILE = "store.lock"
_NAIVE: CodecOptions[dict[str, Any]] = CodecOptions(tz_aware=False)


class EmbeddedStore:
    """A single-process document store with PyMongo's async collection API."""

    def __init__(
        self,
        path: Path,
        *,
        name: str = "scicat",
        query_timeout_ms: int = 5000,
        ttl_interval_seconds: float = 60.0,
        synchronous: str = "NORMAL",
    ) -> None:
        self.path = path
        self._name = name
        self.query_timeout_ms = query_timeout_ms
        self._ttl_interval = ttl_interval_seconds
        self._synchronous = synchronous
        self._database = new_database(name)
        self._collections: dict[str, EmbeddedCollection] = {}
        self._journal: Journal | None = None
        self._lock_fd: int | None = None
        self._ttl_task: asyncio.Task[None] | None = None
        # Writes per collection: this process is the store's only writer.
        self._writes: dict[str, int] = {}

    @property
    def kind(self) -> StoreKind:
        return "embedded"

    @property
    def name(self) -> str:
        return self._name

    @property
    def database(self) -> Any:
        """The underlying mongomock database (engine access for tests and tools)."""
        return self._database

    # --- lifecycle ----------------------------------------------------------

    async def open(self) -> None:
        """Lock the folder, load the file, sweep TTLs and start the writer."""
        started = time.perf_counter()
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock()
        try:
            self._journal = Journal(
                self.path / DATABASE_FILE, synchronous=self._synchronous
            )
            count = self._load(self._journal)
            self._journal.write_now(self._expire_all())
            self._journal.start()
        except BaseException:
            self._unlock()
            raise
        self._ttl_task = asyncio.create_task(self._sweep_forever())
        logger.info(
            "embedded store opened",
            extra={
                "path": str(self.path),
                "documents": count,
                "seconds": round(time.perf_counter() - started, 3),
            },
        )

    async def close(self) -> None:
        if self._ttl_task is not None:
            self._ttl_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ttl_task
            self._ttl_task = None
        if self._journal is not None:
            journal, self._journal = self._journal, None
            await journal.close()
        self._unlock()
        logger.info("embedded store closed", extra={"path": str(self.path)})

    async def ping(self) -> None:
        self.check_open()
        journal = self._journal
        assert journal is not None
        if journal.failed is not None:
            raise StoreUnavailableError(
                "the embedded store could not write its file",
                details=str(journal.failed),
            )

    def check_open(self) -> None:
        if self._journal is None:
            raise StoreUnavailableError("the embedded store is closed")

    # --- collections --------------------------------------------------------

    def collection(self, name: str) -> EmbeddedCollection:
        found = self._collections.get(name)
        if found is None:
            if not name or "$" in name or "\x00" in name or name.startswith("."):
                raise StoreQueryError(f"invalid collection name {name!r}")
            found = EmbeddedCollection(self, engine_collection(self._database, name))
            self._collections[name] = found
        return found

    async def list_collection_names(self) -> list[str]:
        return sorted(n for n, c in self._collections.items() if c.exists)

    async def drop_collection(self, name: str) -> None:
        await self.collection(name).drop()

    def generation(self, collections: Iterable[str]) -> Hashable | None:
        """Exact: the folder lock makes this process the only writer."""
        writes = self._writes
        return tuple([writes.get(name, 0) for name in collections])

    async def journal_submit(self, entries: list[Entry]) -> None:
        self.check_open()
        assert self._journal is not None
        # Memory already holds the change: count it before the commit's await.
        writes = self._writes
        for name in {entry.collection for entry in entries}:
            writes[name] = writes.get(name, 0) + 1
        await self._journal.submit(entries)

    async def expire_now(self) -> int:
        """Run the TTL sweep once; returns the number of documents removed."""
        entries = self._expire_all()
        if entries:
            await self.journal_submit(entries)
        return len(entries)

    # --- internals ----------------------------------------------------------

    def _lock(self) -> None:
        fd = os.open(self.path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise StoreLockedError(
                f"the embedded store at {self.path} is already open in another "
                f"process (pid {holder}); stop it, or use MongoDB (MONGODB_URI) "
                "for several processes",
                details={"path": str(self.path), "pid": holder},
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def _load(self, journal: Journal) -> int:
        # TODO(embedded store): start-up decodes every document (about 0.45 ms
        # each for 50-key datasets on a loaded 2-core host: 46 s for 100,000);
        # decoding lazily or snapshotting the maps would need the engine to
        # accept undecoded documents.
        # The loaded documents are millions of acyclic objects: the serving
        # process's gc policy (common/collector.py) freezes them after the
        # first full collection, so later ones do not walk them again.
        for name in journal.collections():
            self.collection(name).exists = True
        for collection_name, spec in journal.indexes():
            record = bson.decode(spec, codec_options=_NAIVE)
            self.collection(collection_name).load_index(IndexSpec.from_record(record))
        count = 0
        for collection_name, body in journal.documents():
            document = bson.decode(body, codec_options=_NAIVE)
            self.collection(collection_name).load_document(document)
            count += 1
        for collection in self._collections.values():
            collection.build_indexes()
        return count

    def _expire_all(self) -> list[Entry]:
        entries: list[Entry] = []
        for collection in self._collections.values():
            entries.extend(collection.expire())
        return entries

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self._ttl_interval)
            try:
                await self.expire_now()
            except StoreUnavailableError:
                logger.warning("TTL sweep skipped", extra={"path": str(self.path)})
