"""What the embedded store cannot do that MongoDB does: the one list of it.

Each entry says what happens instead. Code that meets one of these raises
``StoreQueryError`` with ``details={"limitation": True}`` where it can tell,
so a client sees a 400 that names the limitation rather than a wrong answer.
``docs/store.md`` renders the same list.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limitation:
    feature: str
    instead: str


LIMITATIONS: tuple[Limitation, ...] = (
    Limitation(
        "$text relevance",
        "$text is a case-insensitive substring match of any term (all quoted "
        "phrases, no -excluded term) over the strings the text index covers; no "
        "stemming, no stop words, no language; {$meta: 'textScore'} sorts are "
        "ignored and textScore projections are not supported.",
    ),
    Limitation(
        "$text placement",
        "Only at the top level of a filter, in a top-level $and, or in a first "
        "$match stage; elsewhere it is refused.",
    ),
    Limitation(
        "transactions and sessions",
        "None. Each single-document write is atomic; update_many and "
        "insert_many are not (as in MongoDB without a transaction).",
    ),
    Limitation("change streams", "Not available (watch() does not exist)."),
    Limitation(
        "several processes",
        "One process per folder, enforced by a file lock; competing workers and "
        "several API processes need MongoDB.",
    ),
    Limitation(
        "array_filters",
        "Updates with array_filters ($[<id>]) are refused; the positional $ "
        "operator works.",
    ),
    Limitation(
        "query engine coverage",
        "Operators and stages mongomock 4.3 lacks (e.g. $search, $graphLookup, "
        "geo queries, collations, some $expr operators) are refused as query "
        "errors.",
    ),
    Limitation(
        "max_time_ms",
        "Emulated: scans check the deadline every 256 documents; sorting and "
        "aggregation stages after the first $match are not interrupted.",
    ),
    Limitation(
        "TTL expiry",
        "Swept at open and every 60 seconds (MongoDB: every 60 seconds too).",
    ),
    Limitation(
        "indexes",
        "Hash indexes answer equality ($eq, $in, plain values) on indexed paths "
        "and enforce unique keys; ranges and sorts are evaluated over the "
        "candidates or the whole collection. Index hints are ignored.",
    ),
    Limitation(
        "read isolation",
        "A read may see a write whose commit is still in flight (as with "
        "MongoDB's default read concern); it is acknowledged only once committed.",
    ),
    Limitation(
        "durability against power loss",
        "With EMBEDDED_STORE_SYNC=normal a killed process loses nothing it "
        "acknowledged, but a power cut may lose the last commits; use full.",
    ),
    Limitation(
        "memory",
        "Every document is held in memory (plus a BSON copy on disk); size the "
        "host for the catalogue or use MongoDB.",
    ),
)


def describe() -> list[str]:
    """One line per limitation, for logs and documentation."""
    return [f"{item.feature}: {item.instead}" for item in LIMITATIONS]
