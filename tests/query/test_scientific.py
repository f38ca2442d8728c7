"""Scientific metadata conditions and the v3 unit post-processing."""

from __future__ import annotations

import pytest

from common.errors import InvalidError
from common.query.fullquery import build_fullquery_filter
from common.query.scientific import (
    convert_to_requested_units,
    round_significant,
    scientific_filter,
)
from tests.query.conftest import DATASET_SPEC, pids


def run(db, *conditions):
    query = build_fullquery_filter(DATASET_SPEC, {"scientific": list(conditions)})
    return pids(db.Dataset.find(query))


def cond(lhs, relation, rhs, unit=None):
    condition = {"lhs": lhs, "relation": relation, "rhs": rhs}
    if unit is not None:
        condition["unit"] = unit
    return condition


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (cond("mode", "EQUAL_TO_STRING", "fast"), ["p/1"]),
        (cond("sample.name", "EQUAL_TO_STRING", "water"), ["p/1"]),
        (cond("temperature", "EQUAL_TO_NUMERIC", 300), ["p/1"]),
        (cond("temperature", "EQUAL_TO_NUMERIC", 26.85, "degC"), ["p/1"]),
        (cond("temperature", "GREATER_THAN", 20), ["p/1", "p/2"]),
        (cond("temperature", "LESS_THAN", 20), ["p/3"]),
        (cond("temperature", "GREATER_THAN_OR_EQUAL", 25), ["p/1", "p/2"]),
        (cond("temperature", "LESS_THAN_OR_EQUAL", 25), ["p/2", "p/3"]),
        (cond("temperature", "GREATER_THAN", 0, "degC"), ["p/1", "p/2"]),
        (cond("temperature", "LESS_THAN", 0, "degC"), ["p/3"]),
        (cond("temperature", "GREATER_THAN_OR_EQUAL", 298.15, "K"), ["p/1", "p/2"]),
        (cond("temperature", "LESS_THAN_OR_EQUAL", 10, "K"), ["p/3"]),
        (cond("length", "RANGE", [1, 2], "m"), ["p/2"]),
        (cond("length", "RANGE", [1000, 2000], "mm"), ["p/2"]),
        (cond("length", "RANGE", [2, 4]), ["p/3"]),
        (cond("length", "RANGE", 3), ["p/1", "p/2", "p/3"]),
        (cond("mode", "CONTAINS_STRING", "scan"), ["p/2"]),
        (cond("mode", "CONTAINS_STRING", "w S"), ["p/2"]),
        (cond("mode", "CONTAINS_STRING", "(.*"), []),
    ],
)
def test_each_relation_selects_the_expected_datasets(db, condition, expected):
    assert run(db, condition) == expected


def test_several_or_groups_are_and_ed(db):
    assert run(
        db,
        cond("temperature", "GREATER_THAN", 5),
        cond("mode", "CONTAINS_STRING", "fast"),
    ) == ["p/1"]


def test_two_comparisons_on_one_key_make_a_range(db):
    assert run(
        db,
        cond("temperature", "GREATER_THAN", 200, "K"),
        cond("temperature", "LESS_THAN", 299, "K"),
    ) == ["p/2"]


def test_single_or_group_sits_at_the_top():
    query = scientific_filter("scientific", [cond("a", "EQUAL_TO_STRING", "x")])
    assert query == {
        "$or": [
            {"scientificMetadata.a": {"$eq": "x"}},
            {"scientificMetadata.a.v": {"$eq": "x"}},
            {"scientificMetadata.a.value": {"$eq": "x"}},
        ]
    }


def test_characteristics_address_sample_characteristics():
    query = scientific_filter("characteristics", [cond("t", "EQUAL_TO_NUMERIC", 1)])
    assert query == {"sampleCharacteristics.t.value": {"$eq": 1}}


def test_units_without_si_form_fall_back_to_the_given_unit():
    query = scientific_filter(
        "scientific", [cond("c", "EQUAL_TO_NUMERIC", 2, "furlongs/x")]
    )
    assert query == {
        "scientificMetadata.c.valueSI": {"$eq": 2},
        "scientificMetadata.c.unitSI": {"$eq": "furlongs/x"},
    }


@pytest.mark.parametrize(
    "conditions",
    [
        [cond("a", "SIMILAR_TO", 1)],
        [{"relation": "EQUAL_TO_STRING", "rhs": 1}],
        [cond("a", "GREATER_THAN", "many", "K")],
        [cond("a", "GREATER_THAN", {"$gt": 1})],
        [cond("a", "CONTAINS_STRING", ["x"])],
        ["not a condition"],
        [cond("a", "EQUAL_TO_STRING", "x")] * 101,
    ],
)
def test_bad_conditions_are_refused(conditions):
    with pytest.raises(InvalidError):
        scientific_filter("scientific", conditions)


class TestRequestedUnits:
    def test_values_are_expressed_in_the_requested_unit(self):
        documents = [
            {"scientificMetadata": {"length": {"value": 1500, "unit": "mm"}}},
            {"scientificMetadata": {"length": {"value": 2, "unit": "km"}}},
            {"scientificMetadata": {"other": 1}},
        ]
        convert_to_requested_units(
            documents, [cond("length", "GREATER_THAN", 1, "m")], "scientific"
        )
        assert documents[0]["scientificMetadata"]["length"] == {
            "value": 1.5,
            "unit": "m",
        }
        assert documents[1]["scientificMetadata"]["length"] == {
            "value": 2000,
            "unit": "m",
        }
        assert documents[2]["scientificMetadata"] == {"other": 1}

    def test_three_significant_digits(self):
        documents = [{"scientificMetadata": {"t": {"value": 1234.5678, "unit": "mm"}}}]
        convert_to_requested_units(documents, [cond("t", "LESS_THAN", 1, "m")])
        assert documents[0]["scientificMetadata"]["t"]["value"] == 1.23

    def test_incompatible_units_are_left_alone(self):
        documents = [{"scientificMetadata": {"t": {"value": 3, "unit": "K"}}}]
        convert_to_requested_units(documents, [cond("t", "LESS_THAN", 1, "m")])
        assert documents[0]["scientificMetadata"]["t"] == {"value": 3, "unit": "K"}

    def test_conditions_without_unit_change_nothing(self):
        documents = [{"scientificMetadata": {"t": {"value": 3, "unit": "mm"}}}]
        convert_to_requested_units(documents, [cond("t", "LESS_THAN", 1)])
        assert documents[0]["scientificMetadata"]["t"] == {"value": 3, "unit": "mm"}


@pytest.mark.parametrize(
    ("value", "rounded"),
    [(1234.5, 1230), (0.00123456, 0.00123), (2.0, 2), (-98765, -98800), (0, 0)],
)
def test_round_significant(value, rounded):
    assert round_significant(value, 3) == rounded
