"""Each message outcome end to end on the real broker: reply, store, dead letter."""

from __future__ import annotations

import json
import uuid

import pytest

from common.models.dataset import derived_pid
from tests.services.conftest import file_list, raw_dataset

pytestmark = pytest.mark.rabbit


def error_of(dead) -> dict:
    return json.loads(dead.headers["x-scicat-error"])


async def test_created_dataset_is_stored_under_a_pid_derived_from_the_message_id(
    ingest,
):
    message_id = uuid.uuid4().hex
    correlation = await ingest.publish(
        "dataset.create", raw_dataset(), message_id=message_id
    )

    reply = await ingest.reply(correlation)

    pid = derived_pid("test.pid", message_id)
    assert reply["status"] == "created"
    assert reply["id"] == pid
    assert reply["document"]["pid"] == pid
    assert reply["document"]["proposalId"] == "10.540/39281"  # v3 rendering
    assert reply["document"]["createdAt"].endswith("Z")
    stored = await ingest.store.collection("Dataset").find_one({"_id": pid})
    assert stored["createdBy"] == "user1"
    assert stored["ownerGroup"] == "group1"
    assert ingest.reply_messages[0].correlation_id == correlation


async def test_v4_header_selects_the_v4_body(ingest):
    body = raw_dataset(datasetName="run 7", proposalIds=["p1"])
    for v3_only in ("principalInvestigator", "proposalId"):
        body.pop(v3_only)
    correlation = await ingest.publish(
        "dataset.create", body, headers={"x-scicat-api-version": "4"}
    )

    reply = await ingest.reply(correlation)

    assert reply["status"] == "created"
    stored = await ingest.store.collection("Dataset").find_one({"_id": reply["id"]})
    assert stored["version"] == "4"
    assert stored["proposalIds"] == ["p1"]


async def test_same_message_again_is_a_duplicate_and_writes_nothing(ingest):
    message_id = uuid.uuid4().hex
    first = await ingest.publish("dataset.create", raw_dataset(), message_id=message_id)
    created = await ingest.reply(first)

    again = await ingest.publish("dataset.create", raw_dataset(), message_id=message_id)
    duplicate = await ingest.reply(again)

    assert duplicate["status"] == "duplicate"
    assert duplicate["id"] == created["id"]
    assert duplicate["document"]["pid"] == created["id"]
    assert await ingest.count("Dataset") == 1


async def test_invalid_body_is_dead_lettered_with_the_validation_details(ingest):
    body = raw_dataset(size="big", unknownField=1)
    message_id = uuid.uuid4().hex
    correlation = await ingest.publish("dataset.create", body, message_id=message_id)

    reply = await ingest.reply(correlation)
    dead = await ingest.dead_letter()

    assert reply["status"] == "rejected"
    assert reply["error"]["code"] == "invalid"
    fields = {detail["field"] for detail in reply["error"]["details"]}
    assert {"size", "unknownField"} <= fields
    assert dead.headers["x-scicat-error-code"] == "invalid"
    assert dead.headers["x-scicat-routing-key"] == "dataset.create"
    assert dead.headers["x-scicat-attempts"] == 1
    assert error_of(dead)["details"] == reply["error"]["details"]
    assert dead.message_id == message_id
    assert json.loads(dead.body) == body
    assert dead.headers["authorization"].startswith("Bearer ")
    assert await ingest.count("Dataset") == 0


async def test_forbidden_when_the_sender_may_not_create_for_that_group(ingest):
    correlation = await ingest.publish(
        "dataset.create", raw_dataset(ownerGroup="group2"), user="user1"
    )

    reply = await ingest.reply(correlation)
    dead = await ingest.dead_letter()

    assert reply["error"]["code"] == "forbidden"
    assert dead.headers["x-scicat-error-code"] == "forbidden"
    assert await ingest.count("Dataset") == 0


async def test_without_credentials_the_message_is_unauthenticated(ingest):
    correlation = await ingest.publish("dataset.create", raw_dataset(), user=None)

    reply = await ingest.reply(correlation)
    dead = await ingest.dead_letter()

    assert reply["status"] == "rejected"
    assert reply["error"]["code"] == "unauthenticated"
    assert dead.headers["x-scicat-error-code"] == "unauthenticated"
    assert "no credentials" in error_of(dead)["message"]


async def test_a_forged_token_is_unauthenticated_not_anonymous(ingest):
    correlation = await ingest.publish(
        "dataset.create", raw_dataset(), token="eyJhbGciOiJub25lIn0.eyJfaWQiOiIxIn0."
    )

    reply = await ingest.reply(correlation)

    assert reply["error"]["code"] == "unauthenticated"
    assert await ingest.count("Dataset") == 0


async def test_file_list_is_created_and_the_dataset_sizes_follow(ingest):
    made = await ingest.reply(await ingest.publish("dataset.create", raw_dataset()))
    pid = made["id"]

    reply = await ingest.reply(
        await ingest.publish("origdatablock.create", file_list(pid, [10, 20]))
    )

    assert reply["status"] == "created"
    assert reply["document"]["datasetId"] == pid
    dataset = await ingest.store.collection("Dataset").find_one({"_id": pid})
    assert (dataset["size"], dataset["numberOfFiles"]) == (30, 2)


async def test_datablock_is_created_and_counted(ingest):
    made = await ingest.reply(
        await ingest.publish("dataset.create", raw_dataset(), user="adminIngestor")
    )
    body = {
        "datasetId": made["id"],
        "archiveId": f"archive-{uuid.uuid4().hex}",
        "size": 40,
        "packedSize": 20,
        "version": "1.0",
        "dataFileList": [{"path": "f", "size": 40, "time": "2026-01-02T03:04:05Z"}],
    }

    reply = await ingest.reply(
        await ingest.publish("datablock.create", body, user="adminIngestor")
    )

    assert reply["status"] == "created", reply
    dataset = await ingest.store.collection("Dataset").find_one({"_id": made["id"]})
    assert dataset["packedSize"] == 20


async def test_an_unexpected_failure_is_dead_lettered_and_the_worker_goes_on(
    ingest, monkeypatch
):
    calls = []
    real_create = ingest.runtime.services.datasets.create

    async def broken_once(*args, **kwargs):
        if not calls:
            calls.append(1)
            raise KeyError("a bug")
        return await real_create(*args, **kwargs)

    monkeypatch.setattr(ingest.runtime.services.datasets, "create", broken_once)
    message_id = uuid.uuid4().hex

    failed = await ingest.reply(
        await ingest.publish("dataset.create", raw_dataset(), message_id=message_id)
    )
    dead = await ingest.dead_letter()
    replayed = await ingest.reply(
        await ingest.publish("dataset.create", raw_dataset(), message_id=message_id)
    )

    assert failed["error"]["code"] == "internal"
    assert failed["error"]["details"]["exception"] == "KeyError"
    assert dead.headers["x-scicat-error-code"] == "internal"
    assert replayed["status"] == "created"  # the claim was released
    assert await ingest.count("Dataset") == 1


async def test_a_delivery_is_handled_without_a_worker_thread_hop(ingest, monkeypatch):
    # FastStream resolves synchronous handler parameters in a thread per
    # delivery; the worker's handlers must not have any (it halved throughput).
    import fast_depends.utils

    hops: list[object] = []
    original = fast_depends.utils.run_in_threadpool

    async def counting(func, *args, **kwargs):
        hops.append(func)
        return await original(func, *args, **kwargs)

    monkeypatch.setattr(fast_depends.utils, "run_in_threadpool", counting)
    correlation = await ingest.publish("dataset.create", raw_dataset())

    reply = await ingest.reply(correlation)

    assert reply["status"] == "created"
    assert hops == []
