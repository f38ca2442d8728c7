"""Dataset bodies: what SciCat accepts, what it refuses, and what gets stored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from common.models.dataset import (
    CreateDatasetDto,
    CreateDerivedDatasetObsoleteDto,
    CreateRawDatasetObsoleteDto,
    PartialUpdateDatasetDto,
    PartialUpdateRawDatasetObsoleteDto,
    UpdateDatasetDto,
    UpdateRawDatasetObsoleteDto,
    classification_for,
    dataset_name_from_folder,
    derived_pid,
    new_dataset_document,
    new_pid,
    stored_to_v3,
    strip_trailing_slash,
    v3_create_model,
    v3_to_stored_fields,
    v3_update_model,
    validate_v3_create,
)
from tests.models.fixtures import (
    CUSTOM_CORRECT_MIN,
    DERIVED_CORRECT_MIN,
    RAW_CORRECT,
    RAW_CORRECT_MIN,
    body,
)

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def test_v3_raw_minimal_body_is_accepted_with_type_raw():
    model = validate_v3_create(RAW_CORRECT_MIN)
    assert isinstance(model, CreateRawDatasetObsoleteDto)
    assert model.payload()["type"] == "raw"


def test_v3_full_raw_body_is_accepted():
    fields = validate_v3_create(RAW_CORRECT).payload()
    assert fields["keywords"] == ["sls", "protein"]
    assert fields["instrumentId"] == RAW_CORRECT["instrumentId"]


def test_v3_derived_body_is_validated_as_derived():
    assert v3_create_model(DERIVED_CORRECT_MIN) is CreateDerivedDatasetObsoleteDto
    fields = validate_v3_create(DERIVED_CORRECT_MIN).payload()
    assert fields["inputDatasets"] == ["/data/input/file1.h5"]


def test_v3_custom_type_uses_the_v4_body():
    assert v3_create_model(CUSTOM_CORRECT_MIN) is CreateDatasetDto
    assert validate_v3_create(CUSTOM_CORRECT_MIN).payload()["type"] == "custom"


def test_v3_dataset_name_defaults_to_last_two_folder_segments():
    fields = validate_v3_create(
        body(RAW_CORRECT_MIN, sourceFolder="/a/b/c/d/")
    ).payload()
    assert fields["datasetName"] == "c/d"


def test_given_dataset_name_is_kept():
    fields = validate_v3_create(body(RAW_CORRECT_MIN, datasetName="mine")).payload()
    assert fields["datasetName"] == "mine"


def test_dataset_name_from_folder_skips_empty_segments():
    assert dataset_name_from_folder("//x//y///z") == "y/z"
    assert dataset_name_from_folder("/only") == "only"
    assert dataset_name_from_folder(None) is None


def test_source_folder_loses_one_trailing_slash_but_root_stays():
    assert strip_trailing_slash("/data/x/") == "/data/x"
    assert strip_trailing_slash("/data/x//") == "/data/x/"
    assert strip_trailing_slash("/") == "/"
    fields = validate_v3_create(body(RAW_CORRECT_MIN, sourceFolder="/d/e/")).payload()
    assert fields["sourceFolder"] == "/d/e"


def test_v4_body_requires_dataset_name():
    with pytest.raises(ValidationError) as caught:
        CreateDatasetDto.model_validate(body(CUSTOM_CORRECT_MIN, datasetName=None))
    assert [e["loc"] for e in caught.value.errors()] == [("datasetName",)]


def test_v4_full_body_sizes_default_to_zero_but_partial_leaves_them_unset():
    full = UpdateDatasetDto.model_validate(body(CUSTOM_CORRECT_MIN, type=None))
    assert full.payload()["size"] == 0
    assert full.payload()["numberOfFiles"] == 0
    partial = PartialUpdateDatasetDto.model_validate({"comment": "x"})
    assert partial.payload() == {"comment": "x"}


def test_contact_email_accepts_a_semicolon_list():
    model = CreateDatasetDto.model_validate(
        body(CUSTOM_CORRECT_MIN, contactEmail="a@example.org; b@example.com")
    )
    assert model.payload()["contactEmail"] == "a@example.org; b@example.com"


@pytest.mark.parametrize("bad", ["", "a@example.org;", "not-an-email", "a@b"])
def test_contact_email_rejects_bad_lists(bad):
    with pytest.raises(ValidationError):
        CreateDatasetDto.model_validate(body(CUSTOM_CORRECT_MIN, contactEmail=bad))


def test_dates_keep_their_offset_and_naive_ones_are_utc():
    with_offset = CreateDatasetDto.model_validate(
        body(CUSTOM_CORRECT_MIN, creationTime="2024-01-01T10:00:00+02:00")
    ).payload()["creationTime"]
    assert with_offset == datetime(2024, 1, 1, 8, 0, tzinfo=UTC)
    naive = CreateDatasetDto.model_validate(
        body(CUSTOM_CORRECT_MIN, creationTime="2024-01-01T10:00:00")
    ).payload()["creationTime"]
    assert naive == datetime(2024, 1, 1, 10, 0, tzinfo=UTC)
    assert naive.tzinfo is not None


def test_scientific_metadata_keys_are_encoded_and_quantities_get_si():
    fields = CreateDatasetDto.model_validate(
        body(
            CUSTOM_CORRECT_MIN,
            scientificMetadata={"beam.energy": {"value": 5, "unit": "cm"}},
        )
    ).payload()
    assert fields["scientificMetadata"] == {
        "beam%2Eenergy": {"value": 5, "unit": "cm", "valueSI": 0.05, "unitSI": "m"}
    }


def test_lone_string_for_a_string_list_becomes_a_one_element_list():
    fields = CreateDatasetDto.model_validate(
        body(CUSTOM_CORRECT_MIN, keywords="solo")
    ).payload()
    assert fields["keywords"] == ["solo"]


def test_v3_update_body_is_chosen_by_the_stored_type():
    assert v3_update_model("raw", partial=True) is PartialUpdateRawDatasetObsoleteDto
    assert v3_update_model("raw", partial=False) is UpdateRawDatasetObsoleteDto
    assert v3_update_model("custom", partial=True) is PartialUpdateDatasetDto


def test_v3_partial_raw_update_accepts_a_single_field():
    model = PartialUpdateRawDatasetObsoleteDto.model_validate({"sampleId": "s1"})
    assert model.payload() == {"sampleId": "s1"}


def test_v3_raw_fields_map_to_stored_arrays():
    fields = validate_v3_create(
        body(RAW_CORRECT_MIN, proposalId="p1", sampleId="s1", instrumentId="i1")
    ).payload()
    stored = v3_to_stored_fields(fields, "raw")
    assert stored["proposalIds"] == ["p1"]
    assert stored["sampleIds"] == ["s1"]
    assert stored["instrumentIds"] == ["i1"]
    assert stored["principalInvestigators"] == ["Ada Lovelace"]
    assert "proposalId" not in stored and "principalInvestigator" not in stored


def test_v3_derived_investigator_maps_to_principal_investigators():
    fields = validate_v3_create(DERIVED_CORRECT_MIN).payload()
    stored = v3_to_stored_fields(fields, "derived")
    assert stored["principalInvestigators"] == ["egon.meier@web.de"]
    assert "investigator" not in stored


def test_stored_to_v3_synthesises_singular_ids_and_decodes_keys():
    v3 = stored_to_v3(
        {
            "pid": "x",
            "proposalIds": ["p1", "p2"],
            "sampleIds": [],
            "instrumentIds": ["i1"],
            "principalInvestigators": ["Ada"],
            "scientificMetadata": {"a%2Eb": {"c%20d": 1}},
        }
    )
    assert v3["proposalId"] == "p1"
    assert "sampleId" not in v3
    assert v3["instrumentId"] == "i1"
    assert v3["principalInvestigator"] == "Ada"
    assert v3["scientificMetadata"] == {"a.b": {"c d": 1}}


def test_new_pid_strips_one_trailing_slash_of_the_prefix():
    pid = new_pid("20.500.12269/")
    prefix, _, suffix = pid.partition("/")
    assert prefix == "20.500.12269"
    assert len(suffix) == 36
    assert new_pid("") != new_pid("")
    assert "/" not in new_pid("")


def test_derived_pid_is_stable_per_message_id():
    assert derived_pid("PFX", "msg-1") == derived_pid("PFX", "msg-1")
    assert derived_pid("PFX", "msg-1") != derived_pid("PFX", "msg-2")
    assert derived_pid("PFX/", "msg-1").startswith("PFX/")


@pytest.mark.parametrize(
    ("incoming", "policy", "expected"),
    [
        ("AV=medium,CO=low", None, "IN=medium,AV=medium,CO=low"),
        ("AV=medium", None, "IN=medium,AV=low,CO=low"),
        (None, None, "IN=medium,AV=low,CO=low"),
        ("AV=medium,CO=low", "high", "IN=medium,AV=high,CO=low"),
        ("AV=medium,CO=low", "", "IN=medium,AV=low,CO=low"),
    ],
)
def test_classification_is_rewritten(incoming, policy, expected):
    assert classification_for(incoming, policy) == expected


def test_new_document_has_scicat_defaults_and_id_equal_to_pid():
    fields = v3_to_stored_fields(validate_v3_create(RAW_CORRECT_MIN).payload(), "raw")
    document = new_dataset_document(
        fields,
        pid="PFX/abc",
        version="3",
        username="ingestor",
        now=NOW,
        classification=classification_for(None, None),
    )
    assert document["_id"] == document["pid"] == "PFX/abc"
    assert document["size"] == 0 and document["numberOfFilesArchived"] == 0
    assert document["keywords"] == [] and document["proposalIds"] == []
    assert document["isPublished"] is False
    assert document["version"] == "3"
    assert document["createdBy"] == document["updatedBy"] == "ingestor"
    assert document["datasetlifecycle"]["archiveStatusMessage"] == "datasetCreated"
    assert document["datasetlifecycle"]["dateOfDiskPurging"] == NOW


def test_payload_of_nested_bodies_holds_only_what_was_sent():
    fields = CreateDatasetDto.model_validate(
        body(
            CUSTOM_CORRECT_MIN,
            datasetlifecycle={"archivable": False, "unknownKey": 1},
            techniques=[{"pid": "t1", "name": "XRD"}],
        )
    ).payload()
    assert fields["datasetlifecycle"] == {"archivable": False}
    assert fields["techniques"] == [{"pid": "t1", "name": "XRD"}]
    assert fields["size"] == 0 and fields["packedSize"] == 0
    assert "description" not in fields


def test_lifecycle_with_a_wrong_type_in_a_dataset_body_is_a_400():
    with pytest.raises(ValidationError) as caught:
        CreateDatasetDto.model_validate(
            body(CUSTOM_CORRECT_MIN, datasetlifecycle={"archivable": "no"})
        )
    assert caught.value.errors()[0]["loc"] == ("datasetlifecycle", "archivable")
