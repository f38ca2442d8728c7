"""The query helper's include stages run on the embedded store as on MongoDB.

``tests/query/test_include.py`` runs the sub-pipelines of ``$lookup`` by hand
(mongomock has no ``pipeline`` form); here the same stages go through the
store's ``aggregate`` and must give what that hand-run gives.
"""

from __future__ import annotations

import copy

import pytest

from common.query.include import DATASET_RELATIONS, build_lookups, parse_include
from tests.query.test_include import db as include_db  # noqa: F401
from tests.query.test_include import run_lookups

INCLUDES = [
    ["instruments", "origdatablocks"],
    ["all"],
    [
        {
            "relation": "origdatablocks",
            "scope": {
                "where": {"size": {"$gte": 2}},
                "fields": ["size"],
                "limits": {"limit": 2, "skip": 1, "sort": {"size": "desc"}},
            },
        },
        "attachments",
    ],
]


@pytest.mark.parametrize("include", INCLUDES, ids=["plain", "all", "scoped"])
async def test_include_stages_match_the_hand_run(store, include_db, include):  # noqa: F811
    if store.kind != "embedded":
        pytest.skip("compares the embedded store with the hand-run lookups")
    # The store's migrated indexes want a unique instrument name.
    include_db.Instrument.update_many({}, [{"$set": {"uniqueName": "$pid"}}])
    for name in include_db.list_collection_names():
        documents = list(include_db[name].find({}))
        await store.collection(name).insert_many(copy.deepcopy(documents))
    plan = build_lookups(
        parse_include(include),
        DATASET_RELATIONS,
        access_filters={"proposals": {"ownerGroup": {"$in": ["g1"]}}},
    )
    expected = run_lookups(include_db, "Dataset", plan.stages)
    cursor = await store.collection("Dataset").aggregate(
        [{"$sort": {"_id": 1}}, *plan.stages]
    )
    found = {d["_id"]: d for d in await cursor.to_list(None)}
    assert found == expected
    assert found["p/1"][plan.relations[0]]  # something was joined
