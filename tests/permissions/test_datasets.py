"""The dataset decision table, row by row (reference §5.2, test configuration §5.1)."""

from __future__ import annotations

import mongomock
import pytest

from common.permissions.datasets import (
    DatasetAction as A,
)
from common.permissions.datasets import (
    dataset_allows,
    dataset_endpoint_allows,
    dataset_visibility_filter,
)
from tests.permissions.conftest import CONFIG, USERS

# group1's dataset, readable by group4, shared with user5.1 by e-mail.
OWNED_G1 = {
    "pid": "scicat_testing/g1",
    "ownerGroup": "group1",
    "accessGroups": ["group4"],
    "sharedWith": ["user5.1@scicat.test"],
    "isPublished": False,
}
OWNED_G3 = {**OWNED_G1, "pid": "scicat_testing/g3", "ownerGroup": "group3"}
PUBLISHED = {
    "pid": "p/pub",
    "ownerGroup": "group9",
    "accessGroups": [],
    "isPublished": True,
}
PRIVATE = {
    "pid": "p/priv",
    "ownerGroup": "group9",
    "accessGroups": [],
    "isPublished": False,
}


def new(owner: str, pid: str | None = None) -> dict[str, object]:
    return {"pid": pid, "ownerGroup": owner, "accessGroups": [], "isPublished": False}


ENDPOINT_ROWS = [
    # anonymous: only the public read gates and sub-resource reads
    ("anonymous", A.READ_PUBLIC, True),
    ("anonymous", A.READ, False),
    ("anonymous", A.CREATE, False),
    ("anonymous", A.UPDATE, False),
    ("anonymous", A.LIFECYCLE_UPDATE, False),
    ("anonymous", A.DELETE, False),
    ("anonymous", A.ATTACHMENT_READ, True),
    ("anonymous", A.ATTACHMENT_CREATE, False),
    ("anonymous", A.ORIGDATABLOCK_READ, True),
    ("anonymous", A.ORIGDATABLOCK_CREATE, False),
    ("anonymous", A.DATABLOCK_READ, True),
    ("anonymous", A.LOGBOOK_READ, False),
    # admin: everything but delete, which needs a delete group
    ("admin", A.CREATE, True),
    ("admin", A.UPDATE, True),
    ("admin", A.LIFECYCLE_UPDATE, True),
    ("admin", A.ATTACHMENT_DELETE, True),
    ("admin", A.DELETE, False),
    ("admin", A.ORIGDATABLOCK_DELETE, False),
    ("admin", A.READ_PUBLIC, False),
    # the creating tiers pass every non-delete gate
    ("user3", A.CREATE, True),
    ("user2", A.CREATE, True),
    ("user1", A.CREATE, True),
    ("user1", A.UPDATE, True),
    ("user1", A.ORIGDATABLOCK_CREATE, True),
    ("user1", A.DATABLOCK_UPDATE, True),
    ("user1", A.DELETE, False),
    # plain authenticated: reads, logbook; lifecycle only with a lifecycle group
    ("user4", A.CREATE, False),
    ("user4", A.READ, True),
    ("user4", A.UPDATE, False),
    ("user4", A.LIFECYCLE_UPDATE, False),
    ("user4", A.ATTACHMENT_READ, True),
    ("user4", A.ATTACHMENT_CREATE, False),
    ("user4", A.ORIGDATABLOCK_UPDATE, False),
    ("user4", A.LOGBOOK_READ, True),
    ("datasetIngestor", A.CREATE, False),
    # delete groups
    ("archiveManager", A.DELETE, True),
    ("archiveManager", A.ORIGDATABLOCK_DELETE, True),
    ("archiveManager", A.DATABLOCK_DELETE, True),
    ("archiveManager", A.LIFECYCLE_UPDATE, True),
    ("archiveManager", A.CREATE, False),
    ("archiveManager", A.UPDATE, False),
]


@pytest.mark.parametrize(("user", "action", "allowed"), ENDPOINT_ROWS)
def test_endpoint_gate(user, action, allowed):
    assert dataset_endpoint_allows(USERS[user], action, CONFIG) is allowed


INSTANCE_ROWS = [
    # create: create-dataset tier, own ownerGroup and no pid
    ("user1", A.CREATE, new("group1"), True),
    ("user1", A.CREATE, new("group1", "scicat_testing/x"), False),
    ("user1", A.CREATE, new("group2"), False),
    # create: with-pid tier, own ownerGroup, pid optional
    ("user2", A.CREATE, new("group2", "scicat_testing/x"), True),
    ("user2", A.CREATE, new("group2"), True),
    ("user2", A.CREATE, new("group1", "scicat_testing/x"), False),
    # create: privileged and admin, any ownerGroup, any pid
    ("user3", A.CREATE, new("group9", "scicat_testing/x"), True),
    ("admin", A.CREATE, new("group9", "scicat_testing/x"), True),
    ("user4", A.CREATE, new("group4"), False),
    ("anonymous", A.CREATE, new("group4"), False),
    # read one: published, owner, access group; sharedWith does not count
    ("anonymous", A.READ, PUBLISHED, True),
    ("anonymous", A.READ, PRIVATE, False),
    ("user1", A.READ, OWNED_G1, True),
    ("user4", A.READ, OWNED_G1, True),
    ("user5.1", A.READ, OWNED_G1, False),
    ("user5.1", A.READ, PUBLISHED, True),
    ("user5.1", A.READ, PRIVATE, False),
    ("user3", A.READ, PRIVATE, False),
    ("admin", A.READ, PRIVATE, True),
    ("archiveManager", A.READ, PRIVATE, True),  # lifecycle group reads any
    # update: owner group (creating tiers) or admin
    ("user1", A.UPDATE, OWNED_G1, True),
    ("user4", A.UPDATE, OWNED_G1, False),
    ("user3", A.UPDATE, PRIVATE, False),
    ("user3", A.UPDATE, OWNED_G3, True),
    ("admin", A.UPDATE, PRIVATE, True),
    ("archiveManager", A.UPDATE, PRIVATE, False),
    ("anonymous", A.UPDATE, PUBLISHED, False),
    # lifecycle: through update, or any dataset for a lifecycle group
    ("archiveManager", A.LIFECYCLE_UPDATE, PRIVATE, True),
    ("user1", A.LIFECYCLE_UPDATE, OWNED_G1, True),
    ("user4", A.LIFECYCLE_UPDATE, OWNED_G1, False),
    ("admin", A.LIFECYCLE_UPDATE, PRIVATE, True),
    # delete: delete groups only, admins included
    ("archiveManager", A.DELETE, PRIVATE, True),
    ("admin", A.DELETE, PRIVATE, False),
    ("user1", A.DELETE, OWNED_G1, False),
    ("anonymous", A.DELETE, PUBLISHED, False),
    # sub-resources
    ("anonymous", A.ORIGDATABLOCK_READ, PUBLISHED, True),
    ("anonymous", A.ORIGDATABLOCK_READ, PRIVATE, False),
    ("anonymous", A.ATTACHMENT_READ, PUBLISHED, True),
    ("anonymous", A.DATABLOCK_READ, PRIVATE, False),
    ("user4", A.DATABLOCK_READ, OWNED_G1, True),
    ("user4", A.ATTACHMENT_READ, OWNED_G1, True),
    ("user5.1", A.ORIGDATABLOCK_READ, OWNED_G1, False),
    # class-level create rule: create/with-pid tiers add file lists anywhere (Q)
    ("user1", A.ORIGDATABLOCK_CREATE, PRIVATE, True),
    ("user2", A.DATABLOCK_CREATE, PRIVATE, True),
    ("user4", A.ORIGDATABLOCK_CREATE, OWNED_G1, False),
    ("user1", A.ORIGDATABLOCK_UPDATE, OWNED_G1, True),
    ("user1", A.ORIGDATABLOCK_UPDATE, PRIVATE, False),
    ("admin", A.DATABLOCK_UPDATE, PRIVATE, True),
    # attachments through the dataset: owner for create/with-pid, any for privileged
    ("user1", A.ATTACHMENT_CREATE, OWNED_G1, True),
    ("user1", A.ATTACHMENT_CREATE, PRIVATE, False),
    ("user3", A.ATTACHMENT_CREATE, PRIVATE, True),
    ("user3", A.ATTACHMENT_DELETE, OWNED_G3, True),
    ("user3", A.ATTACHMENT_DELETE, PRIVATE, False),
    ("admin", A.ATTACHMENT_DELETE, PRIVATE, True),
    ("user4", A.ATTACHMENT_UPDATE, OWNED_G1, False),
    # sub-resource deletes: delete groups only
    ("archiveManager", A.ORIGDATABLOCK_DELETE, PRIVATE, True),
    ("archiveManager", A.DATABLOCK_DELETE, PRIVATE, True),
    ("user1", A.ORIGDATABLOCK_DELETE, OWNED_G1, False),
    ("admin", A.DATABLOCK_DELETE, PRIVATE, False),
    # logbook: owner, or admin
    ("user1", A.LOGBOOK_READ, OWNED_G1, True),
    ("user4", A.LOGBOOK_READ, OWNED_G1, False),
    ("admin", A.LOGBOOK_READ, PRIVATE, True),
]


@pytest.mark.parametrize(("user", "action", "document", "allowed"), INSTANCE_ROWS)
def test_instance_decision(user, action, document, allowed):
    assert dataset_allows(USERS[user], action, document, CONFIG) is allowed


def visible_pids(user: str) -> set[str]:
    """Run the user's visibility filter over a collection, as a list route would."""
    collection = mongomock.MongoClient().db.Dataset
    collection.insert_many(
        [
            {**OWNED_G1, "_id": OWNED_G1["pid"]},
            {**OWNED_G3, "_id": OWNED_G3["pid"], "sharedWith": []},
            {**PUBLISHED, "_id": PUBLISHED["pid"]},
            {**PRIVATE, "_id": PRIVATE["pid"]},
            {"_id": "p/bare", "pid": "p/bare", "ownerGroup": "group9"},
        ]
    )
    query = dataset_visibility_filter(USERS[user], CONFIG) or {}
    return {doc["pid"] for doc in collection.find(query)}


@pytest.mark.parametrize(
    ("user", "pids"),
    [
        ("anonymous", {"p/pub"}),
        ("user1", {"scicat_testing/g1", "p/pub"}),
        ("user3", {"scicat_testing/g3", "p/pub"}),
        # access group and sharedWith both grant list visibility
        ("user4", {"scicat_testing/g1", "scicat_testing/g3", "p/pub"}),
        ("user5.1", {"scicat_testing/g1", "p/pub"}),
        ("user2", {"p/pub"}),
        (
            "admin",
            {"scicat_testing/g1", "scicat_testing/g3", "p/pub", "p/priv", "p/bare"},
        ),
        (
            "archiveManager",
            {"scicat_testing/g1", "scicat_testing/g3", "p/pub", "p/priv", "p/bare"},
        ),
    ],
)
def test_list_visibility(user, pids):
    assert visible_pids(user) == pids


def test_visibility_filter_shapes():
    assert dataset_visibility_filter(USERS["anonymous"], CONFIG) == {
        "isPublished": True
    }
    assert dataset_visibility_filter(USERS["admin"], CONFIG) is None
    assert dataset_visibility_filter(USERS["user1"], CONFIG) == {
        "$or": [
            {"ownerGroup": {"$in": ["group1"]}},
            {"accessGroups": {"$in": ["group1"]}},
            {"sharedWith": {"$in": ["user1@scicat.test"]}},
            {"isPublished": True},
        ]
    }


def test_caller_without_email_gets_no_shared_with_clause():
    from common.identity.principal import Identity

    caller = Identity(username="svc", user_id="u", groups=("group1",))
    clauses = dataset_visibility_filter(caller, CONFIG)["$or"]  # type: ignore[index]
    assert all("sharedWith" not in clause for clause in clauses)
