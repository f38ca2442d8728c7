"""The legacy metadataKeys listing."""

from __future__ import annotations

from common.query.limits import Limits
from common.query.metadatakeys import SAMPLE_BLACKLIST, metadata_keys, parent_limits

DOCUMENTS = [
    {
        "scientificMetadata": {
            "temperature": {"value": 1, "unit": "K"},
            "sample%2Ename": "water",
            "detector": {"distance": {"v": 2, "u": "m"}, "mode": "fast", "flags": [1]},
            "start_date": "2020",
            "runNumber": 5,
            "EntrychA": 1,
            "empty_unit": {"value": 1, "unit": ""},
        }
    },
    {"scientificMetadata": {"Zeta": 1, "temperature": {"value": 2, "unit": "K"}}},
    {"scientificMetadata": None},
    {},
]


def test_keys_are_flattened_decoded_blacklisted_in_first_seen_order():
    assert metadata_keys(DOCUMENTS) == [
        "temperature",
        "sample.name",
        "detector.distance",
        "detector.mode",
        "detector.flags",
        "empty_unit",
        "Zeta",
    ]


def test_metadata_key_filters_case_insensitively():
    assert metadata_keys(DOCUMENTS, metadata_key="DET") == [
        "detector.distance",
        "detector.mode",
        "detector.flags",
    ]


def test_return_limit_cuts_the_list():
    assert metadata_keys(DOCUMENTS, return_limit=2) == ["temperature", "sample.name"]


def test_sample_characteristics_use_their_own_blacklist():
    samples = [
        {"sampleCharacteristics": {"runNumber": 1, "made_date": 2, "x": {"y": 1}}}
    ]
    assert metadata_keys(
        samples, "sampleCharacteristics", blacklist=SAMPLE_BLACKLIST
    ) == [
        "runNumber",
        "x.y",
    ]


def test_parent_instances_are_capped_when_configured():
    assert parent_limits(None, None) == Limits(100, 0, {})
    assert parent_limits(None, 20) == Limits(20, 0, {})
    assert parent_limits({"limit": 50}, 20).limit == 20
    assert parent_limits({"limit": 5, "order": "a:desc"}, 20) == Limits(5, 0, {"a": -1})
