"""Malformed messages: every one dead-lettered with a reason; the worker goes on."""

from __future__ import annotations

import asyncio
import json
import uuid

import aio_pika
import pytest
from pamqp import commands as spec

from common import jsoncodec
from tests.services.conftest import raw_dataset

pytestmark = pytest.mark.rabbit


class WithoutMessageId(spec.Basic.Properties):
    """Properties the AMQP client cannot add a message id to (it always does)."""

    @property  # type: ignore[override]
    def message_id(self):
        return None

    @message_id.setter
    def message_id(self, _value):
        pass


async def rejection(ingest, correlation):
    reply = await ingest.reply(correlation)
    dead = await ingest.dead_letter()
    assert reply["status"] == "rejected"
    assert dead.headers["x-scicat-error-code"] == reply["error"]["code"]
    return reply["error"], dead


async def test_missing_message_id_is_invalid(ingest):
    token = await ingest.accounts.token("user1")
    correlation = uuid.uuid4().hex
    ingest.replies[correlation] = asyncio.get_running_loop().create_future()
    properties = WithoutMessageId(
        content_type="application/json",
        delivery_mode=2,
        correlation_id=correlation,
        reply_to=ingest.reply_queue.name,
        headers={"authorization": f"Bearer {token}"},
    )
    underlay = await ingest.channel.get_underlay_channel()
    await underlay.basic_publish(
        jsoncodec.dumps(raw_dataset()),
        exchange=f"{ingest.settings.AMQP_NAMESPACE}.ingest",
        routing_key="dataset.create",
        properties=properties,
    )

    error, _dead = await rejection(ingest, correlation)

    assert error["code"] == "invalid"
    assert "message_id is required" in error["message"]
    assert await ingest.count("Dataset") == 0


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b'{"owner": "x", "size": ', "application/json", "not valid JSON"),
        (b"\xff\xfe\x00binary", "application/json", "not valid JSON"),
        (b"[1, 2, 3]", "application/json", "must be a JSON object"),
        (b'{"owner": "x"}', "application/xml", "unsupported content type"),
        (b"x" * 300_000, "application/json", "too large"),
    ],
    ids=["truncated", "binary", "array", "content-type", "oversized"],
)
async def test_undecodable_messages_are_invalid_with_a_reason(
    ingest, body, content_type, expected
):
    correlation = await ingest.publish(
        "dataset.create", body, content_type=content_type
    )

    error, dead = await rejection(ingest, correlation)

    assert error["code"] == "invalid"
    assert expected in error["message"]
    assert dead.body == body
    assert dead.content_type == content_type


async def test_unknown_api_version_is_invalid(ingest):
    correlation = await ingest.publish(
        "dataset.create", raw_dataset(), headers={"x-scicat-api-version": "7"}
    )

    error, _dead = await rejection(ingest, correlation)

    assert error["details"] == {"header": "x-scicat-api-version", "value": "7"}


async def test_huge_string_in_a_wrong_type_is_invalid_with_a_bounded_reason(ingest):
    body = raw_dataset(size="9" * 200_000, isPublished="k" * 50_000)

    error, dead = await rejection(ingest, await ingest.publish("dataset.create", body))

    assert {"size", "isPublished"} <= {d["field"] for d in error["details"]}
    assert len(dead.headers["x-scicat-error"]) <= 16_384


def malformed(n: int) -> tuple[bytes, str | None]:
    kind = n % 6
    if kind == 0:
        return b'{"owner": "trunc', "application/json"
    if kind == 1:
        return bytes([n % 256, 0xFF, 0xC3, 0x28]) * 8, "application/json"
    if kind == 2:
        return jsoncodec.dumps(raw_dataset(size=f"s{n}")), "application/json"
    if kind == 3:
        return jsoncodec.dumps(raw_dataset(owner="o" * 20_000, size=[n])), None
    if kind == 4:
        return jsoncodec.dumps(raw_dataset()), "text/plain"
    return b"null", "application/json"


@pytest.mark.slow
async def test_a_thousand_malformed_messages_are_all_dead_lettered(ingest):
    token = await ingest.accounts.token("user1")
    exchange = await ingest.channel.get_exchange(
        f"{ingest.settings.AMQP_NAMESPACE}.ingest"
    )
    messages = []
    for n in range(1000):
        body, content_type = malformed(n)
        messages.append(
            aio_pika.Message(
                body,
                content_type=content_type,
                message_id=f"bad-{n}",
                headers={"authorization": f"Bearer {token}"},
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            )
        )
    await asyncio.gather(
        *(exchange.publish(m, routing_key="dataset.create") for m in messages)
    )

    dead = [await ingest.dead_letter(within=60) for _ in range(1000)]
    after = await ingest.reply(await ingest.publish("dataset.create", raw_dataset()))

    assert sorted(m.message_id for m in dead) == sorted(f"bad-{n}" for n in range(1000))
    assert {m.headers["x-scicat-error-code"] for m in dead} == {"invalid"}
    assert all(json.loads(m.headers["x-scicat-error"])["message"] for m in dead)
    assert after["status"] == "created"
    assert await ingest.count("Dataset") == 1
