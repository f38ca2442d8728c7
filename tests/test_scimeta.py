"""Scientific metadata: key encoding round trips and the SI augmentation walk."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.errors import InvalidError
from common.scimeta import (
    MAX_DEPTH,
    add_si_units,
    check_value_unit_update,
    decode_key,
    decode_keys,
    depth,
    encode_key,
    encode_keys,
    prepare_for_storage,
    value_unit_mismatches,
)

# Text without lone surrogates (JSON from clients can carry them; see below).
keys = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)
json_leaf = st.none() | st.integers() | st.text(max_size=3)
metadata = st.recursive(
    st.dictionaries(keys, json_leaf, max_size=3),
    lambda children: st.dictionaries(keys, children | json_leaf, max_size=3),
    max_leaves=6,
)


def test_encode_escapes_dots_dollars_and_spaces():
    assert encode_key("a.b") == "a%2Eb"
    assert encode_key("$where") == "%24where"
    assert encode_key("Ring current") == "Ring%20current"
    assert encode_key("temp(K)!*'~_-") == "temp(K)!*'~_-"
    assert encode_key("Å") == "%C3%85"


def test_already_encoded_keys_are_left_alone():
    assert encode_keys({"a%2Eb": 1, "x%20y": 2}) == {"a%2Eb": 1, "x%20y": 2}


def test_a_lone_percent_is_encoded_because_it_does_not_decode():
    assert encode_keys({"50%": 1}) == {"50%25": 1}


def test_encoding_recurses_into_objects_but_not_arrays():
    assert encode_keys({"a.b": {"c.d": [{"e.f": 1}]}}) == {
        "a%2Eb": {"c%2Ed": [{"e.f": 1}]}
    }


def test_decode_reverses_encoding_for_v3_output():
    assert decode_keys({"a%2Eb": {"x%20y": 1}, "plain": [{"k%2E": 1}]}) == {
        "a.b": {"x y": 1},
        "plain": [{"k%2E": 1}],
    }


def test_malformed_escapes_decode_to_themselves():
    assert decode_key("100%") == "100%"
    assert decode_key("%E0%A4%A") == "%E0%A4%A"
    assert decode_key("%C3") == "%C3"


def test_lone_surrogates_keep_the_key_as_scicat_does():
    assert encode_key("a\ud800") == "a\ud800"


@settings(deadline=None)
@given(keys)
def test_round_trip_for_keys_that_are_not_already_encoded(key):
    if decode_key(key) != key:
        return  # looks encoded: stored as sent
    encoded = encode_key(key)
    assert decode_key(encoded) == key
    assert "." not in encoded and not encoded.startswith("$")


@settings(deadline=None, max_examples=60)
@given(metadata)
def test_encoding_is_idempotent_and_decodes_back(document):
    encoded = encode_keys(document)
    assert encode_keys(encoded) == encoded
    assert encode_keys(decode_keys(encoded)) == encoded


def test_quantity_gets_si_value_and_unit():
    assert add_si_units({"energy": {"value": 5, "unit": "keV"}}) == {
        "energy": {
            "value": 5,
            "unit": "keV",
            "valueSI": pytest.approx(8.01088317e-16, rel=1e-12),
            "unitSI": "(kg m^2) / s^2",
        }
    }


def test_short_v_and_u_keys_count_as_value_and_unit():
    result = add_si_units({"Sample Out": {"v": -0.005, "u": "m"}})
    assert result["Sample Out"]["valueSI"] == -0.005
    assert result["Sample Out"]["unitSI"] == "m"


def test_range_values_convert_both_ends():
    result = add_si_units({"quantity_range": {"v": [1, 2], "u": "cm"}})
    assert result["quantity_range"]["valueSI"] == [0.01, 0.02]
    assert result["quantity_range"]["unitSI"] == "m"


def test_angstrom_symbol_is_a_unit():
    result = add_si_units({"wavelength": {"value": 1.5, "unit": "Å"}})
    assert result["wavelength"]["unitSI"] == "m"
    assert abs(result["wavelength"]["valueSI"] - 1.5e-10) < 1e-24


def test_unknown_unit_copies_value_and_unit():
    result = add_si_units({"count": {"value": 7, "unit": "counts"}})
    assert result["count"] == {
        "value": 7,
        "unit": "counts",
        "valueSI": 7,
        "unitSI": "counts",
    }


def test_three_value_range_copies_value_and_unit():
    result = add_si_units({"r": {"v": [1, 2, 3], "u": "cm"}})
    assert result["r"]["valueSI"] == [1, 2, 3]
    assert result["r"]["unitSI"] == "cm"


def test_empty_unit_makes_a_leaf_without_si():
    entry = {"chemical_formula": {"value": "H2O", "unit": ""}}
    assert add_si_units(entry) == entry


def test_nested_objects_are_walked_and_other_values_kept():
    result = add_si_units(
        {
            "beamline": {"current": {"v": 0.4, "u": "A"}, "mono": "Ru/C"},
            "flags": [1, 2],
            "n": 3,
            "none": None,
        }
    )
    assert result["beamline"]["current"]["unitSI"] == "A"
    assert result["beamline"]["mono"] == "Ru/C"
    assert result["flags"] == [1, 2] and result["n"] == 3 and result["none"] is None


def test_existing_si_keys_are_not_taken_as_value_or_unit():
    result = add_si_units({"t": {"valueSI": 1, "unitSI": "K"}})
    assert result == {"t": {"valueSI": 1, "unitSI": "K"}}


def test_prepare_for_storage_augments_with_raw_keys_then_encodes():
    assert prepare_for_storage({"a.b": {"value": 20, "unit": "degC"}}) == {
        "a%2Eb": {"value": 20, "unit": "degC", "valueSI": 293.15, "unitSI": "K"}
    }


def test_patch_that_drops_a_unit_is_refused_with_scicats_message():
    stored = {"scientificMetadata": {"a%2Eb": {"value": 1, "unit": "m"}}}
    update = {"scientificMetadata": {"a%2Eb": {"value": 2}}}
    assert value_unit_mismatches(update, stored) == ["scientificMetadata.a%2Eb"]
    with pytest.raises(InvalidError) as caught:
        check_value_unit_update("PFX/1", update, stored)
    assert caught.value.message == (
        "Original dataset PFX/1 contains both value and unit in "
        "scientificMetadata.a%2Eb. Please provide both when updating."
    )


def test_patch_with_value_and_unit_or_new_keys_is_fine():
    stored = {"scientificMetadata": {"t": {"value": 1, "unit": "K"}, "n": 1}}
    check_value_unit_update(
        "p", {"scientificMetadata": {"t": {"value": 2, "unit": "K"}}}, stored
    )
    check_value_unit_update("p", {"scientificMetadata": {"new": {"value": 2}}}, stored)
    check_value_unit_update("p", {"scientificMetadata": {"n": {"value": 2}}}, stored)


def test_depth_counts_objects_and_arrays():
    assert depth(1) == 0
    assert depth({"a": [{"b": 1}]}) == 3


def test_too_deep_metadata_is_refused_before_the_recursive_walks():
    nested: dict[str, Any] = {}
    for _ in range(MAX_DEPTH + 5):
        nested = {"k": nested}
    with pytest.raises(ValueError):
        prepare_for_storage(nested)


quantity_keys = st.sampled_from(["value", "unit", "v", "u", "valueSI", "a.b", "a%2Eb"])
quantity_leaf = (
    json_leaf
    | st.sampled_from(["mm", "m", "kelvin", "", "s"])
    | st.lists(st.integers(), max_size=3)
)
quantities = st.recursive(
    st.dictionaries(quantity_keys | keys, quantity_leaf, max_size=4),
    lambda children: st.dictionaries(
        quantity_keys | keys, children | quantity_leaf, max_size=4
    ),
    max_leaves=10,
)


@settings(deadline=None, max_examples=80)
@given(quantities)
def test_prepare_for_storage_is_si_augmentation_then_key_encoding(document):
    # The stored form is built in one walk; it must equal the two steps in turn,
    # key order and key collisions included.
    expected = encode_keys(add_si_units(document))
    prepared = prepare_for_storage(document)
    assert prepared == expected
    assert list(prepared) == list(expected)


def test_depth_of_empty_containers_and_wide_scalars():
    assert depth({}) == 1
    assert depth([]) == 1
    assert depth({"a": 1, "b": [1, 2, {"c": []}]}) == 4
