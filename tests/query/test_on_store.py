"""The built filters and pipelines on the project's store (embedded or MongoDB)."""

from __future__ import annotations

import copy

from common.query.fullfacet import build_fullfacet_pipeline
from common.query.fullquery import build_fullquery_filter
from common.query.include import DATASET_RELATIONS, build_lookups, parse_include
from common.query.limits import Limits
from common.query.v4 import list_pipeline
from tests.query.conftest import DATASET_SPEC, DATASETS


async def seeded(store):
    datasets = store.collection("Dataset")
    await datasets.insert_many(copy.deepcopy(DATASETS))
    await store.collection("OrigDatablock").insert_many(
        [{"_id": "o1", "datasetId": "p/1"}, {"_id": "o2", "datasetId": "p/2"}]
    )
    return datasets


async def test_fullquery_with_text_and_conditions(store):
    datasets = await seeded(store)
    query = build_fullquery_filter(
        DATASET_SPEC,
        {
            "text": "PSI",
            "userGroups": ["g1"],
            "scientific": [
                {
                    "lhs": "temperature",
                    "relation": "GREATER_THAN",
                    "rhs": 0,
                    "unit": "degC",
                }
            ],
        },
    )
    found = await datasets.find(query).to_list(None)
    assert [document["pid"] for document in found] == ["p/2"]


async def test_fullfacet_with_text(store):
    datasets = await seeded(store)
    pipeline = build_fullfacet_pipeline(
        DATASET_SPEC,
        {"text": "ESS", "keywords": ["beta", "gamma"]},
        ["type", "keywords"],
    )
    result = await (await datasets.aggregate(pipeline)).to_list(None)
    assert result == [
        {
            "type": [{"_id": "raw", "count": 2}],
            "keywords": [
                {"_id": "gamma", "count": 1},
                {"_id": "beta", "count": 1},
                {"_id": "alpha", "count": 1},
            ],
            "all": [{"totalSets": 2}],
        }
    ]


async def test_list_pipeline_with_include(store):
    datasets = await seeded(store)
    plan = build_lookups(parse_include(["origdatablocks"]), DATASET_RELATIONS)
    pipeline = list_pipeline(
        {"size": {"$gte": 10}},
        fields=["pid"],
        limits=Limits(10, 0, {"size": -1}),
        include=plan,
    )
    result = await (await datasets.aggregate(pipeline)).to_list(None)
    assert result == [
        {
            "_id": "p/2",
            "pid": "p/2",
            "origdatablocks": [{"_id": "o2", "datasetId": "p/2"}],
        },
        {
            "_id": "p/1",
            "pid": "p/1",
            "origdatablocks": [{"_id": "o1", "datasetId": "p/1"}],
        },
    ]
