"""Account documents and the dataset lifecycle sub-document."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from bson import ObjectId

from common.models.lifecycle import (
    UpdateDatasetLifecycleDto,
    lifecycle_defaults,
    new_lifecycle,
    shift_years,
    year_shift,
)
from common.models.user import (
    AdminUpdateUserPasswordDto,
    PartialUpdateUserSettingsDto,
    UpdateUserSettingsDto,
    UserIdentity,
    new_user_identity,
    new_user_settings,
    returned_user,
)
from common.models.validation import ValidationFailed, validate

NOW = datetime(2026, 5, 17, 8, 30, tzinfo=UTC)


def test_lifecycle_defaults_are_scicats_and_dated_at_creation():
    defaults = lifecycle_defaults(NOW, retention_shift="10", publication_shift=3)
    assert defaults["archivable"] is True
    assert defaults["retrievable"] is False
    assert defaults["publishable"] is False
    assert defaults["isOnCentralDisk"] is True
    assert defaults["archiveStatusMessage"] == "datasetCreated"
    assert defaults["retrieveStatusMessage"] == ""
    assert defaults["archiveReturnMessage"] == {}
    assert defaults["retrieveIntegrityCheck"] is False
    assert defaults["dateOfDiskPurging"] == NOW
    assert defaults["publishedOn"] == NOW
    # The real day of the month, not the day of the week as in SciCat.
    assert defaults["archiveRetentionTime"] == datetime(2036, 5, 17, 8, 30, tzinfo=UTC)
    assert defaults["dateOfPublishing"] == datetime(2029, 5, 17, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "years"), [("3", 3), ("-1", -1), ("-1 (indefinitely)", 0), (None, 0)]
)
def test_year_shift_reads_integers_only(text, years):
    assert year_shift(text) == years


def test_shift_from_leap_day_falls_back_to_the_28th():
    leap = datetime(2024, 2, 29, tzinfo=UTC)
    assert shift_years(leap, 1) == datetime(2025, 2, 28, tzinfo=UTC)


def test_new_lifecycle_keeps_sent_values_and_adds_an_object_id():
    lifecycle = new_lifecycle({"archivable": False, "storageLocation": "tape"}, NOW)
    assert lifecycle["archivable"] is False
    assert lifecycle["storageLocation"] == "tape"
    assert lifecycle["retrievable"] is False
    assert isinstance(lifecycle["_id"], ObjectId)


def test_lifecycle_update_body_checks_types_and_refuses_id():
    with pytest.raises(ValidationFailed) as caught:
        validate(
            UpdateDatasetLifecycleDto,
            {"archivable": "yes", "dateOfPublishing": "soon", "id": "x"},
        )
    assert caught.value.messages == [
        "property id should not exist",
        "archivable must be a boolean value",
        "dateOfPublishing must be a valid ISO 8601 date string",
    ]


def test_lifecycle_update_body_parses_dates():
    model = validate(
        UpdateDatasetLifecycleDto,
        {"archiveStatusMessage": "archived", "publishedOn": "2026-01-01T00:00:00Z"},
    )
    assert model.payload() == {
        "archiveStatusMessage": "archived",
        "publishedOn": datetime(2026, 1, 1, tzinfo=UTC),
    }


def test_user_settings_defaults():
    user_id = ObjectId()
    settings = new_user_settings(user_id)
    assert settings["userId"] == user_id
    assert settings["datasetCount"] == 25 and settings["jobCount"] == 25
    assert settings["externalSettings"] == {}


def test_user_settings_bodies():
    validate(UpdateUserSettingsDto, {"datasetCount": 10, "jobCount": 25})
    assert validate(PartialUpdateUserSettingsDto, {"jobCount": 5}).payload() == {
        "jobCount": 5
    }
    with pytest.raises(ValidationFailed) as caught:
        validate(PartialUpdateUserSettingsDto, {"datasetCount": "many"})
    assert caught.value.messages == [
        "datasetCount must be a number conforming to the specified constraints"
    ]


def test_password_change_fields_should_not_be_empty():
    with pytest.raises(ValidationFailed) as caught:
        validate(AdminUpdateUserPasswordDto, {"newPassword": "", "confirmPassword": 1})
    assert caught.value.messages == [
        "newPassword should not be empty",
        "confirmPassword must be a string",
    ]


def test_returned_user_has_a_string_id_and_no_password():
    oid = ObjectId()
    shaped = returned_user(
        {
            "_id": oid,
            "username": "u",
            "email": "u@x.org",
            "password": "hash",
            "authStrategy": "local",
        }
    )
    assert shaped == {
        "id": str(oid),
        "username": "u",
        "email": "u@x.org",
        "authStrategy": "local",
    }


def test_user_identity_document_round_trips_through_the_model():
    user_id = ObjectId()
    document = new_user_identity(
        user_id,
        profile={"username": "u", "email": "u@x.org", "accessGroups": ["g"]},
        provider="local",
        auth_strategy="local",
        now=NOW,
    )
    identity = UserIdentity.model_validate(document)
    assert identity.userId == user_id
    assert identity.profile is not None and identity.profile.accessGroups == ["g"]
    assert identity.created == NOW
