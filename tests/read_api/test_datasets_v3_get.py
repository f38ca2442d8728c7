"""``GET /api/v3/datasets/{pid}``: one store read when the dataset is visible,
and SciCat's order of answers (404, then 400 or 403) when it is not."""

from __future__ import annotations

from typing import Any

from tests.read_api.dataset_bodies import create_v3, enc

BASE = "/api/v3/datasets"


class CountingCollection:
    """Passes every call through to the Dataset collection, counting reads."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.reads = 0

    def find(self, *args: Any, **kwargs: Any) -> Any:
        self.reads += 1
        return self._inner.find(*args, **kwargs)

    async def find_one(self, *args: Any, **kwargs: Any) -> Any:
        self.reads += 1
        return await self._inner.find_one(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def count_reads(api: Any) -> CountingCollection:
    datasets = api.services.datasets
    counting = CountingCollection(datasets.collection)
    datasets.collection = counting
    return counting


async def test_a_visible_dataset_is_read_once(catalogue_api) -> None:
    created = await create_v3(catalogue_api, "user1")
    counting = count_reads(catalogue_api)

    response = await catalogue_api.call("GET", f"{BASE}/{enc(created['pid'])}", "user1")

    assert response.status == 200
    body = await response.json()
    assert body["pid"] == created["pid"] and body["history"] == []
    assert counting.reads == 1


async def test_hidden_dataset_is_403_and_missing_one_404(catalogue_api) -> None:
    created = await create_v3(catalogue_api, "user1")
    counting = count_reads(catalogue_api)

    hidden = await catalogue_api.call("GET", f"{BASE}/{enc(created['pid'])}", "user3")
    missing = await catalogue_api.call("GET", f"{BASE}/{enc('no/such')}", "user3")

    assert hidden.status == 403
    assert (await hidden.json())["message"] == "Unauthorized access"
    assert missing.status == 404
    assert (await missing.json())["message"] == "dataset: no/such not found"
    assert counting.reads == 4  # the list query, then the existence check


async def test_a_where_excluding_the_dataset_is_403(catalogue_api) -> None:
    created = await create_v3(catalogue_api, "user1")

    response = await catalogue_api.call(
        "GET",
        f"{BASE}/{enc(created['pid'])}",
        "user1",
        params={"filter": '{"where": {"owner": "somebody else"}}'},
    )

    assert response.status == 403


async def test_a_bad_filter_is_404_for_a_missing_dataset_else_400(
    catalogue_api,
) -> None:
    created = await create_v3(catalogue_api, "user1")
    bad = {"filter": "{not json"}

    missing = await catalogue_api.call(
        "GET", f"{BASE}/{enc('no/such')}", "user1", params=bad
    )
    existing = await catalogue_api.call(
        "GET", f"{BASE}/{enc(created['pid'])}", "user1", params=bad
    )

    assert missing.status == 404
    assert existing.status == 400


async def test_a_where_the_store_refuses_is_404_for_a_missing_dataset_else_400(
    catalogue_api,
) -> None:
    created = await create_v3(catalogue_api, "user1")
    bad = {"filter": '{"where": {"size": {"$type": "nonsense"}}}'}

    missing = await catalogue_api.call(
        "GET", f"{BASE}/{enc('no/such')}", "user1", params=bad
    )
    existing = await catalogue_api.call(
        "GET", f"{BASE}/{enc(created['pid'])}", "user1", params=bad
    )

    assert missing.status == 404
    assert existing.status == 400, await existing.text()
