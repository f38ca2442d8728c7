"""Embedded store against plain mongomock, on the same 100,000 dataset documents.

    .venv/bin/python -m bench.store [--documents 100000] [--rounds 2000]
        [--baseline-rounds 5]

Measures get by ``_id``, insert (awaited, durable), a sorted page of 25, a
count by ``ownerGroup`` and an equality find; prints a table of median and
95th-percentile milliseconds for both, plus load and reopen times. Not part
of ``make test``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import mongomock

from common.settings import Settings
from common.store import EmbeddedStore
from migrations import runner

GROUPS = [f"p{number:05d}" for number in range(200)]


def dataset(number: int, rng: random.Random) -> dict[str, Any]:
    """One document shaped like a SciCat raw dataset with 50 metadata keys."""
    pid = f"20.500.12269/{uuid.UUID(int=rng.getrandbits(128))}"
    created = dt.datetime(2020, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=number)
    metadata = {
        f"key_{k:02d}%2Evalue": {
            "value": rng.random() * 100,
            "unit": "mm",
            "valueSI": rng.random() / 10,
            "unitSI": "m",
        }
        for k in range(50)
    }
    return {
        "_id": pid,
        "pid": pid,
        "owner": f"owner{number % 500}",
        "contactEmail": f"owner{number % 500}@facility.example",
        "sourceFolder": f"/data/run_{number:06d}",
        "size": rng.randint(0, 10**9),
        "numberOfFiles": rng.randint(1, 100),
        "creationTime": created,
        "type": "raw",
        "datasetName": f"run {number}",
        "ownerGroup": rng.choice(GROUPS),
        "accessGroups": rng.sample(GROUPS, 2),
        "isPublished": rng.random() < 0.1,
        "keywords": ["bench", f"k{number % 7}"],
        "datasetlifecycle": {"archivable": True, "archiveStatusMessage": "created"},
        "scientificMetadata": metadata,
        "createdAt": created,
        "updatedAt": created,
        "__v": 0,
    }


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


async def timed_async(
    rounds: int, operation: Callable[[int], Awaitable[Any]]
) -> list[float]:
    samples = []
    for number in range(rounds):
        started = time.perf_counter()
        await operation(number)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def timed(rounds: int, operation: Callable[[int], Any]) -> list[float]:
    samples = []
    for number in range(rounds):
        started = time.perf_counter()
        operation(number)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def run(documents: int, rounds: int, baseline_rounds: int) -> None:
    rng = random.Random(42)
    corpus = [dataset(n, rng) for n in range(documents)]
    ids = [d["_id"] for d in corpus]
    extra = [dataset(documents + n, rng) for n in range(rounds)]
    slow_rounds = baseline_rounds
    folder = Path(tempfile.mkdtemp(prefix="bench-store-"))
    settings = Settings(_env_file=None, EMBEDDED_STORE_PATH=folder)  # type: ignore[call-arg]

    store = EmbeddedStore(folder)
    await store.open()
    await runner.up(store, settings)
    ours = store.collection("Dataset")
    started = time.perf_counter()
    for start in range(0, documents, 5000):
        await ours.insert_many([dict(d) for d in corpus[start : start + 5000]])
    load_ours = time.perf_counter() - started

    plain = mongomock.MongoClient(tz_aware=True).scicat.Dataset
    started = time.perf_counter()
    plain.insert_many([dict(d) for d in corpus])
    load_plain = time.perf_counter() - started

    results: list[tuple[str, list[float], list[float]]] = []

    def pick(n: int) -> str:
        return ids[(n * 7919) % documents]

    results.append(
        (
            "get by _id",
            await timed_async(rounds, lambda n: ours.find_one({"_id": pick(n)})),
            timed(slow_rounds, lambda n: plain.find_one({"_id": pick(n)})),
        )
    )
    results.append(
        (
            "insert (durable)",
            await timed_async(rounds, lambda n: ours.insert_one(dict(extra[n]))),
            timed(slow_rounds, lambda n: plain.insert_one(dict(extra[n]))),
        )
    )

    async def page(n: int) -> Any:
        return (
            await ours.find({})
            .sort("creationTime", -1)
            .skip(25 * (n % 4))
            .limit(25)
            .to_list(None)
        )

    started = time.perf_counter()
    await ours.find({}).sort("creationTime", -1).limit(25).to_list(None)
    view_build = time.perf_counter() - started

    results.append(
        (
            "sorted page of 25",
            await timed_async(slow_rounds, page),
            timed(
                slow_rounds,
                lambda n: list(
                    plain.find({}).sort("creationTime", -1).skip(25 * (n % 4)).limit(25)
                ),
            ),
        )
    )
    results.append(
        (
            "count by ownerGroup",
            await timed_async(
                rounds,
                lambda n: ours.count_documents({"ownerGroup": GROUPS[n % 200]}),
            ),
            timed(
                slow_rounds,
                lambda n: plain.count_documents({"ownerGroup": GROUPS[n % 200]}),
            ),
        )
    )
    results.append(
        (
            "find by ownerGroup, page of 25",
            await timed_async(
                rounds,
                lambda n: (
                    ours.find({"ownerGroup": GROUPS[n % 200]}).limit(25).to_list(None)
                ),
            ),
            timed(
                slow_rounds,
                lambda n: list(plain.find({"ownerGroup": GROUPS[n % 200]}).limit(25)),
            ),
        )
    )

    concurrent = [dataset(documents + rounds + n, rng) for n in range(2000)]
    started = time.perf_counter()
    await asyncio.gather(*(ours.insert_one(dict(d)) for d in concurrent))
    concurrent_rate = len(concurrent) / (time.perf_counter() - started)

    await store.close()
    started = time.perf_counter()
    reopened = EmbeddedStore(folder)
    await reopened.open()
    reopen = time.perf_counter() - started
    total = await reopened.collection("Dataset").count_documents({})
    await reopened.close()

    print(f"store: embedded (mongomock engine + SQLite WAL) at {folder}")
    print(f"documents: {documents:,} dataset-shaped, 50 metadata keys each")
    print(f"bulk load: embedded {load_ours:.1f} s, plain mongomock {load_plain:.1f} s")
    print(f"{'operation':34} {'embedded p50/p95 ms':>22} {'mongomock p50/p95 ms':>22}")
    for name, ours_ms, plain_ms in results:
        o50, o95 = percentiles(ours_ms)
        p50, p95 = percentiles(plain_ms)
        print(f"{name:34} {o50:10.3f} / {o95:9.3f} {p50:10.3f} / {p95:9.3f}")
    print(f"first sorted page (builds the ordered view): {view_build:.1f} s")
    print(f"concurrent durable inserts: {concurrent_rate:,.0f} /s (2,000 at once)")
    print(f"reopen (bulk load of {total:,} documents from disk): {reopen:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument(
        "--baseline-rounds",
        type=int,
        default=5,
        help="rounds for plain mongomock and for full sorts (each is slow)",
    )
    args = parser.parse_args()
    asyncio.run(run(args.documents, args.rounds, args.baseline_rounds))


if __name__ == "__main__":
    main()
