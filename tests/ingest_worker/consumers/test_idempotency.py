"""Claims: first writer wins, only success binds, leftovers of dead workers."""

from __future__ import annotations

import asyncio
import datetime as dt

from ingest_worker.consumers.idempotency import ClaimBook, ClaimKind


class CompetingStore:
    """The suite's store, reporting itself as MongoDB (several processes)."""

    kind = "mongodb"

    def __init__(self, store):
        self._store = store

    def collection(self, name):
        return self._store.collection(name)


async def claim(book: ClaimBook, message_id: str):
    claim_id = f"dataset.create/{message_id}"
    return await book.claim(claim_id, "dataset.create", message_id)


async def test_a_success_is_binding_and_answers_done(store):
    book = ClaimBook(store, lease_seconds=60)

    first = await claim(book, "m1")
    await book.succeed(first.claim_id, "pid-1")
    again = await claim(book, "m1")

    assert first.kind is ClaimKind.OWNED
    assert again.kind is ClaimKind.DONE
    assert again.document_id == "pid-1"


async def test_a_released_claim_lets_the_message_be_processed_again(store):
    book = ClaimBook(store, lease_seconds=60)

    first = await claim(book, "m2")
    await book.release(first.claim_id)
    again = await claim(book, "m2")

    assert again.kind is ClaimKind.OWNED
    assert again.earlier_attempt_at is None


async def test_on_the_embedded_store_a_dead_process_claim_is_taken_over(store):
    dead = ClaimBook(store, lease_seconds=3600)
    await claim(dead, "m3")

    restarted = ClaimBook(store, lease_seconds=3600)
    taken = await claim(restarted, "m3")

    assert taken.kind is ClaimKind.OWNED
    assert taken.earlier_attempt_at is not None
    stored = await store.collection("IngestClaim").find_one({"messageId": "m3"})
    assert stored["owner"] == restarted.owner


async def test_with_competing_workers_a_live_lease_is_respected(store):
    shared = CompetingStore(store)
    other = ClaimBook(shared, lease_seconds=3600)
    await claim(other, "m4")

    mine = ClaimBook(shared, lease_seconds=3600)

    assert (await claim(mine, "m4")).kind is ClaimKind.BUSY


async def test_with_competing_workers_an_expired_lease_is_taken_over(store):
    shared = CompetingStore(store)
    other = ClaimBook(shared, lease_seconds=3600)
    await claim(other, "m5")
    await store.collection("IngestClaim").update_one(
        {"messageId": "m5"},
        {"$set": {"leaseUntil": dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)}},
    )

    mine = ClaimBook(shared, lease_seconds=3600)

    assert (await claim(mine, "m5")).kind is ClaimKind.OWNED


async def test_copies_of_one_message_in_one_process_take_turns(store):
    book = ClaimBook(store, lease_seconds=60)
    order: list[str] = []

    async def deliver(name: str) -> None:
        async with book.exclusive("dataset.create", "m6") as claim_id:
            order.append(f"{name} in")
            outcome = await book.claim(claim_id, "dataset.create", "m6")
            if outcome.kind is ClaimKind.OWNED:
                await asyncio.sleep(0.01)
                await book.succeed(claim_id, "pid-6")
            order.append(f"{name} {outcome.kind.value}")

    await asyncio.gather(deliver("a"), deliver("b"))

    assert order == ["a in", "a owned", "b in", "b done"]
