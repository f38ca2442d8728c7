"""Which where-strings become dates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from common.query.dates import parse_lenient_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-01-31", datetime(2020, 1, 31, tzinfo=UTC)),
        ("2020-01-31T10:00", datetime(2020, 1, 31, 10, tzinfo=UTC)),
        (
            "2020-01-31T10:00:00.123Z",
            datetime(2020, 1, 31, 10, 0, 0, 123000, tzinfo=UTC),
        ),
        ("2020-01-31 10:00:00+02:00", datetime(2020, 1, 31, 8, tzinfo=UTC)),
        (
            "2020-01-31T10:00:00.123456789Z",
            datetime(2020, 1, 31, 10, 0, 0, 123456, tzinfo=UTC),
        ),
        ("Fri, 31 Jan 2020 10:00:00 GMT", datetime(2020, 1, 31, 10, tzinfo=UTC)),
        ("Fri, 31 Jan 2020 10:00:00 +0100", datetime(2020, 1, 31, 9, tzinfo=UTC)),
        (
            "Fri Jan 31 2020 10:00:00 GMT+0100 (Central European Standard Time)",
            datetime(2020, 1, 31, 9, tzinfo=UTC),
        ),
        ("Jan 31 2020", datetime(2020, 1, 31, tzinfo=UTC)),
        ("January 31, 2020 10:00", datetime(2020, 1, 31, 10, tzinfo=UTC)),
        ("31 January 2020", datetime(2020, 1, 31, tzinfo=UTC)),
    ],
)
def test_date_forms_are_understood(text, expected):
    assert parse_lenient_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2",
        "1.5",
        "2020",
        "2020-13-45",
        "Dataset 12",
        "hello 2020",
        "group1",
        "p12345",
        "20.500.12269/abc-def",
        "Feb 30 2020",
        "",
        "x" * 500,
    ],
)
def test_non_dates_stay_strings(text):
    assert parse_lenient_date(text) is None
