"""The lenient string-to-date coercion that SciCat applies inside loopback ``where``.

SciCat turns every ``where`` string that JavaScript's ``new Date(str)`` accepts
into a date. V8 accepts far too much (``"2"``, ``"1.5"``, ``"Dataset 12"``), so
such values silently stopped matching. We accept the forms people and clients
actually send and nothing else:

* ISO 8601 calendar dates and date-times: ``2020-01-31``,
  ``2020-01-31T10:00``, ``2020-01-31T10:00:00.123Z``, ``... +02:00``,
  also with a space instead of ``T``;
* RFC 2822 and the ``Date.prototype.toString`` shapes:
  ``Fri, 31 Jan 2020 10:00:00 GMT``, ``Fri Jan 31 2020 10:00:00 GMT+0100``;
* month-name dates: ``Jan 31 2020``, ``31 January 2020``, ``January 31, 2020``
  with an optional ``HH:MM[:SS]``.

A value needs a four-digit year, a month and a day, so a bare number, a year
alone, a pid, a group or a proposal id never becomes a date. Times without an
offset are read as UTC (SciCat reads them in the server's zone, which is UTC
in its containers); date-only forms are UTC midnight, as in V8.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_ISO = re.compile(
    r"^\d{4}-\d{2}-\d{2}"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$",
    re.IGNORECASE,
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+)?"
_TIME = r"(?:\s+(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?)?"
_ZONE = (
    r"(?:\s+(?:(?:GMT|UTC|Z)(?P<off>[+-]\d{4})?|(?P<num>[+-]\d{4}))"
    r"(?:\s+\([^)]*\))?)?"
)
_MONTH_FIRST = re.compile(
    rf"^{_WEEKDAY}(?P<mon>[a-z]+)\.?\s+(?P<d>\d{{1,2}}),?\s+(?P<y>\d{{4}}){_TIME}{_ZONE}$",
    re.IGNORECASE,
)
_DAY_FIRST = re.compile(
    rf"^{_WEEKDAY}(?P<d>\d{{1,2}})\s+(?P<mon>[a-z]+)\.?,?\s+(?P<y>\d{{4}}){_TIME}{_ZONE}$",
    re.IGNORECASE,
)
_MAX_LENGTH = 100


def parse_lenient_date(text: str) -> datetime | None:
    """Return the UTC datetime a date-like string denotes, or None if it is not one."""
    value = text.strip()
    if len(value) > _MAX_LENGTH or len(value) < 8:
        return None
    if _ISO.match(value):
        return _from_iso(value)
    for pattern in (_MONTH_FIRST, _DAY_FIRST):
        match = pattern.match(value)
        if match:
            return _from_parts(match)
    return None


def _from_iso(value: str) -> datetime | None:
    normalised = value.replace(" ", "T").upper()
    # fromisoformat takes at most microseconds.
    normalised = re.sub(r"(\.\d{6})\d+", r"\1", normalised)
    try:
        parsed = datetime.fromisoformat(normalised)
    except ValueError:
        return None
    return _as_utc(parsed)


def _from_parts(match: re.Match[str]) -> datetime | None:
    month = _MONTHS.get(match["mon"].lower())
    if month is None:
        return None
    try:
        parsed = datetime(
            int(match["y"]),
            month,
            int(match["d"]),
            int(match["h"] or 0),
            int(match["mi"] or 0),
            int(match["s"] or 0),
        )
    except ValueError:
        return None
    offset = match["off"] or match["num"]
    if offset:
        return _from_iso(parsed.isoformat() + offset[:3] + ":" + offset[3:])
    return parsed.replace(tzinfo=UTC)


def _as_utc(parsed: datetime) -> datetime:
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
