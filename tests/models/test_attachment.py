"""Attachments: v3 and v4 bodies and the mapping between the two shapes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from common.models.attachment import (
    CreateAttachmentV3Dto,
    CreateAttachmentV4Dto,
    CreateSubAttachmentV3Dto,
    PartialUpdateAttachmentV4Dto,
    new_attachment_document,
    v3_to_v4,
    v4_to_v3,
)
from common.models.validation import ValidationFailed, validate
from tests.models.fixtures import ATTACHMENT_CORRECT_V3, ATTACHMENT_CORRECT_V4, body

NOW = datetime(2026, 1, 2, tzinfo=UTC)


def messages(model: type[BaseModel], data: Any) -> list[str]:
    with pytest.raises(ValidationFailed) as caught:
        validate(model, data)
    return caught.value.messages


def test_v4_attachment_is_accepted():
    fields = validate(CreateAttachmentV4Dto, ATTACHMENT_CORRECT_V4).payload()
    assert fields["relationships"][1]["targetType"] == "sample"


def test_v4_minimal_attachment_needs_caption_owner_group_and_is_published():
    assert messages(CreateAttachmentV4Dto, {}) == [
        "ownerGroup must be a string",
        "caption must be a string",
        "isPublished must be a boolean value",
    ]


def test_v4_wrong_target_type_is_refused():
    bad = body(
        ATTACHMENT_CORRECT_V4,
        relationships=[{"targetId": "1", "targetType": "wrong_type"}],
    )
    assert messages(CreateAttachmentV4Dto, bad) == [
        "relationships.0.targetType must be one of the following values: "
        "dataset, proposal, sample, published_data"
    ]


def test_v4_partial_update_accepts_a_caption():
    assert validate(PartialUpdateAttachmentV4Dto, {"caption": "c"}).payload() == {
        "caption": "c"
    }


def test_stored_attachment_id_is_aid_and_relationships_get_defaults():
    fields = validate(
        CreateAttachmentV4Dto,
        body(
            ATTACHMENT_CORRECT_V4,
            aid="att-1",
            relationships=[{"targetId": "d1", "targetType": "dataset"}],
        ),
    ).payload()
    document = new_attachment_document(fields, username="u", now=NOW)
    assert document["_id"] == document["aid"] == "att-1"
    assert document["relationships"] == [
        {"targetId": "d1", "targetType": "dataset", "relationType": "is attached to"}
    ]


def test_stored_attachment_without_aid_gets_a_uuid():
    fields = validate(CreateAttachmentV4Dto, ATTACHMENT_CORRECT_V4).payload()
    document = new_attachment_document(fields, username="u", now=NOW)
    assert len(document["aid"]) == 36 and document["_id"] == document["aid"]


def test_v3_attachment_is_accepted_and_v3_is_published_is_not_a_field():
    validate(CreateAttachmentV3Dto, ATTACHMENT_CORRECT_V3)
    assert messages(
        CreateAttachmentV3Dto, body(ATTACHMENT_CORRECT_V3, isPublished=True)
    ) == ["property isPublished should not exist"]


def test_v3_sub_route_body_refuses_parent_ids():
    assert messages(CreateSubAttachmentV3Dto, ATTACHMENT_CORRECT_V3) == [
        "property proposalId should not exist",
        "property ownerGroup should not exist",
        "property accessGroups should not exist",
    ]


def test_v3_parent_ids_become_relationships_and_empty_ones_are_skipped():
    converted = v3_to_v4(
        {
            "caption": "c",
            "datasetId": "d1",
            "sampleId": "s1",
            "proposalId": "",
            "id": "x",
        }
    )
    assert converted == {
        "caption": "c",
        "relationships": [
            {
                "targetId": "d1",
                "targetType": "dataset",
                "relationType": "is attached to",
            },
            {
                "targetId": "s1",
                "targetType": "sample",
                "relationType": "is attached to",
            },
        ],
    }


def test_v4_to_v3_renames_aid_and_flattens_relationships_last_one_wins():
    stored = {
        "_id": "a1",
        "aid": "a1",
        "caption": "c",
        "relationships": [
            {"targetId": "d1", "targetType": "dataset"},
            {"targetId": "d2", "targetType": "dataset"},
            {"targetId": "p1", "targetType": "proposal"},
            {"targetId": "x", "targetType": "published_data"},
        ],
    }
    assert v4_to_v3(stored) == {
        "_id": "a1",
        "caption": "c",
        "datasetId": "d2",
        "proposalId": "p1",
        "id": "a1",
    }


def test_v4_to_v3_leaves_an_attachment_without_relationships_alone():
    stored = {"_id": "a1", "aid": "a1", "relationships": []}
    assert v4_to_v3(stored) is stored
