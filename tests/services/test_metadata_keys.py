"""The MetadataKeys table: batched rebuilds that converge on the source's rows."""

from __future__ import annotations

import asyncio

from common.services.metadata_keys import (
    MetadataKeysTable,
    SourceType,
    metadata_key_rows,
)

PID = "20.500.12269/keys-1"


def rows_for(keys: list[str], groups: list[str]) -> list[dict]:
    return metadata_key_rows(
        SourceType.DATASET,
        PID,
        {key: {"value": 1, "unit": "mm"} for key in keys},
        owner_group=groups[0],
        access_groups=groups[1:],
        is_published=False,
    )


async def stored_rows(store) -> dict[str, list[str]]:
    rows = await store.collection("MetadataKeys").find({}).to_list(None)
    return {row["key"]: row["userGroups"] for row in rows}


async def test_replace_updates_adds_and_drops_rows(store) -> None:
    table = MetadataKeysTable(store)
    await table.insert(rows_for(["a", "b", "c"], ["g1"]))
    other = metadata_key_rows(
        SourceType.PROPOSAL,
        PID,
        {"a": {}},
        owner_group="p",
        access_groups=[],
        is_published=False,
    )
    await table.insert(other)

    await table.replace("dataset", PID, rows_for(["b", "c", "d"], ["g1", "g2"]))

    rows = await store.collection("MetadataKeys").find({}).to_list(None)
    dataset_rows = {
        r["key"]: r["userGroups"] for r in rows if r["sourceType"] == "dataset"
    }
    assert dataset_rows == {"b": ["g1", "g2"], "c": ["g1", "g2"], "d": ["g1", "g2"]}
    # Another source type with the same id keeps its rows.
    assert [r["key"] for r in rows if r["sourceType"] == "proposal"] == ["a"]


async def test_replace_with_no_rows_removes_them_all(store) -> None:
    table = MetadataKeysTable(store)
    await table.insert(rows_for(["a", "b"], ["g1"]))

    await table.replace("dataset", PID, [])

    assert await stored_rows(store) == {}


async def test_concurrent_rebuilds_converge_without_errors(store) -> None:
    table = MetadataKeysTable(store)
    await table.insert(rows_for(["a"], ["g1"]))
    wanted = rows_for(["a", "b", "c"], ["g2"])

    await asyncio.gather(*(table.replace("dataset", PID, wanted) for _ in range(4)))

    assert await stored_rows(store) == {"a": ["g2"], "b": ["g2"], "c": ["g2"]}


async def test_insert_over_half_written_rows_rebuilds_them(store) -> None:
    table = MetadataKeysTable(store)
    await table.insert(rows_for(["a"], ["old"]))

    await table.insert(rows_for(["a", "b"], ["new"]))

    assert await stored_rows(store) == {"a": ["new"], "b": ["new"]}


async def test_has_rows_counts_the_source_type_only(store) -> None:
    table = MetadataKeysTable(store)
    await table.insert(rows_for(["a", "b"], ["g1"]))
    await table.insert(
        metadata_key_rows(
            SourceType.SAMPLE,
            PID,
            {"x": {}},
            owner_group="g",
            access_groups=[],
            is_published=False,
        )
    )

    assert await table.has_rows("dataset", PID, 2)
    assert not await table.has_rows("dataset", PID, 3)
    assert await table.has_rows("sample", PID, 1)


async def test_a_rebuild_racing_between_delete_and_insert_upserts(store) -> None:
    table = MetadataKeysTable(store)
    collection = table._rows
    wanted = rows_for(["a", "b"], ["mine"])
    real_insert_many = collection.insert_many

    async def racing_insert_many(rows, ordered=True):
        # Another process stores its own row "a" just before our insert.
        table._rows = collection
        await collection.insert_one({**rows_for(["a"], ["theirs"])[0]})
        return await real_insert_many(rows, ordered=ordered)

    class Racing:
        def __getattr__(self, name):
            if name == "insert_many":
                return racing_insert_many
            return getattr(collection, name)

    table._rows = Racing()
    await table.replace("dataset", PID, wanted)

    assert await stored_rows(store) == {"a": ["mine"], "b": ["mine"]}
