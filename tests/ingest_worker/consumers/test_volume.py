"""Volume: competing consumers and a killed process never duplicate or lose data."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import uuid
from pathlib import Path

import aio_pika
import pytest

from common import jsoncodec
from common.models.dataset import derived_pid
from common.store import EmbeddedStore
from ingest_worker.topology import Topology, declare_topology
from tests.fixtures.accounts import TEST_GROUP_SETTINGS
from tests.fixtures.rabbit import free_port
from tests.services.conftest import raw_dataset

pytestmark = [pytest.mark.rabbit, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[3]


def small_dataset(number: int) -> dict:
    body = raw_dataset(sourceFolder=f"/data/run_{number}")
    body.pop("scientificMetadata")
    return body


async def publish_many(channel, exchange_name, messages, routing_key="dataset.create"):
    exchange = await channel.get_exchange(exchange_name)
    gate = asyncio.Semaphore(256)

    async def one(message):
        async with gate:
            await exchange.publish(message, routing_key=routing_key)

    await asyncio.gather(*(one(message) for message in messages))


@pytest.mark.timeout(240)
async def test_two_consumers_in_one_process_store_each_message_once(ingest):
    await ingest.start_worker()  # a second connection and consumer, same process
    token = await ingest.accounts.token("user1")
    ids = [f"vol-{n}-{uuid.uuid4().hex[:6]}" for n in range(2000)]
    messages = [
        aio_pika.Message(
            jsoncodec.dumps(small_dataset(n)),
            content_type="application/json",
            message_id=message_id,
            correlation_id=message_id,
            reply_to=ingest.reply_queue.name,
            headers={"authorization": f"Bearer {token}"},
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        for n, message_id in enumerate(ids)
    ]
    for message_id in ids:
        ingest.replies[message_id] = asyncio.get_running_loop().create_future()
    queue = await ingest.channel.declare_queue(
        f"{ingest.settings.AMQP_NAMESPACE}.dataset.create", passive=True
    )
    consumers = queue.declaration_result.consumer_count

    await publish_many(
        ingest.channel, f"{ingest.settings.AMQP_NAMESPACE}.ingest", messages
    )
    replies = [await ingest.reply(message_id, within=180) for message_id in ids]

    assert consumers == 2
    assert {reply["status"] for reply in replies} == {"created"}
    assert await ingest.count("Dataset") == 2000
    stored = await ingest.store.collection("Dataset").find({}, {"_id": 1}).to_list(None)
    assert {d["_id"] for d in stored} == {derived_pid("test.pid", m) for m in ids}


def _serve_env(tmp_path: Path, namespace: str, accounts: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MONGODB", "AMQP", "INGEST", "EMBEDDED"))
    }
    env.update(
        {
            "EMBEDDED_STORE_PATH": str(tmp_path / "store"),
            "AMQP_NAMESPACE": namespace,
            "JWT_SECRET": "test-secret-which-is-long-enough-for-hs256",
            "FUNCTIONAL_ACCOUNTS_FILE": str(accounts),
            "PID_PREFIX": "kill.test",
            "PORT": str(free_port()),
            "LOG_LEVEL": "WARNING",
            "AMQP_EVENTS_ENABLED": "no",
            **{key: str(value) for key, value in TEST_GROUP_SETTINGS.items()},
        }
    )
    return env


async def _scicat(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    # The process's log goes beside its store, for a failure's post-mortem.
    path = Path(f"{env['EMBEDDED_STORE_PATH']}-{args[0]}.log")
    with path.open("ab") as log:  # noqa: ASYNC230
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "cli.main",
            *args,
            cwd=str(env["EMBEDDED_STORE_PATH"]).rsplit("/", 1)[0],
            env={**env, "PYTHONPATH": str(REPO)},
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
        )


@pytest.mark.timeout(400)
async def test_scicat_all_killed_mid_stream_loses_and_duplicates_nothing(
    tmp_path, rabbit_namespace, rabbit_connection
):
    accounts = tmp_path / "accounts.json"
    accounts.write_text(
        json.dumps(
            [
                {
                    "username": "guest",  # the broker user that publishes
                    "password": "guest-password",
                    "email": "guest@your.site",
                    "role": "group1",
                    "global": False,
                }
            ]
        )
    )
    namespace = rabbit_namespace.name
    env = _serve_env(tmp_path, namespace, accounts)
    migrate = await _scicat(env, "migrate", "up")
    assert await migrate.wait() == 0
    await declare_topology(
        rabbit_connection, Topology.from_settings(rabbit_namespace.settings)
    )

    channel = await rabbit_connection.channel()
    replies: dict[str, str] = {}
    progress = asyncio.Event()
    reply_queue = await channel.declare_queue(exclusive=True, auto_delete=True)

    async def on_reply(message):
        replies.setdefault(message.correlation_id, json.loads(message.body)["status"])
        progress.set()

    await reply_queue.consume(on_reply, no_ack=True)
    ids = [f"kill-{n}" for n in range(2000)]
    messages = [
        aio_pika.Message(
            jsoncodec.dumps(small_dataset(n)),
            content_type="application/json",
            message_id=message_id,
            correlation_id=message_id,
            reply_to=reply_queue.name,
            user_id="guest",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        for n, message_id in enumerate(ids)
    ]
    await publish_many(channel, f"{namespace}.ingest", messages)

    async def until(count: int, within: float) -> None:
        async with asyncio.timeout(within):
            while len(replies) < count:
                progress.clear()
                await progress.wait()

    first = await _scicat(env, "all")
    try:
        await until(300, 120)
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
    killed_at = len(replies)

    second = await _scicat(env, "all")
    try:
        await until(2000, 240)
    finally:
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), 60) == 0

    store = EmbeddedStore(tmp_path / "store")
    await store.open()
    try:
        stored = await store.collection("Dataset").find({}, {"_id": 1}).to_list(None)
    finally:
        await store.close()
    assert 300 <= killed_at < 2000
    assert set(replies) == set(ids)
    assert set(replies.values()) <= {"created", "duplicate"}
    assert len(stored) == 2000
    assert {d["_id"] for d in stored} == {derived_pid("kill.test", m) for m in ids}
