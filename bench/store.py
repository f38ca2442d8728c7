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

import bson
import mongomock

from common.services.metadata_keys import (
    MetadataKeysTable,
    SourceType,
    metadata_key_rows,
)
from common.settings import Settings
from common.store import EmbeddedStore
from common.store.embedded import mongomock_api as mm
from common.store.embedded.documents import NAIVE
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
        "sharedWith": [f"owner{(number * 3) % 500}@facility.example"]
        if number % 10 == 0
        else [],
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


async def run(
    documents: int, rounds: int, baseline_rounds: int, sections: list[str]
) -> None:
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
    if baseline_rounds:  # 0: embedded figures only (the baselines take minutes)
        plain.insert_many([dict(d) for d in corpus])
    load_plain = time.perf_counter() - started

    print(f"store: embedded (mongomock engine + SQLite WAL) at {folder}")
    print(f"documents: {documents:,} dataset-shaped, 50 metadata keys each")
    print(f"bulk load: embedded {load_ours:.1f} s, plain mongomock {load_plain:.1f} s")
    if "queries" in sections:
        await catalogue_queries(store, ours, plain, rounds, baseline_rounds)
    if "basic" in sections:
        await basic(
            store, folder, ours, plain, ids, extra, documents, rounds, rng, slow_rounds
        )
    else:
        await store.close()


async def basic(
    store: EmbeddedStore,
    folder: Path,
    ours: Any,
    plain: Any,
    ids: list[Any],
    extra: list[dict[str, Any]],
    documents: int,
    rounds: int,
    rng: random.Random,
    slow_rounds: int,
) -> None:
    """Get, insert, sorted page, counts and finds by ownerGroup, reopen."""
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

    print(f"{'operation':34} {'embedded p50/p95 ms':>22} {'mongomock p50/p95 ms':>22}")
    for name, ours_ms, plain_ms in results:
        o50, o95 = percentiles(ours_ms)
        p50, p95 = percentiles(plain_ms)
        print(f"{name:34} {o50:10.3f} / {o95:9.3f} {p50:10.3f} / {p95:9.3f}")
    print(f"first sorted page (builds the ordered view): {view_build:.1f} s")
    print(f"concurrent durable inserts: {concurrent_rate:,.0f} /s (2,000 at once)")
    print(f"reopen (bulk load of {total:,} documents from disk): {reopen:.1f} s")


def visibility(number: int) -> dict[str, Any]:
    """SciCat's access condition for a user in three groups (reference §3)."""
    groups = [GROUPS[(number * 3 + k) % len(GROUPS)] for k in range(3)]
    return {
        "$or": [
            {"ownerGroup": {"$in": groups}},
            {"accessGroups": {"$in": groups}},
            {"sharedWith": f"owner{number % 500}@facility.example"},
            {"isPublished": True},
        ]
    }


def fullfacet(number: int) -> list[dict[str, Any]]:
    """A four-facet fullfacet pipeline as common/query/fullfacet.py builds it."""
    day = {
        "year": {"$year": "$creationTime"},
        "month": {"$month": "$creationTime"},
        "day": {"$dayOfMonth": "$creationTime"},
    }

    def branch(group_id: Any, unwind: str | None = None) -> list[dict[str, Any]]:
        stages: list[dict[str, Any]] = [{"$unwind": unwind}] if unwind else []
        stages.append({"$group": {"_id": group_id, "count": {"$sum": 1}}})
        stages.append({"$sort": {"_id": -1}})
        return stages

    count = [
        {"$group": {"_id": 1, "totalSets": {"$sum": 1}}},
        {"$project": {"_id": 0, "totalSets": 1}},
    ]
    return [
        {"$match": visibility(number)},
        {
            "$facet": {
                "type": branch("$type"),
                "keywords": branch("$keywords", "$keywords"),
                "ownerGroup": branch("$ownerGroup"),
                "creationTime": branch(day),
                "all": count,
            }
        },
    ]


async def catalogue_queries(
    store: EmbeddedStore, ours: Any, plain: Any, rounds: int, baseline_rounds: int
) -> None:
    """The request paths of the API: visibility count and page, fullfacet, and a
    dataset insert with its 50 MetadataKeys rows; beside plain mongomock and
    beside the previous path (a full filter scan / mongomock's pipeline on copies)."""
    engine = ours._engine
    fast = max(20, rounds // 20)
    rows: list[tuple[str, list[float], list[float], list[float]]] = []

    def previous_count(number: int) -> int:
        query = visibility(number)
        return sum(1 for _ in engine._scan(list(engine.documents.values()), query))

    rows.append(
        (
            "count, visibility $or",
            await timed_async(fast, lambda n: ours.count_documents(visibility(n))),
            timed(baseline_rounds, previous_count),
            timed(baseline_rounds, lambda n: plain.count_documents(visibility(n))),
        )
    )
    where = {"size": {"$gt": 900_000_000}}
    rows.append(
        (
            "count, size > x AND visibility",
            await timed_async(
                fast,
                lambda n: ours.count_documents({"$and": [where, visibility(n)]}),
            ),
            [],
            timed(
                baseline_rounds,
                lambda n: plain.count_documents({"$and": [where, visibility(n)]}),
            ),
        )
    )

    async def page(number: int) -> Any:
        query = {"$and": [{"type": "raw"}, visibility(number)]}
        cursor = ours.find(query).sort("creationTime", -1).skip(10 * (number % 3))
        return await cursor.limit(10).to_list(None)

    await page(0)  # the ordered view is built once, on first use
    rows.append(
        (
            "v3 list page of 10 newest, visibility",
            await timed_async(fast, page),
            [],
            timed(
                baseline_rounds,
                lambda n: list(
                    plain.find({"$and": [{"type": "raw"}, visibility(n)]})
                    .sort("creationTime", -1)
                    .skip(10 * (n % 3))
                    .limit(10)
                ),
            ),
        )
    )

    async def facets(number: int) -> Any:
        return await (await ours.aggregate(fullfacet(number))).to_list(None)

    def previous_facets(number: int) -> Any:
        pipeline = fullfacet(number)
        source = [
            bson.decode(bson.encode(d), codec_options=NAIVE)
            for d in engine._iter_documents(pipeline[0]["$match"])
        ]
        return mm.process_pipeline(source, engine.database, pipeline[1:])

    rows.append(
        (
            "fullfacet, four facets + all",
            await timed_async(max(3, baseline_rounds), facets),
            timed(min(1, baseline_rounds), previous_facets),
            timed(
                min(1, baseline_rounds), lambda n: list(plain.aggregate(fullfacet(n)))
            ),
        )
    )

    table = MetadataKeysTable(store)
    rng = random.Random(7)
    fresh = [dataset(10_000_000 + n, rng) for n in range(fast * 2)]

    async def with_keys(number: int) -> None:
        document = dict(fresh[number])
        await ours.insert_one(document)
        await table.insert(_metadata_rows(document))

    async def with_keys_row_by_row(number: int) -> None:
        document = dict(fresh[fast + number])
        await ours.insert_one(document)
        for row in _metadata_rows(document):
            await table._rows.insert_one(row)

    plain_keys = mongomock.MongoClient(tz_aware=True).scicat.MetadataKeys
    plain_keys.create_index("sourceId")
    fresh_plain = [dataset(20_000_000 + n, rng) for n in range(baseline_rounds)]

    def plain_with_keys(number: int) -> None:
        document = dict(fresh_plain[number])
        plain.insert_one(document)
        plain_keys.insert_many(_metadata_rows(document))

    rows.append(
        (
            "insert dataset + 50 MetadataKeys",
            await timed_async(fast, with_keys),
            await timed_async(fast, with_keys_row_by_row),
            timed(baseline_rounds, plain_with_keys),
        )
    )

    print(
        f"{'operation (100k-scale paths)':38} {'embedded p50/p95 ms':>20}"
        f" {'previous path p50':>18} {'mongomock p50':>14}"
    )
    for name, ours_ms, previous_ms, plain_ms in rows:
        o50, o95 = percentiles(ours_ms)
        previous = f"{statistics.median(previous_ms):.1f}" if previous_ms else "-"
        baseline = f"{statistics.median(plain_ms):.1f}" if plain_ms else "-"
        print(f"{name:38} {o50:9.2f} / {o95:8.2f} {previous:>18} {baseline:>14}")
    print(
        "previous path: count = mongomock's matcher over every document; fullfacet"
        " = mongomock's pipeline on BSON copies; insert = 50 awaited insert_one"
    )


def _metadata_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    return metadata_key_rows(
        SourceType.DATASET,
        document["pid"],
        document["scientificMetadata"],
        owner_group=document["ownerGroup"],
        access_groups=document["accessGroups"],
        is_published=document["isPublished"],
    )


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
    parser.add_argument(
        "--sections",
        nargs="+",
        choices=["basic", "queries"],
        default=["basic", "queries"],
        help="basic: get/insert/page/count by ownerGroup; queries: visibility "
        "count and page, fullfacet, dataset + MetadataKeys insert",
    )
    args = parser.parse_args()
    asyncio.run(run(args.documents, args.rounds, args.baseline_rounds, args.sections))


if __name__ == "__main__":
    main()
