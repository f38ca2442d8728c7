"""``/api/v3/datasets`` through HTTP, per kind of caller (reference §3.3, §5.2).

Accounts are SciCat's functional test accounts with SciCat's test groups:
user1 (group1) is in the create tier, user2 (group2) in the with-pid tier,
user3 (group3) privileged, user4 (group4) and user5.1 (group5) plain,
archiveManager in DELETE_GROUPS and UPDATE_DATASET_LIFECYCLE_GROUPS, admin and
adminIngestor admins.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from tests.read_api.dataset_bodies import (
    create_v3,
    enc,
    raw_v3,
)

BASE = "/api/v3/datasets"
DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


# --- create -------------------------------------------------------------------


async def test_create_raw_answers_the_v3_shape(catalogue_api) -> None:
    created = await create_v3(catalogue_api, "user1")

    pid = created["pid"]
    assert pid.startswith("20.500.12269/")
    assert created["id"] == pid == created["_id"]
    assert created["type"] == "raw"
    assert created["version"] == "3"
    assert created["proposalId"] == "10.540/39281"
    assert created["proposalIds"] == ["10.540/39281"]
    assert created["principalInvestigator"] == "bertram.astor@your.site"
    assert created["classification"] == "IN=medium,AV=medium,CO=low"
    # datasetName from the last two segments of sourceFolder.
    assert created["datasetName"] == "tiff/pid"
    assert created["sourceFolder"] == "/iramjet/tiff/pid"
    # Keys come back decoded in v3, values with their SI form.
    temperature = created["scientificMetadata"]["temperature.max"]
    assert temperature["value"] == 300 and temperature["unitSI"] == "K"
    assert DATE.match(created["createdAt"]) and DATE.match(created["creationTime"])
    assert created["createdBy"] == "user1" and created["__v"] == 0
    assert created["datasetlifecycle"]["archivable"] is True


async def test_create_stores_encoded_keys_and_a_default_policy(catalogue_api) -> None:
    created = await create_v3(catalogue_api, "user1")

    stored = await catalogue_api.store.collection("Dataset").find_one(
        {"_id": created["pid"]}
    )
    assert "temperature%2Emax" in stored["scientificMetadata"]
    assert isinstance(stored["createdAt"], dt.datetime)
    policies = await catalogue_api.store.collection("Policy").count_documents(
        {"ownerGroup": "group1"}
    )
    assert policies == 1
    assert catalogue_api.events.keys()[-1].endswith("dataset.created")


async def test_create_derived_and_custom_types(catalogue_api) -> None:
    derived = await create_v3(catalogue_api, "user1", type="derived")
    assert derived["type"] == "derived"
    assert derived["principalInvestigator"] == "egon.meier@your.site"
    assert derived["inputDatasets"] == ["20.500.12269/input-1"]

    custom = raw_v3(type="calibration", datasetName="calib")
    for key in ("principalInvestigator", "proposalId", "creationLocation"):
        custom.pop(key)
    response = await catalogue_api.call("POST", BASE, "user1", json=custom)
    assert response.status == 201, await response.text()
    assert (await response.json())["type"] == "calibration"


@pytest.mark.parametrize("user", ["anonymous", "user4", "user5.1"])
async def test_create_is_forbidden_outside_the_create_tiers(
    catalogue_api, user
) -> None:
    response = await catalogue_api.call("POST", BASE, user, json=raw_v3())

    assert response.status == 403
    assert await response.json() == {
        "statusCode": 403,
        "message": "Forbidden resource",
        "error": "Forbidden",
    }


async def test_create_tier_may_not_create_for_another_group_or_with_pid(
    catalogue_api,
) -> None:
    other_group = await catalogue_api.call(
        "POST", BASE, "user1", json=raw_v3(ownerGroup="group2")
    )
    with_pid = await catalogue_api.call(
        "POST", BASE, "user1", json=raw_v3(pid="my-own/pid-1")
    )

    for response in (other_group, with_pid):
        assert response.status == 403
        body = await response.json()
        assert body["message"] == "Unauthorized to create this dataset"


async def test_with_pid_tier_and_admin_may_choose(catalogue_api) -> None:
    by_user2 = await create_v3(
        catalogue_api, "user2", ownerGroup="group2", pid="my-own/pid-2"
    )
    by_admin = await create_v3(catalogue_api, "admin", ownerGroup="any-group")

    assert by_user2["pid"] == "my-own/pid-2"
    assert by_admin["ownerGroup"] == "any-group"


async def test_create_with_a_taken_pid_is_409(catalogue_api) -> None:
    await create_v3(catalogue_api, "user2", ownerGroup="group2", pid="dup/1")

    response = await catalogue_api.call(
        "POST", BASE, "user2", json=raw_v3(ownerGroup="group2", pid="dup/1")
    )

    assert response.status == 409
    assert (await response.json())["message"] == (
        "A dataset with pid dup/1 already exists!"
    )


async def test_invalid_create_bodies_are_400_with_a_json_message(catalogue_api) -> None:
    missing = raw_v3()
    missing.pop("owner")
    unknown = raw_v3(colour="blue")
    wrong_type = raw_v3(size="big")

    for body in (missing, unknown, wrong_type):
        response = await catalogue_api.call("POST", BASE, "user1", json=body)
        assert response.status == 400, body
        answer = await response.json()
        assert answer["status"] == 400
        # SciCat's v3 body: the class-validator errors as a JSON string.
        errors = json.loads(answer["message"])
        assert isinstance(errors, list) and errors


async def test_malformed_or_non_object_bodies_are_400(catalogue_api) -> None:
    headers = {"Content-Type": "application/json"}
    broken = await catalogue_api.call(
        "POST", BASE, "user1", data=b'{"owner": ', headers=headers
    )
    array = await catalogue_api.call("POST", BASE, "user1", json=[1, 2])

    assert broken.status == 400
    assert array.status == 400


async def test_pid_regex_applies_to_given_pids(catalogue_api_factory) -> None:
    api = await catalogue_api_factory(
        DATASET_CREATION_VALIDATION_ENABLED=True,
        DATASET_CREATION_VALIDATION_REGEX="^20.500.12269/",
    )

    bad = await api.call("POST", BASE, "admin", json=raw_v3(pid="10.1/abc"))
    good = await api.call("POST", BASE, "admin", json=raw_v3(pid="20.500.12269/abc"))

    assert bad.status == 400
    assert (await bad.json())["message"] == "PID is not following required standards"
    assert good.status == 201


# --- isValid ------------------------------------------------------------------


async def test_is_valid_answers_valid_or_the_joined_errors(catalogue_api) -> None:
    good = await catalogue_api.call("POST", f"{BASE}/isValid", "user1", json=raw_v3())
    missing = raw_v3()
    missing.pop("owner")
    missing.pop("contactEmail")
    bad = await catalogue_api.call("POST", f"{BASE}/isValid", "user1", json=missing)

    assert good.status == 200 and await good.json() == {"valid": True}
    assert bad.status == 200
    answer = await bad.json()
    assert answer["valid"] is False
    assert "; " in answer["error"]
    assert answer["error"].startswith("owner must be a string; ")
    assert "semicolon separated emails" in answer["error"]
    # Nothing was stored.
    assert await catalogue_api.store.collection("Dataset").count_documents({}) == 0


async def test_is_valid_checks_the_create_permission_first(catalogue_api) -> None:
    anonymous = await catalogue_api.call(
        "POST", f"{BASE}/isValid", "anonymous", json=raw_v3()
    )
    other_group = await catalogue_api.call(
        "POST", f"{BASE}/isValid", "user1", json=raw_v3(ownerGroup="group3")
    )

    assert anonymous.status == 403
    assert other_group.status == 403
    assert (await other_group.json())["message"] == (
        "Unauthorized to create this dataset"
    )


# --- reads --------------------------------------------------------------------


async def _three_datasets(api) -> dict[str, str]:
    """group1 private (group5 access), group2 published, group3 shared with user4."""
    mine = await create_v3(api, "user1")
    published = await create_v3(
        api, "admin", ownerGroup="group2", isPublished=True, sourceFolder="/p/pub"
    )
    shared = await create_v3(
        api,
        "admin",
        ownerGroup="group3",
        accessGroups=[],
        sharedWith=["user4@your.site"],
        sourceFolder="/p/shared",
    )
    return {"mine": mine["pid"], "published": published["pid"], "shared": shared["pid"]}


async def _pids(response) -> set[str]:
    assert response.status == 200, await response.text()
    return {item["pid"] for item in await response.json()}


async def test_list_shows_each_caller_what_it_may_see(catalogue_api) -> None:
    pids = await _three_datasets(catalogue_api)

    anonymous = await _pids(await catalogue_api.call("GET", BASE))
    owner = await _pids(await catalogue_api.call("GET", BASE, "user1"))
    access = await _pids(await catalogue_api.call("GET", BASE, "user5.1"))
    admin = await _pids(await catalogue_api.call("GET", BASE, "admin"))
    lifecycle = await _pids(await catalogue_api.call("GET", BASE, "archiveManager"))

    assert anonymous == {pids["published"]}
    assert owner == {pids["mine"], pids["published"]}
    assert access == {pids["mine"], pids["published"]}
    assert admin == lifecycle == set(pids.values())


async def test_shared_with_grants_listing_and_v3_get(catalogue_api) -> None:
    user4 = await catalogue_api.accounts.user("user4")
    shared = await create_v3(
        catalogue_api,
        "admin",
        ownerGroup="group3",
        accessGroups=[],
        sharedWith=[user4["email"]],
    )

    listed = await _pids(await catalogue_api.call("GET", BASE, "user4"))
    one = await catalogue_api.call("GET", f"{BASE}/{enc(shared['pid'])}", "user4")

    assert listed == {shared["pid"]}
    assert one.status == 200


async def test_list_items_are_in_v3_shape(catalogue_api) -> None:
    created = await create_v3(catalogue_api, "user1")

    response = await catalogue_api.call("GET", BASE, "user1")
    [item] = await response.json()

    assert item["id"] == created["pid"]
    assert item["proposalId"] == "10.540/39281"
    assert "temperature.max" in item["scientificMetadata"]
    assert DATE.match(item["updatedAt"])
    assert "history" not in item


async def test_filter_where_fields_limits_through_query_or_header(
    catalogue_api,
) -> None:
    for n in range(3):
        await create_v3(
            catalogue_api, "user1", sourceFolder=f"/data/run{n}", size=n * 10
        )
    flt = {
        "where": {"size": {"gte": 10}},
        "fields": ["pid", "size"],
        "limits": {"order": "size:desc", "limit": 1},
    }

    by_query = await catalogue_api.call(
        "GET", BASE, "user1", params={"filter": json.dumps(flt)}
    )
    by_header = await catalogue_api.call(
        "GET", BASE, "user1", headers={"filter": json.dumps(flt)}
    )

    for response in (by_query, by_header):
        assert response.status == 200
        [item] = await response.json()
        assert item["size"] == 20
        assert "owner" not in item and "scientificMetadata" not in item


async def test_filter_in_both_query_and_header_is_400(catalogue_api) -> None:
    response = await catalogue_api.call(
        "GET", BASE, "user1", params={"filter": "{}"}, headers={"filter": "{}"}
    )

    assert response.status == 400


async def test_invalid_filter_json_is_400(catalogue_api) -> None:
    response = await catalogue_api.call(
        "GET", BASE, "user1", params={"filter": '{"where": '}
    )

    assert response.status == 400
    assert (await response.json())["message"].startswith("Invalid JSON in filter")


async def test_default_limit_is_100(catalogue_api) -> None:
    documents = [
        {
            "_id": f"bulk/{n}",
            "pid": f"bulk/{n}",
            "ownerGroup": "group1",
            "accessGroups": [],
            "isPublished": False,
        }
        for n in range(105)
    ]
    await catalogue_api.store.collection("Dataset").insert_many(documents)

    response = await catalogue_api.call("GET", BASE, "user1")
    paged = await catalogue_api.call(
        "GET", BASE, "user1", params={"filter": '{"limits": {"skip": 100}}'}
    )

    assert len(await response.json()) == 100
    assert len(await paged.json()) == 5


async def test_include_relations_and_unknown_relation(catalogue_api) -> None:
    created = await create_v3(catalogue_api, "user1")
    await catalogue_api.store.collection("OrigDatablock").insert_one(
        {"_id": "odb-1", "datasetId": created["pid"], "size": 5, "ownerGroup": "x"}
    )
    await catalogue_api.store.collection("Proposal").insert_one(
        {"_id": "10.540/39281", "proposalId": "10.540/39281", "title": "T"}
    )

    flt = {"include": [{"relation": "origdatablocks"}, "proposals"]}
    response = await catalogue_api.call(
        "GET", BASE, "user1", params={"filter": json.dumps(flt)}
    )
    unknown = await catalogue_api.call(
        "GET", BASE, "user1", params={"filter": '{"include": ["cats"]}'}
    )

    [item] = await response.json()
    # v3 applies no access filter inside the relations.
    assert [odb["_id"] for odb in item["origdatablocks"]] == ["odb-1"]
    assert item["proposals"][0]["title"] == "T"
    assert unknown.status == 400
    assert (await unknown.json())["message"] == (
        'Provided include field "cats" is not part of the dataset relations'
    )


async def test_count_applies_visibility_and_where(catalogue_api) -> None:
    await _three_datasets(catalogue_api)

    anonymous = await catalogue_api.call("GET", f"{BASE}/count")
    admin = await catalogue_api.call("GET", f"{BASE}/count", "admin")
    narrowed = await catalogue_api.call(
        "GET",
        f"{BASE}/count",
        "admin",
        params={"filter": '{"where": {"ownerGroup": {"inq": ["group1", "group2"]}}}'},
    )

    assert await anonymous.json() == {"count": 1}
    assert await admin.json() == {"count": 3}
    assert await narrowed.json() == {"count": 2}


async def test_find_one_answers_the_first_match_or_an_empty_body(catalogue_api) -> None:
    pids = await _three_datasets(catalogue_api)

    found = await catalogue_api.call(
        "GET",
        f"{BASE}/findOne",
        "admin",
        params={"filter": json.dumps({"where": {"pid": pids["shared"]}})},
    )
    none = await catalogue_api.call(
        "GET",
        f"{BASE}/findOne",
        "user1",
        params={"filter": json.dumps({"where": {"pid": pids["shared"]}})},
    )

    assert (await found.json())["pid"] == pids["shared"]
    assert none.status == 200
    assert await none.read() == b""


# --- get by pid ---------------------------------------------------------------


async def test_get_by_pid_per_caller(catalogue_api) -> None:
    pids = await _three_datasets(catalogue_api)
    mine = f"{BASE}/{enc(pids['mine'])}"

    owner = await catalogue_api.call("GET", mine, "user1")
    access = await catalogue_api.call("GET", mine, "user5.1")
    stranger = await catalogue_api.call("GET", mine, "user3")
    anonymous = await catalogue_api.call("GET", mine)
    public = await catalogue_api.call("GET", f"{BASE}/{enc(pids['published'])}")

    assert owner.status == access.status == public.status == 200
    assert (await owner.json())["pid"] == pids["mine"]
    for denied in (stranger, anonymous):
        assert denied.status == 403
        assert (await denied.json())["message"] == "Unauthorized access"


async def test_get_missing_pid_is_404(catalogue_api) -> None:
    response = await catalogue_api.call("GET", f"{BASE}/{enc('no/such')}", "admin")

    assert response.status == 404
    assert await response.json() == {
        "statusCode": 404,
        "message": "dataset: no/such not found",
        "error": "Not Found",
    }


async def test_get_by_pid_is_case_insensitive_on_literals_only(catalogue_api) -> None:
    created = await create_v3(catalogue_api, "user1")

    response = await catalogue_api.call(
        "GET", f"/api/v3/Datasets/{enc(created['pid'])}/", "user1"
    )
    upper = await catalogue_api.call(
        "GET", f"/api/v3/datasets/{enc(created['pid'].upper())}", "user1"
    )

    assert response.status == 200
    assert upper.status == 404


async def test_get_by_pid_carries_the_synthetic_history(catalogue_api) -> None:
    created = await create_v3(catalogue_api, "user1")
    path = f"{BASE}/{enc(created['pid'])}"
    await catalogue_api.call(
        "PATCH", f"{path}/datasetlifecycle", "user1", json={"archivable": False}
    )
    await catalogue_api.call("PATCH", path, "user1", json={"description": "new"})

    response = await catalogue_api.call("GET", path, "user1")
    with_fields = await catalogue_api.call(
        "GET", path, "user1", params={"filter": '{"fields": ["pid"]}'}
    )

    history = (await response.json())["history"]
    assert [sorted(entry) for entry in history] == [
        ["_id", "datasetlifecycle", "updatedAt", "updatedBy"],
        ["_id", "description", "updatedAt", "updatedBy"],
    ]
    lifecycle = history[0]["datasetlifecycle"]
    assert lifecycle["previousValue"]["archivable"] is True
    assert lifecycle["currentValue"]["archivable"] is False
    # Complete lifecycle objects on both sides.
    assert lifecycle["previousValue"]["archiveStatusMessage"] == "datasetCreated"
    assert history[1]["description"] == {"previousValue": "None", "currentValue": "new"}
    assert history[0]["updatedBy"] == "user1" and history[0]["_id"] == ""
    assert DATE.match(history[0]["updatedAt"])
    assert "history" not in await with_fields.json()


async def test_list_gives_history_when_fields_ask_for_it(catalogue_api) -> None:
    created = await create_v3(catalogue_api, "user1")
    path = f"{BASE}/{enc(created['pid'])}"
    await catalogue_api.call("PATCH", path, "user1", json={"description": "x"})

    response = await catalogue_api.call(
        "GET", BASE, "user1", params={"filter": '{"fields": ["pid", "history"]}'}
    )

    [item] = await response.json()
    assert set(item) >= {"pid", "history"}
    assert item["history"][0]["description"]["currentValue"] == "x"
    assert "owner" not in item


# --- patch and put ------------------------------------------------------------


async def test_patch_by_owner_and_admin(catalogue_api) -> None:
    created = await create_v3(catalogue_api, "user1")
    path = f"{BASE}/{enc(created['pid'])}"

    by_owner = await catalogue_api.call(
        "PATCH", path, "user1", json={"description": "owner was here"}
    )
    by_admin = await catalogue_api.call(
        "PATCH", path, "admin", json={"keywords": ["a", "b"]}
    )

    assert by_owner.status == by_admin.status == 200
    answer = await by_admin.json()
    assert answer["description"] == "owner was here"
    assert answer["keywords"] == ["a", "b"]
    assert answer["updatedBy"] == "admin" and answer["id"] == created["pid"]
    assert answer["proposalId"] == "10.540/39281"


async def test_patch_denials(catalogue_api) -> None:
    created = await create_v3(catalogue_api, "user1")
    path = f"{BASE}/{enc(created['pid'])}"

    anonymous = await catalogue_api.call("PATCH", path, json={"description": "x"})
    plain = await catalogue_api.call("PATCH", path, "user4", json={"description": "x"})
    other_owner = await catalogue_api.call(
        "PATCH", path, "user3", json={"description": "x"}
    )
    missing = await catalogue_api.call(
        "PATCH", f"{BASE}/{enc('no/such')}", "admin", json={"description": "x"}
    )

    assert anonymous.status == plain.status == 403
    assert (await plain.json())["message"] == "Forbidden resource"
    assert other_owner.status == 403
    assert (await other_owner.json())["message"] == (
        "Unauthorized to update this dataset"
    )
    assert missing.status == 404


async def test_patch_validates_with_the_stored_type(catalogue_api) -> None:
    derived = await create_v3(catalogue_api, "user1", type="derived")
    path = f"{BASE}/{enc(derived['pid'])}"

    raw_only = await catalogue_api.call(
        "PATCH", path, "user1", json={"creationLocation": "/somewhere"}
    )
    wrong = await catalogue_api.call("PATCH", path, "user1", json={"size": "big"})
    fine = await catalogue_api.call(
        "PATCH", path, "user1", json={"investigator": "someone@else"}
    )

    assert raw_only.status == 400
    assert wrong.status == 400
    assert isinstance(json.loads((await wrong.json())["message"]), list)
    assert fine.status == 200
    assert (await fine.json())["principalInvestigator"] == "someone@else"


async def test_patch_if_unmodified_since(catalogue_api) -> None:
    created = await create_v3(catalogue_api, "user1")
    path = f"{BASE}/{enc(created['pid'])}"

    stale = await catalogue_api.call(
        "PATCH",
        path,
        "user1",
        json={"description": "x"},
        headers={"If-Unmodified-Since": "Thu, 01 Jan 2015 00:00:00 GMT"},
    )
    fresh = await catalogue_api.call(
        "PATCH",
        path,
        "user1",
        json={"description": "x"},
        headers={"If-Unmodified-Since": "2999-01-01T00:00:00Z"},
    )
    garbage = await catalogue_api.call(
        "PATCH",
        path,
        "user1",
        json={"description": "y"},
        headers={"If-Unmodified-Since": "not a date"},
    )

    assert stale.status == 412
    assert (await stale.json())["message"] == "Resource has been modified on server"
    assert fresh.status == 200
    assert garbage.status == 200


async def test_put_replaces_keeping_ids_and_creation(catalogue_api) -> None:
    created = await create_v3(catalogue_api, "user1")
    path = f"{BASE}/{enc(created['pid'])}"
    body = raw_v3(description="replaced", keywords=[])

    body.pop("type")  # the update bodies have no type: the stored one stays
    replaced = await catalogue_api.call("PUT", path, "user1", json=body)
    incomplete = await catalogue_api.call(
        "PUT", path, "user1", json={"description": "only"}
    )

    assert replaced.status == 200
    answer = await replaced.json()
    assert answer["pid"] == created["pid"]
    assert answer["createdAt"] == created["createdAt"]
    assert answer["createdBy"] == "user1"
    assert answer["description"] == "replaced" and answer["keywords"] == []
    assert answer["type"] == "raw"
    assert incomplete.status == 400


# --- delete -------------------------------------------------------------------


async def test_delete_only_for_delete_groups(catalogue_api) -> None:
    created = await create_v3(catalogue_api, "user1")
    path = f"{BASE}/{enc(created['pid'])}"

    owner = await catalogue_api.call("DELETE", path, "user1")
    admin = await catalogue_api.call("DELETE", path, "admin")
    archive_manager = await catalogue_api.call("DELETE", path, "archiveManager")
    again = await catalogue_api.call("DELETE", path, "archiveManager")

    assert owner.status == admin.status == 403
    assert archive_manager.status == 200
    removed = await archive_manager.json()
    assert removed["pid"] == created["pid"] and removed["id"] == created["pid"]
    assert again.status == 404
    assert catalogue_api.events.keys()[-1].endswith("dataset.deleted")


# --- lifecycle ----------------------------------------------------------------


async def test_lifecycle_get_per_caller(catalogue_api) -> None:
    created = await create_v3(catalogue_api, "user1")
    path = f"{BASE}/{enc(created['pid'])}/datasetlifecycle"

    owner = await catalogue_api.call("GET", path, "user1")
    anonymous = await catalogue_api.call("GET", path)
    missing = await catalogue_api.call(
        "GET", f"{BASE}/{enc('no/such')}/datasetlifecycle", "admin"
    )

    assert owner.status == 200
    assert (await owner.json())["archiveStatusMessage"] == "datasetCreated"
    assert anonymous.status == 403
    assert missing.status == 404


async def test_lifecycle_patch_merges_and_answers_the_lifecycle(catalogue_api) -> None:
    created = await create_v3(catalogue_api, "user1")
    path = f"{BASE}/{enc(created['pid'])}/datasetlifecycle"

    by_manager = await catalogue_api.call(
        "PATCH", path, "archiveManager", json={"archiveStatusMessage": "started"}
    )
    by_owner = await catalogue_api.call(
        "PATCH", path, "user1", json={"retrievable": True}
    )

    assert by_manager.status == by_owner.status == 200
    lifecycle = await by_owner.json()
    assert lifecycle["archiveStatusMessage"] == "started"
    assert lifecycle["retrievable"] is True
    assert lifecycle["archivable"] is True


async def test_lifecycle_patch_errors(catalogue_api) -> None:
    created = await create_v3(catalogue_api, "user1")
    path = f"{BASE}/{enc(created['pid'])}/datasetlifecycle"

    empty = await catalogue_api.call("PATCH", path, "user1", json={})
    plain = await catalogue_api.call("PATCH", path, "user4", json={"archivable": 1})
    wrong = await catalogue_api.call(
        "PATCH", path, "user1", json={"archivable": "maybe"}
    )
    missing = await catalogue_api.call(
        "PATCH",
        f"{BASE}/{enc('no/such')}/datasetlifecycle",
        "admin",
        json={"archivable": False},
    )
    not_owner = await catalogue_api.call(
        "PATCH", path, "user3", json={"archivable": False}
    )

    assert empty.status == 400
    assert (await empty.json())["message"] == "dataset lifecycle DTO must not be empty"
    assert plain.status == 403
    assert wrong.status == 400
    assert missing.status == 404
    assert (await missing.json())["message"] == "dataset with pid no/such not found"
    assert not_owner.status == 403


# --- appendToArrayField and thumbnail -----------------------------------------


async def test_append_to_array_field_needs_delete_rights(catalogue_api_factory) -> None:
    api = await catalogue_api_factory(DELETE_GROUPS=["group1"])
    created = await create_v3(api, "user1")
    path = f"{BASE}/{enc(created['pid'])}/appendToArrayField"
    params = {"fieldName": "keywords", "data": '["Cryo", "New"]'}

    by_owner = await api.call("POST", path, "user1", params=params)
    by_user3 = await api.call("POST", path, "user3", params=params)

    assert by_owner.status == 201, await by_owner.text()
    assert (await by_owner.json())["keywords"] == ["Cryo", "Calibration", "New"]
    # user3 passes the update gate but holds no delete right (SciCat's quirk).
    assert by_user3.status == 403


async def test_append_to_array_field_rejects_bad_input(catalogue_api_factory) -> None:
    api = await catalogue_api_factory(DELETE_GROUPS=["group1"])
    created = await create_v3(api, "user1")
    path = f"{BASE}/{enc(created['pid'])}/appendToArrayField"

    cases = [
        {"fieldName": "keywords", "data": "not json"},
        {"fieldName": "keywords", "data": '{"a": 1}'},
        {"fieldName": "$where", "data": "[1]"},
        {"fieldName": "owner", "data": '["x"]'},
        {"fieldName": "pid", "data": '["x"]'},
        {"data": '["x"]'},
    ]
    for params in cases:
        response = await api.call("POST", path, "user1", params=params)
        assert response.status == 400, params
    missing = await api.call(
        "POST",
        f"{BASE}/{enc('no/such')}/appendToArrayField",
        "user1",
        params={"fieldName": "keywords", "data": "[1]"},
    )
    assert missing.status == 404


async def test_thumbnail_of_the_first_attachment(catalogue_api) -> None:
    created = await create_v3(catalogue_api, "user1")
    path = f"{BASE}/{enc(created['pid'])}/thumbnail"

    before = await catalogue_api.call("GET", path, "user1")
    await catalogue_api.store.collection("Attachment").insert_one(
        {
            "_id": "att-1",
            "aid": "att-1",
            "thumbnail": "data:image/png;base64,AAAA",
            "relationships": [{"targetId": created["pid"], "targetType": "dataset"}],
            "createdAt": dt.datetime.now(dt.UTC),
        }
    )
    after = await catalogue_api.call("GET", path, "user1")
    anonymous = await catalogue_api.call("GET", path)

    assert await before.json() == {}
    assert await after.json() == {"thumbnail": "data:image/png;base64,AAAA"}
    assert anonymous.status == 403
