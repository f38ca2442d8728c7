"""Arbitrary JSON bodies: validation answers with messages, never with a crash."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from common.models.attachment import CreateAttachmentV4Dto
from common.models.dataset import CreateDatasetDto, validate_v3_create
from common.models.origdatablock import CreateOrigDatablockDto
from common.models.validation import ErrorForm, to_invalid
from tests.models.fixtures import CUSTOM_CORRECT_MIN, RAW_CORRECT_MIN

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
field_names = st.sampled_from(
    sorted(
        set(CreateDatasetDto.model_fields)
        | {"principalInvestigator", "investigator", "proposalId", "aid", "$where"}
    )
)


def _check(validator: Any, data: Any) -> None:
    try:
        validator(data)
    except ValidationError as exc:
        for form in ErrorForm:
            failed = to_invalid(exc, form)
            assert failed.messages and all(
                isinstance(m, str) and m for m in failed.messages
            )
            assert failed.details


@settings(deadline=None, max_examples=80)
@given(
    st.sampled_from([CUSTOM_CORRECT_MIN, RAW_CORRECT_MIN]),
    st.dictionaries(field_names, json_values, max_size=4),
)
def test_dataset_bodies_never_crash_validation(base: dict[str, Any], changes: Any):
    data = {**base, **changes}
    _check(validate_v3_create, data)
    _check(CreateDatasetDto.model_validate, data)


@settings(deadline=None, max_examples=40)
@given(json_values)
def test_any_json_value_as_a_body_is_answered(data: Any):
    _check(CreateDatasetDto.model_validate, data)
    _check(CreateOrigDatablockDto.model_validate, data)
    _check(CreateAttachmentV4Dto.model_validate, data)
