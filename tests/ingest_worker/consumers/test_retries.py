"""Transient failures: retried through the delay queues, then dead-lettered."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from common.errors import StoreUnavailableError
from common.models.dataset import derived_pid
from common.services.ids import derived_uuid
from tests.services.conftest import file_list, raw_dataset

pytestmark = pytest.mark.rabbit


async def test_transient_store_failure_is_retried_then_succeeds(ingest, monkeypatch):
    collection = ingest.runtime.services.datasets.collection
    real_insert = collection.insert_one
    failures = []

    async def flaky_insert(document, *args, **kwargs):
        if len(failures) < 2:
            failures.append(document["_id"])
            raise StoreUnavailableError("store did not answer in time")
        return await real_insert(document, *args, **kwargs)

    monkeypatch.setattr(collection, "insert_one", flaky_insert)

    reply = await ingest.reply(await ingest.publish("dataset.create", raw_dataset()))

    assert reply["status"] == "created"
    assert len(failures) == 2
    assert await ingest.count("Dataset") == 1
    assert len(ingest.reply_messages) == 1


async def test_file_list_before_its_dataset_is_applied_once_the_dataset_exists(
    ingest,
):
    dataset_message = uuid.uuid4().hex
    pid = derived_pid("test.pid", dataset_message)
    early = await ingest.publish("origdatablock.create", file_list(pid, [5, 6]))
    await asyncio.sleep(0.1)  # let the file list fail once before the dataset

    created = await ingest.reply(
        await ingest.publish(
            "dataset.create", raw_dataset(), message_id=dataset_message
        )
    )
    files = await ingest.reply(early)

    assert created["id"] == pid
    assert files["status"] == "created"
    dataset = await ingest.store.collection("Dataset").find_one({"_id": pid})
    assert (dataset["size"], dataset["numberOfFiles"]) == (11, 2)


async def test_retries_exhausted_then_dead_lettered_with_the_last_reason(ingest):
    message_id = uuid.uuid4().hex
    body = file_list("no-such-dataset", [1])
    correlation = await ingest.publish(
        "origdatablock.create", body, message_id=message_id
    )

    reply = await ingest.reply(correlation)
    dead = await ingest.dead_letter()

    assert reply["status"] == "rejected"
    assert reply["error"]["code"] == "retries_exhausted"
    assert "no-such-dataset" in reply["error"]["message"]
    # one first attempt and one per configured delay (0.2 s, 0.4 s)
    assert dead.headers["x-scicat-attempts"] == 3
    assert dead.headers["x-scicat-error-code"] == "retries_exhausted"
    assert dead.headers["x-scicat-routing-key"] == "origdatablock.create"
    assert json.loads(dead.headers["x-scicat-error"])["details"]["last_error"]
    assert dead.message_id == message_id
    assert json.loads(dead.body) == body
    assert len(ingest.reply_messages) == 1
    assert await ingest.count("OrigDatablock") == 0
    claim = await ingest.store.collection("IngestClaim").find_one(
        {"messageId": message_id}
    )
    assert claim is None  # only a success is binding


async def test_a_redelivered_file_list_does_not_count_twice(ingest):
    made = await ingest.reply(await ingest.publish("dataset.create", raw_dataset()))
    message_id = uuid.uuid4().hex
    body = file_list(made["id"], [7])

    first = await ingest.reply(
        await ingest.publish("origdatablock.create", body, message_id=message_id)
    )
    # a crash after the write: the claim is gone, the document is there
    await ingest.store.collection("IngestClaim").delete_many({})
    second = await ingest.reply(
        await ingest.publish("origdatablock.create", body, message_id=message_id)
    )

    assert first["id"] == second["id"] == derived_uuid(message_id)
    assert second["status"] == "created"  # its first reply counts as never sent
    assert await ingest.count("OrigDatablock") == 1
    dataset = await ingest.store.collection("Dataset").find_one({"_id": made["id"]})
    assert dataset["size"] == 7
