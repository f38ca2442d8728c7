"""One mapping from domain errors to outcomes: permanent rejected, transient retried."""

from __future__ import annotations

import pytest

from common import errors
from common.models.validation import ErrorForm, ValidationFailed
from ingest_worker.consumers.contract import ErrorCode
from ingest_worker.consumers.outcomes import (
    Rejected,
    Retry,
    internal_error,
    outcome_for_error,
)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.InvalidError("bad"), ErrorCode.INVALID),
        (
            ValidationFailed(
                "bad", form=ErrorForm.NEST, messages=[], details=[], errors=[]
            ),
            ErrorCode.INVALID,
        ),
        (errors.StoreQueryError("bad regex"), ErrorCode.INVALID),
        (errors.UnauthenticatedError("who?"), ErrorCode.UNAUTHENTICATED),
        (errors.ForbiddenError("no"), ErrorCode.FORBIDDEN),
        (errors.ConflictError("taken"), ErrorCode.CONFLICT),
        (errors.DuplicateKeyError("taken"), ErrorCode.CONFLICT),
        (errors.NotFoundError("gone"), ErrorCode.NOT_FOUND),
        (errors.PreconditionFailedError("changed"), ErrorCode.INVALID),
        (errors.ConfigurationError("broken"), ErrorCode.INTERNAL),
    ],
)
def test_permanent_errors_are_rejected_with_their_code(error, code):
    outcome = outcome_for_error(error)

    assert isinstance(outcome, Rejected)
    assert outcome.code is code
    assert outcome.message == error.message


@pytest.mark.parametrize(
    "error",
    [
        errors.StoreUnavailableError("timeout"),
        errors.DependencyMissingError("dataset not there yet", details={"id": "x"}),
        errors.IndexerUnavailableError("search down"),
        errors.BrokerUnavailableError("broker down"),
    ],
)
def test_transient_errors_are_retried(error):
    outcome = outcome_for_error(error)

    assert isinstance(outcome, Retry)
    assert outcome.reason == error.message


def test_an_unexpected_exception_is_an_internal_rejection_with_its_type():
    outcome = internal_error(KeyError("pid"))

    assert outcome.code is ErrorCode.INTERNAL
    assert outcome.details["exception"] == "KeyError"
