"""The synthetic v3 ``history`` rebuilt from History rows (§10.3)."""

from __future__ import annotations

import copy
import datetime as dt

from common.services.dataset_history import synthetic_history

PID = "20.500.12269/history-1"
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def stored_dataset() -> dict:
    return {
        "_id": PID,
        "pid": PID,
        "description": "third",
        "datasetlifecycle": {
            "archivable": False,
            "retrievable": True,
            "archiveStatusMessage": "datasetCreated",
        },
    }


def row(minutes: int, before: dict, after: dict) -> dict:
    return {
        "subsystem": "Dataset",
        "documentId": PID,
        "operation": "update",
        "timestamp": T0 + dt.timedelta(minutes=minutes),
        "user": "user1",
        "before": before,
        "after": after,
    }


async def test_without_rows_the_history_is_empty(store) -> None:
    dataset = stored_dataset()

    assert await synthetic_history(store, dataset, max_time_ms=5000) == []
    assert dataset == stored_dataset()


async def test_replay_leaves_the_dataset_as_it_was(store) -> None:
    await store.collection("History").insert_many(
        [
            row(1, {"description": "first"}, {"description": "second"}),
            row(
                2,
                {"datasetlifecycle": {"archivable": True}},
                {"datasetlifecycle": {"archivable": False}},
            ),
            row(3, {"description": "second"}, {"description": "third"}),
            row(
                4,
                {"datasetlifecycle": {"retrievable": False}},
                {"datasetlifecycle": {"retrievable": True}},
            ),
        ]
    )
    dataset = stored_dataset()
    untouched = copy.deepcopy(dataset)

    history = await synthetic_history(store, dataset, max_time_ms=5000)

    assert dataset == untouched
    assert [entry["description"] for entry in history if "description" in entry] == [
        {"previousValue": "first", "currentValue": "second"},
        {"previousValue": "second", "currentValue": "third"},
    ]
    lifecycles = [e["datasetlifecycle"] for e in history if "datasetlifecycle" in e]
    # Complete objects on both sides, each state as it was at that time.
    assert lifecycles[0]["previousValue"] == {
        "archivable": True,
        "retrievable": False,
        "archiveStatusMessage": "datasetCreated",
    }
    assert lifecycles[0]["currentValue"] == {
        "archivable": False,
        "retrievable": False,
        "archiveStatusMessage": "datasetCreated",
    }
    assert lifecycles[1]["currentValue"] == untouched["datasetlifecycle"]
