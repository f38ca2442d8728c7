"""``/api/v4/datasets`` and ``/api/v4/datasets/public`` through HTTP (§3.4, §5.2)."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from bson import ObjectId

from tests.read_api.dataset_bodies import create_v4, enc, v4_body

BASE = "/api/v4/datasets"
PUBLIC = "/api/v4/datasets/public"
DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
MERGE = {"Content-Type": "application/merge-patch+json"}


def flt(value: object) -> dict[str, str]:
    return {"filter": json.dumps(value)}


# --- create and isValid -------------------------------------------------------


async def test_create_answers_the_stored_document(catalogue_api) -> None:
    created = await create_v4(catalogue_api, "user1")

    assert created["pid"].startswith("20.500.12269/")
    assert created["id"] == created["pid"]
    assert created["version"] == "4"
    assert created["proposalIds"] == ["10.540/39281"]
    assert "proposalId" not in created
    # v4 answers keys as stored (encoded).
    assert "temperature%2Emax" in created["scientificMetadata"]
    assert created["scientificMetadata"]["temperature%2Emax"]["unitSI"] == "K"
    assert DATE.match(created["createdAt"])
    assert created["classification"] == "IN=medium,AV=low,CO=low"


@pytest.mark.parametrize(
    ("user", "overrides", "message"),
    [
        ("anonymous", {}, "Forbidden resource"),
        ("user4", {}, "Forbidden resource"),
        ("user1", {"ownerGroup": "group2"}, "Unauthorized to create this dataset"),
        ("user1", {"pid": "given/pid"}, "Unauthorized to create this dataset"),
    ],
)
async def test_create_denials(catalogue_api, user, overrides, message) -> None:
    response = await catalogue_api.call("POST", BASE, user, json=v4_body(**overrides))

    assert response.status == 403
    assert (await response.json())["message"] == message


async def test_create_validation_and_conflict(catalogue_api) -> None:
    missing = v4_body()
    missing.pop("datasetName")
    invalid = await catalogue_api.call("POST", BASE, "admin", json=missing)
    unknown = await catalogue_api.call("POST", BASE, "admin", json=v4_body(x=1))
    await create_v4(catalogue_api, "admin", pid="v4/dup")
    duplicate = await catalogue_api.call(
        "POST", BASE, "admin", json=v4_body(pid="v4/dup")
    )

    assert invalid.status == 400
    body = await invalid.json()
    assert body["error"] == "Bad Request"
    assert any("datasetName" in message for message in body["message"])
    assert unknown.status == 400
    assert "property x should not exist" in (await unknown.json())["message"]
    assert duplicate.status == 409


async def test_is_valid(catalogue_api) -> None:
    good = await catalogue_api.call("POST", f"{BASE}/isValid", "user1", json=v4_body())
    bad = await catalogue_api.call(
        "POST", f"{BASE}/isValid", "user1", json=v4_body(creationTime="yesterday")
    )
    denied = await catalogue_api.call(
        "POST", f"{BASE}/isValid", "anonymous", json=v4_body()
    )

    assert good.status == bad.status == 200
    assert await good.json() == {"valid": True}
    assert await bad.json() == {"valid": False}
    assert denied.status == 403


# --- reads --------------------------------------------------------------------


async def _datasets(api) -> dict[str, str]:
    mine = await create_v4(api, "user1")
    published = await create_v4(
        api, "admin", ownerGroup="group2", accessGroups=[], isPublished=True
    )
    shared = await create_v4(
        api,
        "admin",
        ownerGroup="group3",
        accessGroups=[],
        sharedWith=[(await api.accounts.user("user4"))["email"]],
    )
    return {"mine": mine["pid"], "published": published["pid"], "shared": shared["pid"]}


async def _pids(response) -> list[str]:
    assert response.status == 200, await response.text()
    return [item["pid"] for item in await response.json()]


async def test_list_is_closed_to_anonymous_callers(catalogue_api) -> None:
    response = await catalogue_api.call("GET", BASE)

    assert response.status == 403
    assert (await response.json())["message"] == "Forbidden resource"


async def test_list_visibility_newest_first(catalogue_api) -> None:
    pids = await _datasets(catalogue_api)

    owner = await _pids(await catalogue_api.call("GET", BASE, "user1"))
    shared = await _pids(await catalogue_api.call("GET", BASE, "user4"))
    admin = await _pids(await catalogue_api.call("GET", BASE, "admin"))

    assert owner == [pids["published"], pids["mine"]]
    assert shared == [pids["shared"], pids["published"]]
    assert admin == [pids["shared"], pids["published"], pids["mine"]]


async def test_list_items_have_no_virtual_id(catalogue_api) -> None:
    await create_v4(catalogue_api, "user1")

    [item] = await (await catalogue_api.call("GET", BASE, "user1")).json()

    assert "id" not in item
    assert item["__v"] == 0
    assert "temperature%2Emax" in item["scientificMetadata"]


async def test_default_limit_is_10_and_limits_merge(catalogue_api) -> None:
    documents = [
        {
            "_id": f"bulk/{n:02d}",
            "pid": f"bulk/{n:02d}",
            "ownerGroup": "group1",
            "size": n,
        }
        for n in range(12)
    ]
    await catalogue_api.store.collection("Dataset").insert_many(documents)

    default = await _pids(await catalogue_api.call("GET", BASE, "user1"))
    sorted_by_size = await _pids(
        await catalogue_api.call(
            "GET",
            BASE,
            "user1",
            params=flt({"limits": {"sort": {"size": "desc"}, "skip": 1, "limit": 2}}),
        )
    )

    assert len(default) == 10
    assert sorted_by_size == ["bulk/10", "bulk/09"]


async def test_mongo_operators_fields_and_allow_list(catalogue_api) -> None:
    await _datasets(catalogue_api)

    chosen = await catalogue_api.call(
        "GET",
        BASE,
        "admin",
        params=flt(
            {
                "where": {"ownerGroup": {"$in": ["group2", "group3"]}},
                "fields": {"pid": True, "ownerGroup": True},
            }
        ),
    )
    loopback = await catalogue_api.call(
        "GET", BASE, "admin", params=flt({"where": {"ownerGroup": {"inq": ["g"]}}})
    )
    unknown = await catalogue_api.call(
        "GET", BASE, "admin", params=flt({"where": {"colour": "blue"}})
    )
    order = await catalogue_api.call(
        "GET", BASE, "admin", params=flt({"limits": {"order": "size:asc"}})
    )
    free_below = await catalogue_api.call(
        "GET",
        BASE,
        "admin",
        params=flt({"where": {"scientificMetadata.anything.value": {"$gt": 1}}}),
    )

    items = await chosen.json()
    assert {item["ownerGroup"] for item in items} == {"group2", "group3"}
    assert all(set(item) <= {"_id", "pid", "ownerGroup"} for item in items)
    assert loopback.status == 400
    assert (await loopback.json())["message"] == (
        "Property where.ownerGroup.inq should not exist in the filter object"
    )
    assert unknown.status == 400
    assert (await unknown.json())["message"] == (
        "Property where.colour should not exist in the filter object"
    )
    assert order.status == 400
    assert free_below.status == 200


async def test_include_is_narrowed_to_what_the_caller_may_see(catalogue_api) -> None:
    created = await create_v4(catalogue_api, "user1", accessGroups=[])
    blocks = catalogue_api.store.collection("OrigDatablock")
    await blocks.insert_many(
        [
            {"_id": "odb-own", "datasetId": created["pid"], "ownerGroup": "group1"},
            {"_id": "odb-other", "datasetId": created["pid"], "ownerGroup": "zz"},
        ]
    )
    query = flt({"include": ["origdatablocks"]})

    owner = await catalogue_api.call("GET", BASE, "user1", params=query)
    admin = await catalogue_api.call("GET", BASE, "admin", params=query)
    by_param = await catalogue_api.call(
        "GET",
        f"{BASE}/{enc(created['pid'])}",
        "user1",
        params=[("include", "origdatablocks"), ("include", "attachments")],
    )
    unknown = await catalogue_api.call(
        "GET", f"{BASE}/{enc(created['pid'])}", "user1", params={"include": "dogs"}
    )

    [mine] = await owner.json()
    [everything] = await admin.json()
    assert [b["_id"] for b in mine["origdatablocks"]] == ["odb-own"]
    assert {b["_id"] for b in everything["origdatablocks"]} == {"odb-own", "odb-other"}
    one = await by_param.json()
    assert [b["_id"] for b in one["origdatablocks"]] == ["odb-own"]
    assert one["attachments"] == []
    assert unknown.status == 400


async def test_count_takes_only_where(catalogue_api) -> None:
    await _datasets(catalogue_api)

    owner = await catalogue_api.call("GET", f"{BASE}/count", "user1")
    where = await catalogue_api.call(
        "GET",
        f"{BASE}/count",
        "admin",
        params=flt({"where": {"isPublished": True}}),
    )
    with_limits = await catalogue_api.call(
        "GET", f"{BASE}/count", "admin", params=flt({"limits": {"limit": 1}})
    )
    anonymous = await catalogue_api.call("GET", f"{BASE}/count")

    assert await owner.json() == {"count": 2}
    assert await where.json() == {"count": 1}
    assert with_limits.status == 400
    assert anonymous.status == 403


async def test_find_one(catalogue_api) -> None:
    pids = await _datasets(catalogue_api)

    newest = await catalogue_api.call("GET", f"{BASE}/findOne", "admin")
    nothing = await catalogue_api.call(
        "GET", f"{BASE}/findOne", "user1", params=flt({"where": {"pid": "none"}})
    )

    assert (await newest.json())["pid"] == pids["shared"]
    assert nothing.status == 200 and await nothing.read() == b""


async def test_get_by_pid_uses_the_instance_rule(catalogue_api) -> None:
    pids = await _datasets(catalogue_api)

    owner = await catalogue_api.call("GET", f"{BASE}/{enc(pids['mine'])}", "user1")
    shared = await catalogue_api.call("GET", f"{BASE}/{enc(pids['shared'])}", "user4")
    lifecycle = await catalogue_api.call(
        "GET", f"{BASE}/{enc(pids['mine'])}", "archiveManager"
    )
    anonymous = await catalogue_api.call("GET", f"{BASE}/{enc(pids['published'])}")
    missing = await catalogue_api.call("GET", f"{BASE}/{enc('no/such')}", "admin")

    assert owner.status == 200 and "id" not in await owner.json()
    # sharedWith lists a dataset but does not open it (reference §5.2).
    assert shared.status == 403
    assert lifecycle.status == 200
    assert anonymous.status == 403
    assert missing.status == 404


# --- patch, put, delete -------------------------------------------------------


async def test_patch_json_and_merge_patch(catalogue_api) -> None:
    created = await create_v4(catalogue_api, "user1", keywords=["a"], comment="c")
    path = f"{BASE}/{enc(created['pid'])}"

    patched = await catalogue_api.call(
        "PATCH", path, "user1", json={"description": "d", "keywords": ["b"]}
    )
    merged = await catalogue_api.call(
        "PATCH",
        path,
        "user1",
        json={"comment": None, "datasetlifecycle": {"archivable": False}},
        headers=MERGE,
    )

    assert patched.status == 200
    answer = await patched.json()
    assert answer["keywords"] == ["b"] and answer["id"] == created["pid"]
    assert merged.status == 200, await merged.text()
    after = await merged.json()
    assert "comment" not in after
    assert after["description"] == "d"
    assert after["datasetlifecycle"]["archivable"] is False
    assert after["datasetlifecycle"]["archiveStatusMessage"] == "datasetCreated"
    stored = await catalogue_api.store.collection("Dataset").find_one(
        {"_id": created["pid"]}
    )
    lifecycle = stored["datasetlifecycle"]
    assert isinstance(lifecycle["_id"], ObjectId)
    assert isinstance(lifecycle["dateOfDiskPurging"], dt.datetime)


async def test_patch_keeps_sizes_it_was_not_sent(catalogue_api) -> None:
    created = await create_v4(catalogue_api, "admin", size=100, numberOfFiles=3)
    path = f"{BASE}/{enc(created['pid'])}"

    answer = await (
        await catalogue_api.call("PATCH", path, "admin", json={"comment": "x"})
    ).json()

    assert answer["size"] == 100 and answer["numberOfFiles"] == 3


async def test_patch_value_unit_rule(catalogue_api) -> None:
    created = await create_v4(catalogue_api, "user1")
    pid = created["pid"]
    path = f"{BASE}/{enc(pid)}"

    value_only = await catalogue_api.call(
        "PATCH",
        path,
        "user1",
        json={"scientificMetadata": {"with_unit_and_value_si": {"value": -2}}},
        headers=MERGE,
    )
    unit_only = await catalogue_api.call(
        "PATCH",
        path,
        "user1",
        json={"scientificMetadata": {"with_unit_and_value_si": {"unit": "cm"}}},
    )
    both = await catalogue_api.call(
        "PATCH",
        path,
        "user1",
        json={
            "scientificMetadata": {"with_unit_and_value_si": {"value": 3, "unit": "cm"}}
        },
        headers=MERGE,
    )

    message = (
        f"Original dataset {pid} contains both value and unit in "
        "scientificMetadata.with_unit_and_value_si. Please provide both when updating."
    )
    for response in (value_only, unit_only):
        assert response.status == 400
        assert (await response.json())["message"] == message
    assert both.status == 200
    quantity = (await both.json())["scientificMetadata"]["with_unit_and_value_si"]
    assert quantity["unitSI"] == "m" and quantity["valueSI"] == pytest.approx(0.03)


async def test_patch_denials_and_preconditions(catalogue_api) -> None:
    created = await create_v4(catalogue_api, "user1")
    path = f"{BASE}/{enc(created['pid'])}"

    missing = await catalogue_api.call(
        "PATCH", f"{BASE}/{enc('no/such')}", "admin", json={"comment": "x"}
    )
    anonymous = await catalogue_api.call("PATCH", path, json={"comment": "x"})
    stranger = await catalogue_api.call("PATCH", path, "user3", json={"comment": "x"})
    stale = await catalogue_api.call(
        "PATCH",
        path,
        "user1",
        json={"comment": "x"},
        headers={"If-Unmodified-Since": "2000-01-01T00:00:00Z"},
    )
    invalid = await catalogue_api.call("PATCH", path, "user1", json={"size": "big"})
    not_object = await catalogue_api.call("PATCH", path, "user1", json=["x"])

    assert missing.status == 404
    assert (await missing.json())["message"] == "Dataset not found"
    assert anonymous.status == 403
    assert stranger.status == 403
    assert stale.status == 412
    assert invalid.status == 400
    assert not_object.status == 400


async def test_put_and_delete(catalogue_api) -> None:
    created = await create_v4(catalogue_api, "user1")
    path = f"{BASE}/{enc(created['pid'])}"
    body = v4_body(description="replaced")
    body.pop("type")

    replaced = await catalogue_api.call("PUT", path, "user1", json=body)
    denied = await catalogue_api.call("DELETE", path, "user1")
    deleted = await catalogue_api.call("DELETE", path, "archiveManager")
    gone = await catalogue_api.call("GET", path, "admin")

    assert replaced.status == 200, await replaced.text()
    answer = await replaced.json()
    assert answer["description"] == "replaced"
    assert answer["createdAt"] == created["createdAt"]
    assert denied.status == 403
    assert deleted.status == 200
    assert (await deleted.json())["pid"] == created["pid"]
    assert gone.status == 404


# --- lifecycle ----------------------------------------------------------------


async def test_lifecycle_routes(catalogue_api) -> None:
    created = await create_v4(catalogue_api, "user1")
    path = f"{BASE}/{enc(created['pid'])}/datasetlifecycle"

    read = await catalogue_api.call("GET", path, "user1")
    by_manager = await catalogue_api.call(
        "PATCH",
        path,
        "archiveManager",
        json={"archiveStatusMessage": "archived", "exportedTo": "tape"},
        headers=MERGE,
    )
    by_owner = await catalogue_api.call(
        "PATCH", path, "user1", json={"retrievable": True}, headers=MERGE
    )
    empty = await catalogue_api.call("PATCH", path, "user1", json={})
    plain = await catalogue_api.call("PATCH", path, "user4", json={"archivable": False})
    missing = await catalogue_api.call(
        "PATCH",
        f"{BASE}/{enc('no/such')}/datasetlifecycle",
        "admin",
        json={"archivable": False},
    )

    assert (await read.json())["archivable"] is True
    assert (await by_manager.json())["exportedTo"] == "tape"
    after = await by_owner.json()
    assert after["exportedTo"] == "tape" and after["retrievable"] is True
    assert after["archiveStatusMessage"] == "archived"
    assert empty.status == 400
    assert plain.status == 403
    assert missing.status == 404


# --- the public family ----------------------------------------------------------


async def test_public_routes_show_published_datasets_to_everyone(catalogue_api) -> None:
    pids = await _datasets(catalogue_api)

    anonymous = await _pids(await catalogue_api.call("GET", PUBLIC))
    admin = await _pids(await catalogue_api.call("GET", PUBLIC, "admin"))
    count = await catalogue_api.call("GET", f"{PUBLIC}/count")
    first = await catalogue_api.call("GET", f"{PUBLIC}/findOne")
    one = await catalogue_api.call("GET", f"{PUBLIC}/{enc(pids['published'])}")
    hidden = await catalogue_api.call("GET", f"{PUBLIC}/{enc(pids['mine'])}")

    assert anonymous == admin == [pids["published"]]
    assert await count.json() == {"count": 1}
    assert (await first.json())["pid"] == pids["published"]
    assert (await one.json())["pid"] == pids["published"]
    assert hidden.status == 200 and await hidden.read() == b""


async def test_public_filter_is_validated_and_cannot_widen(catalogue_api) -> None:
    await _datasets(catalogue_api)

    widened = await _pids(
        await catalogue_api.call(
            "GET", PUBLIC, params=flt({"where": {"isPublished": False}})
        )
    )
    widened_or = await _pids(
        await catalogue_api.call(
            "GET",
            PUBLIC,
            params=flt({"where": {"$or": [{"isPublished": False}, {"pid": "x"}]}}),
        )
    )
    bad = await catalogue_api.call(
        "GET", PUBLIC, params=flt({"where": {"$where": "1"}})
    )

    assert widened == widened_or == []
    assert bad.status == 400


async def test_merge_patch_null_removes_a_metadata_key(catalogue_api) -> None:
    created = await create_v4(catalogue_api, "user1")
    path = f"{BASE}/{enc(created['pid'])}"

    response = await catalogue_api.call(
        "PATCH",
        path,
        "user1",
        json={"scientificMetadata": {"temperature.max": None, "new": 1}},
        headers=MERGE,
    )

    assert response.status == 200, await response.text()
    metadata = (await response.json())["scientificMetadata"]
    assert "temperature%2Emax" not in metadata
    assert metadata["new"] == 1 and "with_unit_and_value_si" in metadata


async def test_fields_with_include_keep_the_relation(catalogue_api) -> None:
    created = await create_v4(catalogue_api, "user1")
    await catalogue_api.store.collection("OrigDatablock").insert_one(
        {"_id": "odb-1", "datasetId": created["pid"], "ownerGroup": "group1"}
    )

    response = await catalogue_api.call(
        "GET",
        BASE,
        "user1",
        params=flt({"fields": ["datasetName"], "include": ["origdatablocks"]}),
    )

    [item] = await response.json()
    assert set(item) == {"_id", "datasetName", "origdatablocks"}
    assert item["origdatablocks"][0]["_id"] == "odb-1"


async def test_put_denials(catalogue_api) -> None:
    created = await create_v4(catalogue_api, "user1")
    body = v4_body()
    body.pop("type")

    stranger = await catalogue_api.call(
        "PUT", f"{BASE}/{enc(created['pid'])}", "user3", json=body
    )
    anonymous = await catalogue_api.call(
        "PUT", f"{BASE}/{enc(created['pid'])}", json=body
    )
    missing = await catalogue_api.call(
        "PUT", f"{BASE}/{enc('no/such')}", "admin", json=body
    )

    assert stranger.status == anonymous.status == 403
    assert missing.status == 404


# Who gets what on one unpublished group1 dataset with group5 access (§5.2).
READ_MATRIX = [
    ("anonymous", 403, 403, 403, 403),
    ("user1", 200, 200, 403, 200),  # owner group, create tier
    ("user5.1", 200, 403, 403, 403),  # access group, plain
    ("user2", 403, 403, 403, 403),  # with-pid tier, other group
    ("user3", 403, 403, 403, 403),  # privileged tier, other group
    ("admin", 200, 200, 403, 200),
    ("archiveManager", 200, 403, 200, 200),  # lifecycle and delete groups
]


@pytest.mark.parametrize(("user", "read", "update", "delete", "lifecycle"), READ_MATRIX)
async def test_decision_table_through_http(
    catalogue_api, user, read, update, delete, lifecycle
) -> None:
    created = await create_v4(catalogue_api, "user1")
    path = f"{BASE}/{enc(created['pid'])}"

    got = await catalogue_api.call("GET", path, user)
    patched = await catalogue_api.call("PATCH", path, user, json={"comment": "c"})
    cycled = await catalogue_api.call(
        "PATCH", f"{path}/datasetlifecycle", user, json={"retrievable": True}
    )
    deleted = await catalogue_api.call("DELETE", path, user)

    assert (got.status, patched.status, deleted.status, cycled.status) == (
        read,
        update,
        delete,
        lifecycle,
    )
