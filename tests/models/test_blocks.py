"""File lists (origdatablocks) and datablocks: bodies, messages, stored shape."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from bson import ObjectId
from pydantic import BaseModel

from common.models.datablock import (
    CreateDatablockDto,
    CreateDatasetDatablockDto,
    PartialUpdateDatablockDto,
    new_datablock_document,
)
from common.models.origdatablock import (
    CreateDatasetOrigDatablockDto,
    CreateOrigDatablockDto,
    PartialUpdateOrigDatablockDto,
    UpdateOrigDatablockDto,
    new_origdatablock_document,
)
from common.models.validation import ValidationFailed, validate
from tests.models.fixtures import (
    DATA_FILE,
    DATABLOCK_CORRECT,
    ORIG_DATABLOCK_V4_MIN,
    body,
)

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
DATASET = {
    "pid": "PFX/ds-1",
    "ownerGroup": "p16738",
    "accessGroups": ["a", "b"],
    "instrumentGroup": "ig",
}


def messages(model: type[BaseModel], data: Any) -> list[str]:
    with pytest.raises(ValidationFailed) as caught:
        validate(model, data)
    return caught.value.messages


def test_v4_origdatablock_with_dataset_id_is_accepted():
    model = validate(CreateOrigDatablockDto, body(ORIG_DATABLOCK_V4_MIN, datasetId="x"))
    assert model.payload()["dataFileList"][0]["path"] == "N1039-1.tif"


def test_origdatablock_size_must_be_an_integer():
    bad = body(ORIG_DATABLOCK_V4_MIN, datasetId="x", size="NotAnInt")
    assert messages(CreateOrigDatablockDto, bad) == ["size must be an integer number"]


def test_origdatablock_missing_size_and_dataset_id():
    assert messages(CreateOrigDatablockDto, body(ORIG_DATABLOCK_V4_MIN, size=None)) == [
        "size must be an integer number",
        "datasetId must be a string",
    ]


def test_empty_data_file_list_should_not_be_empty():
    bad = body(ORIG_DATABLOCK_V4_MIN, datasetId="x", dataFileList=[])
    assert messages(CreateOrigDatablockDto, bad) == ["dataFileList should not be empty"]


def test_missing_data_file_list_reports_both_array_constraints():
    bad = body(ORIG_DATABLOCK_V4_MIN, datasetId="x", dataFileList=None)
    assert messages(CreateOrigDatablockDto, bad) == [
        "dataFileList should not be empty",
        "dataFileList must be an array",
    ]


def test_empty_chk_alg_should_not_be_empty():
    bad = body(ORIG_DATABLOCK_V4_MIN, datasetId="x", chkAlg="")
    assert messages(CreateOrigDatablockDto, bad) == ["chkAlg should not be empty"]


def test_data_file_entries_are_checked_with_their_index():
    bad_file = body(DATA_FILE, path=None, size="big", time="noon")
    bad = body(ORIG_DATABLOCK_V4_MIN, datasetId="x", dataFileList=[DATA_FILE, bad_file])
    assert messages(CreateOrigDatablockDto, bad) == [
        "dataFileList.1.path must be a string",
        "dataFileList.1.size must be a number conforming to the specified constraints",
        "dataFileList.1.time must be a valid ISO 8601 date string",
    ]


def test_dataset_sub_route_body_refuses_dataset_id_and_ownership():
    bad = body(ORIG_DATABLOCK_V4_MIN, datasetId="x")
    assert messages(CreateDatasetOrigDatablockDto, bad) == [
        "property ownerGroup should not exist",
        "property datasetId should not exist",
    ]


def test_origdatablock_partial_update_accepts_one_field():
    model = validate(PartialUpdateOrigDatablockDto, {"chkAlg": "md5"})
    assert model.payload() == {"chkAlg": "md5"}


def test_origdatablock_full_update_needs_size_and_files():
    assert messages(UpdateOrigDatablockDto, {}) == [
        "size must be an integer number",
        "dataFileList should not be empty",
        "dataFileList must be an array",
    ]


def test_stored_origdatablock_copies_ownership_from_the_dataset():
    fields = validate(
        CreateOrigDatablockDto,
        body(ORIG_DATABLOCK_V4_MIN, datasetId="x", ownerGroup="other"),
    ).payload()
    document = new_origdatablock_document(
        fields, dataset=DATASET, username="ingestor", now=NOW
    )
    assert document["datasetId"] == "PFX/ds-1"
    assert document["ownerGroup"] == "p16738"
    assert document["accessGroups"] == ["a", "b"]
    assert document["instrumentGroup"] == "ig"
    assert isinstance(document["_id"], str) and len(document["_id"]) == 36
    entry = document["dataFileList"][0]
    assert isinstance(entry["_id"], ObjectId)
    assert entry["time"] == datetime(2017, 7, 24, 13, 56, 30, tzinfo=UTC)
    assert "type" not in entry
    assert document["isPublished"] is False
    assert document["createdBy"] == "ingestor"


def test_datablock_body_is_accepted_and_requires_archive_fields():
    validate(CreateDatablockDto, body(DATABLOCK_CORRECT, datasetId="x"))
    bad = body(DATABLOCK_CORRECT, datasetId="x", archiveId=None, version=None)
    assert messages(CreateDatablockDto, bad) == [
        "archiveId must be a string",
        "version must be a string",
    ]


def test_datablock_packed_size_must_be_an_integer():
    bad = body(DATABLOCK_CORRECT, packedSize=1.5)
    assert messages(CreateDatasetDatablockDto, bad) == [
        "packedSize must be an integer number"
    ]


def test_datablock_partial_update():
    assert validate(PartialUpdateDatablockDto, {"packedSize": 3}).payload() == {
        "packedSize": 3
    }


def test_datablock_ownership_prefers_the_body_on_the_plain_route():
    fields = validate(
        CreateDatablockDto, body(DATABLOCK_CORRECT, datasetId="x", ownerGroup="own")
    ).payload()
    from_body = new_datablock_document(
        fields, dataset=DATASET, username="u", now=NOW, from_body=True
    )
    assert from_body["ownerGroup"] == "own"
    assert from_body["accessGroups"] == ["a", "b"]
    via_dataset = new_datablock_document(
        fields, dataset=DATASET, username="u", now=NOW, from_body=False
    )
    assert via_dataset["ownerGroup"] == "p16738"
    assert via_dataset["archiveId"] == DATABLOCK_CORRECT["archiveId"]
    assert all(isinstance(f["_id"], ObjectId) for f in via_dataset["dataFileList"])


def test_whole_file_sizes_stay_integers():
    fields = validate(
        CreateOrigDatablockDto, body(ORIG_DATABLOCK_V4_MIN, datasetId="x")
    )
    size = fields.payload()["dataFileList"][0]["size"]
    assert size == 8356037 and isinstance(size, int)
