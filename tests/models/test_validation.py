"""The translator: SciCat's exact validation messages and body forms."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from common.errors import InvalidError
from common.models.dataset import (
    CreateDatasetDto,
    CreateDerivedDatasetObsoleteDto,
    CreateRawDatasetObsoleteDto,
    PartialUpdateDatasetDto,
    validate_v3_create,
)
from common.models.validation import (
    ErrorForm,
    ResponseShape,
    ValidationFailed,
    class_validator_errors,
    is_valid_answer,
    to_invalid,
    validate,
)
from tests.models.fixtures import (
    CUSTOM_CORRECT_MIN,
    CUSTOM_WRONG_DATA,
    DERIVED_CORRECT_MIN,
    DERIVED_WRONG,
    RAW_CORRECT_MIN,
    RAW_WRONG_1,
    body,
)


def messages(model: type[BaseModel], data: Any) -> list[str]:
    with pytest.raises(ValidationFailed) as caught:
        validate(model, data)
    return caught.value.messages


def test_unknown_property_should_not_exist():
    assert messages(CreateDatasetDto, body(CUSTOM_CORRECT_MIN, foo=1)) == [
        "property foo should not exist"
    ]


def test_unknown_properties_come_first_as_in_class_validator():
    result = messages(
        CreateDatasetDto, body(CUSTOM_CORRECT_MIN, datasetName=5, zzz=True)
    )
    assert result == ["property zzz should not exist", "datasetName must be a string"]


def test_dataset_name_must_be_a_string():
    assert messages(CreateDatasetDto, body(CUSTOM_CORRECT_MIN, datasetName=12)) == [
        "datasetName must be a string"
    ]


def test_missing_source_folder_reports_both_constraints():
    assert messages(CreateDatasetDto, body(CUSTOM_CORRECT_MIN, sourceFolder=None)) == [
        "sourceFolder should not be empty",
        "sourceFolder must be a string",
    ]


def test_empty_source_folder_should_not_be_empty():
    assert messages(CreateDatasetDto, body(CUSTOM_CORRECT_MIN, sourceFolder="")) == [
        "sourceFolder should not be empty"
    ]


def test_contact_email_message_quotes_the_value():
    assert messages(
        CreateDatasetDto, body(CUSTOM_CORRECT_MIN, contactEmail="nobody")
    ) == ["Expected an email or a list of semicolon separated emails, got nobody"]


def test_missing_contact_email_says_undefined():
    assert messages(CreateDatasetDto, body(CUSTOM_CORRECT_MIN, contactEmail=None)) == [
        "Expected an email or a list of semicolon separated emails, got undefined"
    ]


def test_owner_email_must_be_an_email():
    assert messages(CreateDatasetDto, body(CUSTOM_CORRECT_MIN, ownerEmail="x")) == [
        "ownerEmail must be an email"
    ]


def test_wrong_types_get_class_validator_messages():
    bad = body(
        CUSTOM_CORRECT_MIN,
        size="12",
        isPublished="yes",
        dataQualityMetrics="high",
        creationTime="yesterday",
        keywords=["a", 2],
        jobParameters=[1],
        sourceFolderHost="not a host",
    )
    assert messages(CreateDatasetDto, bad) == [
        "sourceFolderHost must be a URL address",
        "size must be an integer number",
        "creationTime must be a valid ISO 8601 date string",
        "each value in keywords must be a string",
        "isPublished must be a boolean value",
        "dataQualityMetrics must be a number conforming to the specified constraints",
        "jobParameters must be an object",
    ]


def test_null_optional_fields_are_skipped_like_is_optional():
    model = validate(CreateDatasetDto, body(CUSTOM_CORRECT_MIN, description=None))
    assert model.description is None


def test_whole_numbers_sent_as_floats_count_as_integers():
    model = validate(CreateDatasetDto, body(CUSTOM_CORRECT_MIN, size=10.0))
    assert model.size == 10


def test_nested_technique_errors_are_path_prefixed():
    bad = body(CUSTOM_CORRECT_MIN, techniques=[{"pid": 1, "name": "x", "extra": 1}])
    assert messages(CreateDatasetDto, bad) == [
        "techniques.0.property extra should not exist",
        "techniques.0.pid must be a string",
    ]


def test_non_object_array_item_is_a_nested_validation_error():
    assert messages(CreateDatasetDto, body(CUSTOM_CORRECT_MIN, techniques=["x"])) == [
        "techniques.nested property 0 must be either object or array"
    ]


def test_techniques_must_be_an_array():
    assert messages(CreateDatasetDto, body(CUSTOM_CORRECT_MIN, techniques={})) == [
        "techniques must be an array"
    ]


def test_a_body_that_is_not_an_object_is_an_unknown_value():
    assert messages(CreateDatasetDto, [1, 2]) == [
        "an unknown value was passed to the validate function"
    ]


def test_v3_raw_requires_principal_investigator_and_creation_location():
    result = messages(
        CreateRawDatasetObsoleteDto,
        body(RAW_CORRECT_MIN, principalInvestigator=None, creationLocation=None),
    )
    assert result == [
        "principalInvestigator must be a string",
        "creationLocation must be a string",
    ]


def test_v3_derived_requires_its_lists():
    result = messages(
        CreateDerivedDatasetObsoleteDto,
        body(DERIVED_CORRECT_MIN, inputDatasets=None, usedSoftware=[3]),
    )
    assert result == [
        "each value in inputDatasets must be a string",
        "each value in usedSoftware must be a string",
    ]


def test_v3_raw_type_must_be_raw_or_derived():
    result = messages(CreateRawDatasetObsoleteDto, body(RAW_CORRECT_MIN, type="x"))
    assert result == ["type must be one of the following values: raw, derived"]


def test_v3_custom_dataset_with_v3_proposal_id_is_refused():
    bad = body(CUSTOM_CORRECT_MIN, proposalId="p1")
    with pytest.raises(ValidationError) as caught:
        validate_v3_create(bad)
    assert to_invalid(caught.value).messages == ["property proposalId should not exist"]


def test_v3_dataset_form_is_a_json_string_of_class_validator_errors():
    with pytest.raises(ValidationFailed) as caught:
        validate(
            CreateRawDatasetObsoleteDto,
            body(RAW_CORRECT_MIN, owner=None, bogus=1),
            ErrorForm.V3_DATASET,
        )
    failed = caught.value
    assert failed.response_shape is ResponseShape.STATUS
    assert failed.response_message == failed.message
    assert json.loads(failed.message) == [
        {
            "property": "bogus",
            "constraints": {"whitelistValidation": "property bogus should not exist"},
        },
        {
            "property": "owner",
            "children": [],
            "constraints": {"isString": "owner must be a string"},
        },
    ]


def test_v3_dataset_form_nests_children_without_empty_constraints():
    with pytest.raises(ValidationError) as caught:
        CreateDatasetDto.model_validate(
            body(CUSTOM_CORRECT_MIN, relationships=[{"pid": "a"}])
        )
    assert class_validator_errors(caught.value) == [
        {
            "property": "relationships",
            "children": [
                {
                    "property": "0",
                    "children": [
                        {
                            "property": "relationship",
                            "children": [],
                            "constraints": {
                                "isString": "relationship must be a string"
                            },
                        }
                    ],
                }
            ],
        }
    ]


def test_nest_form_renders_a_list_and_details_are_structured():
    with pytest.raises(ValidationFailed) as caught:
        validate(PartialUpdateDatasetDto, {"comment": 1, "x": 2})
    failed = caught.value
    assert isinstance(failed, InvalidError)
    assert failed.code == "invalid"
    assert failed.response_shape is ResponseShape.NEST
    assert failed.response_message == [
        "property x should not exist",
        "comment must be a string",
    ]
    assert failed.details == [
        {
            "field": "x",
            "constraint": "whitelistValidation",
            "message": "property x should not exist",
        },
        {
            "field": "comment",
            "constraint": "isString",
            "message": "comment must be a string",
        },
    ]
    assert str(failed) == "property x should not exist; comment must be a string"


def test_is_valid_joins_top_level_messages_and_ignores_unknown_properties():
    assert is_valid_answer(CreateDatasetDto, body(CUSTOM_CORRECT_MIN, foo=1)) == {
        "valid": True
    }
    answer = is_valid_answer(
        CreateRawDatasetObsoleteDto, body(RAW_CORRECT_MIN, owner=1, ownerEmail="x")
    )
    assert answer == {
        "valid": False,
        "error": "owner must be a string; ownerEmail must be an email",
    }


# The isValid answers SciCat's own test suite asserts.


def test_is_valid_raw_wrong_names_the_missing_raw_fields():
    assert is_valid_answer(CreateRawDatasetObsoleteDto, RAW_WRONG_1) == {
        "valid": False,
        "error": "principalInvestigator must be a string; "
        "creationLocation must be a string",
    }


def test_is_valid_derived_wrong_names_the_missing_lists():
    assert is_valid_answer(CreateDerivedDatasetObsoleteDto, DERIVED_WRONG) == {
        "valid": False,
        "error": "each value in inputDatasets must be a string; "
        "each value in usedSoftware must be a string",
    }


def test_is_valid_custom_wrong_data_only_misses_the_name():
    assert is_valid_answer(CreateDatasetDto, CUSTOM_WRONG_DATA) == {
        "valid": False,
        "error": "datasetName must be a string",
    }


def test_too_deeply_nested_metadata_is_a_clear_400_message():
    nested: dict[str, Any] = {"v": 1}
    for _ in range(120):
        nested = {"k": nested}
    assert messages(
        CreateDatasetDto, body(CUSTOM_CORRECT_MIN, scientificMetadata=nested)
    ) == ["scientificMetadata must not be nested deeper than 90 levels"]


# v4 bodies and small v3 PATCH bodies shaped like SciCat's fixtures.

RAW_CORRECT_MIN_V4 = {
    "ownerGroup": "Acme Corp",
    "creationLocation": "Lund",
    "type": "raw",
    "creationTime": "2025-06-01T12:00:00.000Z",
    "sourceFolder": "/var/data/run",
    "owner": "jdoe",
    "contactEmail": "jdoe@example.org",
    "datasetName": "run 1",
}


def test_v4_raw_minimal_body_is_accepted_without_a_principal_investigator():
    model = validate(CreateDatasetDto, RAW_CORRECT_MIN_V4)
    assert model.payload()["type"] == "raw"


def test_v4_derived_wrong_has_a_v3_field_and_no_name():
    derived_wrong_v4 = body(
        CUSTOM_WRONG_DATA, proposalId="abcdefg", keywords=["Test", "Custom"]
    )
    assert messages(CreateDatasetDto, derived_wrong_v4) == [
        "property proposalId should not exist",
        "datasetName must be a string",
    ]


def test_v4_custom_dataset_without_contact_email():
    incomplete = body(CUSTOM_WRONG_DATA, proposalId=None, contactEmail=None)
    assert messages(CreateDatasetDto, incomplete) == [
        "Expected an email or a list of semicolon separated emails, got undefined",
        "datasetName must be a string",
    ]


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        ({"comment": 1}, "comment must be a string"),
        (
            {"dataQualityMetrics": "test"},
            "dataQualityMetrics must be a number conforming to the specified "
            "constraints",
        ),
    ],
)
def test_v3_patch_with_wrong_types(patch, expected):
    from common.models.dataset import PartialUpdateRawDatasetObsoleteDto

    with pytest.raises(ValidationFailed) as caught:
        validate(PartialUpdateRawDatasetObsoleteDto, patch, ErrorForm.V3_DATASET)
    errors = json.loads(caught.value.message)
    assert [list(e["constraints"].values()) for e in errors] == [[expected]]
