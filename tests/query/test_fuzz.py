"""Generated inputs never raise anything but InvalidError (the edge's 400)."""

from __future__ import annotations

import contextlib
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.errors import InvalidError
from common.query.allowlist import check_v4_filter
from common.query.dates import parse_lenient_date
from common.query.fullfacet import build_fullfacet_pipeline
from common.query.fullquery import build_fullquery_filter
from common.query.include import DATASET_RELATIONS, build_lookups, parse_include
from common.query.limits import V4_DATASET_DEFAULTS, parse_v3_limits, parse_v4_limits
from common.query.loopback import parse_loopback_filter
from common.query.metadatakeys import metadata_keys
from common.query.operators import check_regex
from common.query.scientific import convert_to_requested_units
from tests.query.conftest import DATASET_SPEC

KEYS = st.sampled_from(
    [
        "where",
        "fields",
        "limits",
        "include",
        "relation",
        "scope",
        "limit",
        "skip",
        "order",
        "sort",
        "pid",
        "size",
        "ownerGroup",
        "keywords",
        "creationTime",
        "scientific",
        "userGroups",
        "mode",
        "text",
        "lhs",
        "rhs",
        "relation",
        "unit",
        "begin",
        "end",
        "min",
        "max",
        "inq",
        "nin",
        "and",
        "or",
        "like",
        "ilike",
        "nlike",
        "regexp",
        "between",
        "neq",
        "exists",
        "gt",
        "lt",
        "$in",
        "$or",
        "$and",
        "$regex",
        "$options",
        "$where",
        "$expr",
        "$elemMatch",
        "$not",
        "$text",
        "$search",
        "$size",
        "$type",
        "$mod",
        "$all",
        "a.b",
        "$x.y",
        "",
    ]
) | st.text(max_size=8)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(
        [
            "asc",
            "desc",
            "pid:desc",
            "2020-01-01",
            "(a+)+",
            "EQUAL_TO_STRING",
            "RANGE",
            "GREATER_THAN",
            "CONTAINS_STRING",
            "K",
            "mm",
            "degC",
            "i",
            "g",
            "{",
            "[1]",
            '{"a": 1}',
            "all",
            "samples",
            "/x/i",
        ]
    )
    | st.text(max_size=12)
)
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4)
    ),
    max_leaves=10,
)
OBJECTS = st.dictionaries(KEYS, JSON, max_size=5)
FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def only_invalid(call, *args, **kwargs):
    with contextlib.suppress(InvalidError):
        call(*args, **kwargs)


@FUZZ
@given(OBJECTS)
def test_loopback_filter_objects(filter_):
    only_invalid(parse_loopback_filter, json.dumps(filter_))


@FUZZ
@given(st.text(max_size=60))
def test_loopback_filter_text(text):
    only_invalid(parse_loopback_filter, text)


@FUZZ
@given(OBJECTS)
def test_v4_allow_list(filter_):
    only_invalid(
        check_v4_filter, filter_, frozenset({"pid", "size", "scientificMetadata"})
    )


@FUZZ
@given(JSON)
def test_limits(limits):
    only_invalid(parse_v3_limits, limits)
    only_invalid(parse_v4_limits, limits, V4_DATASET_DEFAULTS)


@FUZZ
@given(JSON)
def test_include(include):
    def build(value):
        return build_lookups(parse_include(value), DATASET_RELATIONS)

    only_invalid(build, include)


@FUZZ
@given(OBJECTS, st.lists(KEYS, max_size=4))
def test_fullquery_and_fullfacet(fields, facets):
    only_invalid(build_fullquery_filter, DATASET_SPEC, fields)
    only_invalid(build_fullfacet_pipeline, DATASET_SPEC, fields, facets)


CONDITIONS = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "lhs": st.text(max_size=6) | st.integers(),
            "relation": st.sampled_from(
                [
                    "EQUAL_TO_STRING",
                    "EQUAL_TO_NUMERIC",
                    "GREATER_THAN",
                    "LESS_THAN",
                    "GREATER_THAN_OR_EQUAL",
                    "LESS_THAN_OR_EQUAL",
                    "CONTAINS_STRING",
                    "RANGE",
                    "OTHER",
                ]
            ),
            "rhs": SCALARS | st.lists(SCALARS, max_size=3),
            # Random unit text would spend the time in pint's parser.
            "unit": st.sampled_from(["", "K", "mm", "degC", "m/s", "nonsense", "$x"])
            | st.none()
            | st.integers(),
        },
    )
    | JSON,
    max_size=3,
)


@FUZZ
@given(CONDITIONS)
def test_scientific_conditions(conditions):
    only_invalid(build_fullquery_filter, DATASET_SPEC, {"scientific": conditions})
    documents = [{"scientificMetadata": {"a": {"value": 1, "unit": "mm"}}}]
    convert_to_requested_units(documents, conditions)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab()[]{}|*+?.\\^$:<>=!-,0123456789PkgR", max_size=40))
def test_regexes(pattern):
    only_invalid(check_regex, pattern)


@FUZZ
@given(st.text(max_size=40))
def test_dates_never_raise(text):
    parse_lenient_date(text)


@FUZZ
@given(st.lists(OBJECTS, max_size=3), JSON)
def test_metadata_keys_never_raise(documents, metadata_key):
    wrapped = [{"scientificMetadata": document} for document in documents]
    metadata_keys(wrapped, metadata_key=metadata_key)
