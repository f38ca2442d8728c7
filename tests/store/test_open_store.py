"""open_store picks the implementation from the settings; errors come out ours."""

from __future__ import annotations

import pytest
from pymongo import errors as pymongo_errors

from common.errors import DuplicateKeyError, StoreQueryError, StoreUnavailableError
from common.store import open_store
from common.store.errors import translate_pymongo
from common.store.limitations import LIMITATIONS, describe

UNREACHABLE = (
    "mongodb://127.0.0.1:1/{db}?serverSelectionTimeoutMS=200&connectTimeoutMS=200"
)


async def test_without_a_uri_the_embedded_store_opens_in_the_configured_folder(
    settings_factory, tmp_path
):
    settings = settings_factory(EMBEDDED_STORE_PATH=tmp_path / "data")
    store = await open_store(settings)
    try:
        assert store.kind == "embedded"
        await store.ping()
        await store.collection("Dataset").insert_one({"pid": "x"})
    finally:
        await store.close()
    assert (tmp_path / "data" / "store.sqlite3").exists()


async def test_with_a_uri_mongodb_is_used_with_the_database_it_names(settings_factory):
    named = await open_store(settings_factory(MONGODB_URI=UNREACHABLE.format(db="cat")))
    default = await open_store(settings_factory(MONGODB_URI=UNREACHABLE.format(db="")))
    try:
        assert (named.kind, named.name) == ("mongodb", "cat")
        assert default.name == "scicat"
    finally:
        await named.close()
        await default.close()


async def test_an_unreachable_mongodb_is_unavailable_not_a_crash(settings_factory):
    store = await open_store(settings_factory(MONGODB_URI=UNREACHABLE.format(db="x")))
    try:
        with pytest.raises(StoreUnavailableError):
            await store.ping()
        with pytest.raises(StoreUnavailableError):
            await store.collection("Dataset").find_one({"pid": "x"})
        with pytest.raises(StoreUnavailableError):
            await store.collection("Dataset").find({}).to_list(None)
    finally:
        await store.close()


async def test_client_side_refusals_of_pymongo_are_query_errors(settings_factory):
    store = await open_store(settings_factory(MONGODB_URI=UNREACHABLE.format(db="x")))
    try:
        with pytest.raises(StoreQueryError):
            await store.collection("Dataset").update_one({"_id": 1}, {"plain": 1})
    finally:
        await store.close()


def test_duplicate_key_carries_the_clashing_key():
    exc = pymongo_errors.DuplicateKeyError(
        "E11000 duplicate key error",
        11000,
        {"code": 11000, "keyValue": {"pid": "p/1"}, "errmsg": "E11000"},
    )
    translated = translate_pymongo(exc)
    assert isinstance(translated, DuplicateKeyError)
    assert translated.key == {"pid": "p/1"}


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (2, StoreQueryError),  # BadValue: unknown operator, bad $regex options
        (51091, StoreQueryError),  # invalid regular expression
        (27, StoreQueryError),  # text index required
        (50, StoreUnavailableError),  # MaxTimeMSExpired
        (11600, StoreUnavailableError),  # interrupted at shutdown
        (10107, StoreUnavailableError),  # not primary
    ],
)
def test_server_refusals_map_by_code(code, expected):
    exc = pymongo_errors.OperationFailure("refused", code, {"errmsg": "refused"})
    assert type(translate_pymongo(exc)) is expected


def test_connection_failures_are_unavailable():
    for exc in (
        pymongo_errors.ServerSelectionTimeoutError("no servers"),
        pymongo_errors.AutoReconnect("reconnecting"),
        pymongo_errors.NetworkTimeout("timeout"),
        pymongo_errors.ExecutionTimeout("too slow", 50),
    ):
        assert isinstance(translate_pymongo(exc), StoreUnavailableError)


def test_limitations_are_listed_in_one_place():
    features = {item.feature for item in LIMITATIONS}
    assert {"$text relevance", "transactions and sessions", "change streams"} <= (
        features
    )
    assert len(describe()) == len(LIMITATIONS)
