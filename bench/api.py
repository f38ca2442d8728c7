"""REST API throughput beside a bare aiohttp handler, same client, same run.

    .venv/bin/python -m bench.api [--datasets 10000] [--seconds 4] [--rounds 3]
        [--concurrency 8] [--mongodb-uri URI]

The catalogue API (``create_app`` with the real services, token checks and
store) runs in one child process over ``--datasets`` stored datasets; a bare
aiohttp application in another child serves, from memory, the very JSON the
API answered for each request. One aiohttp client in this process drives both
with the same concurrency, in rounds that alternate which server goes first,
and prints each side's median round (requests per second, p50 and p99) for:

* ``GET /api/v3/datasets/{pid}`` (v3 read by pid, synthetic history included);
* ``GET /api/v3/datasets/fullquery`` (a page of 25 by type and date range);
* ``GET /api/v3/datasets/fullfacet`` over four facets.

Requests carry an admin token. The store is the embedded one unless
``--mongodb-uri`` is given; the table names it. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
from aiohttp import web

ACCOUNTS_FILE = (
    Path(__file__).resolve().parent.parent
    / "tests"
    / "data"
    / "functionalAccounts.json"
)
GROUPS = [f"group{n}" for n in range(1, 21)]
LOCATIONS = [f"/Facility/Beamline/P{n:02d}" for n in range(1, 9)]
KEYWORDS = ["powder", "xrd", "saxs", "tomography", "hematite", "calibration", "in-situ"]
FACETS = ["type", "creationLocation", "ownerGroup", "keywords"]
START = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)


def dataset(number: int, rng: random.Random) -> dict[str, Any]:
    """One stored dataset shaped as SciCat keeps it."""
    pid = f"20.500.12269/{uuid.UUID(int=rng.getrandbits(128))}"
    created = START + dt.timedelta(minutes=37 * number)
    group = rng.choice(GROUPS)
    return {
        "_id": pid,
        "pid": pid,
        "owner": "Ada Lovelace",
        "ownerEmail": "ada@facility.example",
        "contactEmail": "ada@facility.example",
        "sourceFolder": f"/data/{group}/run_{number:06d}",
        "size": rng.randrange(10**6, 10**10),
        "packedSize": 0,
        "numberOfFiles": rng.randrange(1, 500),
        "numberOfFilesArchived": 0,
        "creationTime": created,
        "type": "raw" if number % 3 else "derived",
        "keywords": rng.sample(KEYWORDS, 2),
        "description": f"Run {number} of {group}",
        "datasetName": f"run_{number:06d}",
        "classification": "IN=medium,AV=low,CO=low",
        "isPublished": number % 10 == 0,
        "ownerGroup": group,
        "accessGroups": [rng.choice(GROUPS)],
        "creationLocation": rng.choice(LOCATIONS),
        "principalInvestigators": ["Charles Babbage"],
        "proposalIds": [f"2024{number % 500:04d}"],
        "sampleIds": [],
        "instrumentIds": [],
        "sharedWith": [],
        "techniques": [],
        "relationships": [],
        "inputDatasets": [],
        "usedSoftware": [],
        "jobParameters": {},
        "scientificMetadata": {
            "temperature": {
                "value": 280 + number % 40,
                "unit": "K",
                "valueSI": 280 + number % 40,
                "unitSI": "K",
            },
            "wavelength": {
                "value": 1.54,
                "unit": "Å",
                "valueSI": 1.54e-10,
                "unitSI": "m",
            },
        },
        "datasetlifecycle": {
            "archivable": True,
            "retrievable": False,
            "publishable": False,
            "isOnCentralDisk": True,
            "archiveStatusMessage": "datasetCreated",
            "retrieveStatusMessage": "",
            "archiveReturnMessage": {},
            "retrieveReturnMessage": {},
            "retrieveIntegrityCheck": False,
        },
        "createdBy": "ingestor",
        "updatedBy": "ingestor",
        "createdAt": created,
        "updatedAt": created,
        "__v": 0,
    }


# --- the two servers (child processes) ----------------------------------------------


def serve_catalogue(
    conn: Connection, folder: str, port: int, count: int, mongodb_uri: str | None
) -> None:
    asyncio.run(_serve_catalogue(conn, folder, port, count, mongodb_uri))


async def _serve_catalogue(
    conn: Connection, folder: str, port: int, count: int, mongodb_uri: str | None
) -> None:
    from common import collector
    from common.identity.authenticator import JwtAuthenticator
    from common.identity.login import login
    from common.identity.seeding import seed_functional_accounts
    from common.identity.tokens import TokenCodec
    from common.logging import configure_logging
    from common.runtime import Runtime
    from common.services import Services
    from common.settings import Settings
    from common.store import open_store
    from migrations import runner as migrations
    from read_api.app import create_app
    from read_api.keys import Services as ApiServices

    values: dict[str, Any] = {
        "EMBEDDED_STORE_PATH": Path(folder) / "store",
        "FUNCTIONAL_ACCOUNTS_FILE": ACCOUNTS_FILE,
        "JWT_SECRET": "bench-secret-which-is-long-enough-for-hs256",
        "ADMIN_GROUPS": "admin",
        "AMQP_EVENTS_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "HOST": "127.0.0.1",
        "PORT": port,
        "AMQP_NAMESPACE": f"bench-{uuid.uuid4().hex[:8]}",
    }
    if mongodb_uri:
        values["MONGODB_URI"] = mongodb_uri
    settings = Settings(_env_file=None, **values)
    configure_logging(settings.LOG_LEVEL, "json")
    # The API process's policy (``scicat api`` installs it at its root).
    collector.install()

    store = await open_store(settings)
    await migrations.up(store, settings)
    rng = random.Random(20260101)
    documents = [dataset(number, rng) for number in range(count)]
    collection = store.collection("Dataset")
    await collection.delete_many({"_id": {"$regex": "^20.500.12269/"}})
    for start in range(0, count, 1000):
        await collection.insert_many(documents[start : start + 1000])
    await seed_functional_accounts(store, settings)
    codec = TokenCodec.from_settings(settings)
    answer = await login(store, settings, codec, "admin", _password("admin"))

    runtime = await Runtime.open(settings, store=store)
    container = ApiServices()
    container.add(Services, runtime.services)
    container.add(Runtime, runtime)
    app = create_app(
        settings,
        store=store,
        authenticator=JwtAuthenticator(store, codec),
        services=container,
    )
    site_runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await site_runner.setup()
    await web.TCPSite(site_runner, "127.0.0.1", port).start()
    conn.send(
        {
            "token": answer["access_token"],
            "pid": documents[count // 2]["pid"],
            "store": f"{store.kind} ({type(store).__name__})",
        }
    )
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)
    await site_runner.cleanup()
    await runtime.close()
    await store.close()


def _password(username: str) -> str:
    entries = json.loads(ACCOUNTS_FILE.read_text("utf-8"))
    return next(str(e["password"]) for e in entries if e["username"] == username)


def serve_bare(conn: Connection, port: int, bodies: dict[str, bytes]) -> None:
    asyncio.run(_serve_bare(conn, port, bodies))


async def _serve_bare(conn: Connection, port: int, bodies: dict[str, bytes]) -> None:
    async def handle(request: web.Request) -> web.Response:
        body = bodies[request.match_info["name"]]
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/bare/{name}", handle)
    site_runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await site_runner.setup()
    await web.TCPSite(site_runner, "127.0.0.1", port).start()
    conn.send("ready")
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)
    await site_runner.cleanup()


# --- the client ----------------------------------------------------------------


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def drive(
    session: aiohttp.ClientSession,
    url: str,
    headers: Mapping[str, str],
    *,
    seconds: float,
    concurrency: int,
) -> Result:
    """Keep ``concurrency`` requests in flight for ``seconds``; every answer is read."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            async with session.get(url, headers=headers) as reply:
                await reply.read()
                if reply.status != 200:
                    raise RuntimeError(f"{url}: {reply.status}")
            latencies.append(time.perf_counter() - began)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Result(url, len(latencies), time.perf_counter() - started, latencies)


def scenarios(pid: str) -> dict[str, str]:
    fields = {
        "type": "raw",
        "creationTime": {
            "begin": "2023-03-01T00:00:00Z",
            "end": "2023-09-01T00:00:00Z",
        },
    }
    limits = {"limit": 25, "skip": 0, "order": "creationTime:desc"}
    return {
        "GET /api/v3/datasets/{pid}": f"/api/v3/datasets/{quote(pid, safe='')}",
        "fullquery page of 25": "/api/v3/datasets/fullquery?"
        + urlencode({"fields": json.dumps(fields), "limits": json.dumps(limits)}),
        "fullfacet, 4 facets": "/api/v3/datasets/fullfacet?"
        + urlencode({"facets": json.dumps(FACETS)}),
    }


def median(results: list[Result]) -> Result:
    """The round with the median rate."""
    return sorted(results, key=lambda result: result.rate)[len(results) // 2]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def run(args: argparse.Namespace) -> None:
    spawn = multiprocessing.get_context("spawn")
    api_port, bare_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as folder:
        api_conn, api_child = spawn.Pipe()
        api = spawn.Process(
            target=serve_catalogue,
            args=(api_child, folder, api_port, args.datasets, args.mongodb_uri),
        )
        loading = time.perf_counter()
        api.start()
        info = await asyncio.get_running_loop().run_in_executor(None, api_conn.recv)
        print(
            f"loaded {args.datasets} datasets in {time.perf_counter() - loading:.1f} s;"
            f" store: {info['store']}",
            flush=True,
        )
        headers = {"Authorization": f"Bearer {info['token']}"}
        paths = scenarios(info["pid"])
        connector = aiohttp.TCPConnector(limit=args.concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            bodies: dict[str, bytes] = {}
            for index, path in enumerate(paths.values()):
                async with session.get(
                    f"http://127.0.0.1:{api_port}{path}", headers=headers
                ) as reply:
                    assert reply.status == 200, await reply.text()
                    bodies[str(index)] = await reply.read()

            bare_conn, bare_child = spawn.Pipe()
            bare = spawn.Process(
                target=serve_bare, args=(bare_child, bare_port, bodies)
            )
            bare.start()
            await asyncio.get_running_loop().run_in_executor(None, bare_conn.recv)

            rows = []
            for index, (name, path) in enumerate(paths.items()):
                bare_url = f"http://127.0.0.1:{bare_port}/bare/{index}"
                api_url = f"http://127.0.0.1:{api_port}{path}"
                for url in (bare_url, api_url):  # warm both up
                    await drive(session, url, headers, seconds=0.5, concurrency=2)
                # Rounds alternate which server goes first, so a drift of the
                # machine's load weighs on both; each side's median round counts.
                ours_rounds, bare_rounds = [], []
                for round_number in range(args.rounds):
                    order = [(api_url, ours_rounds), (bare_url, bare_rounds)]
                    for url, results in order[:: 1 if round_number % 2 == 0 else -1]:
                        results.append(
                            await drive(
                                session,
                                url,
                                headers,
                                seconds=args.seconds,
                                concurrency=args.concurrency,
                            )
                        )
                rows.append(
                    (
                        name,
                        len(bodies[str(index)]),
                        median(ours_rounds),
                        median(bare_rounds),
                    )
                )

            for conn in (bare_conn, api_conn):
                conn.send("stop")
        bare.join(30)
        api.join(60)

    print(
        f"\n{args.datasets} datasets, store {info['store']}, concurrency "
        f"{args.concurrency}, median of {args.rounds} alternating rounds of "
        f"{args.seconds:g} s\n"
    )
    header = (
        f"{'request':<28}{'bytes':>8}  {'API req/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
        f"  {'bare req/s':>10}{'p50 ms':>9}{'p99 ms':>9}  {'API/bare':>8}"
    )
    print(header)
    print("-" * len(header))
    for name, size, ours, baseline in rows:
        print(
            f"{name:<28}{size:>8}  {ours.rate:>10.0f}{ours.percentile(0.5):>9.2f}"
            f"{ours.percentile(0.99):>9.2f}  {baseline.rate:>10.0f}"
            f"{baseline.percentile(0.5):>9.2f}{baseline.percentile(0.99):>9.2f}"
            f"  {ours.rate / baseline.rate:>8.2f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--mongodb-uri", default=None)
    args = parser.parse_args(argv)
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
