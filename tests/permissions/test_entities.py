"""Origdatablock, datablock and attachment rules, row by row (reference §5.3)."""

from __future__ import annotations

import mongomock
import pytest

from common.permissions.datasets import (
    EntityAction as E,
)
from common.permissions.datasets import (
    attachment_allows,
    attachment_endpoint_allows,
    attachment_visibility_filter,
    datablock_allows,
    datablock_endpoint_allows,
    datablock_visibility_filter,
    origdatablock_allows,
    origdatablock_endpoint_allows,
    origdatablock_visibility_filter,
)
from tests.permissions.conftest import CONFIG, USERS, group_config

OWNED_G1 = {"ownerGroup": "group1", "accessGroups": ["group4"], "isPublished": False}
OWNED_G4 = {"ownerGroup": "group4", "accessGroups": [], "isPublished": False}
PUBLISHED = {"ownerGroup": "group9", "accessGroups": [], "isPublished": True}
PRIVATE = {"ownerGroup": "group9", "accessGroups": [], "isPublished": False}


@pytest.mark.parametrize(
    ("user", "action", "allowed"),
    [
        ("anonymous", E.READ_PUBLIC, True),
        ("anonymous", E.READ, False),
        ("anonymous", E.CREATE, False),
        ("anonymous", E.DELETE, False),
        ("user4", E.READ, True),
        ("user4", E.CREATE, False),
        ("user4", E.UPDATE, False),
        ("user4", E.DELETE, False),
        ("user1", E.CREATE, True),
        ("user1", E.UPDATE, True),
        ("user3", E.CREATE, True),
        ("admin", E.CREATE, True),
        ("admin", E.DELETE, False),
        ("archiveManager", E.DELETE, True),
        ("archiveManager", E.CREATE, False),
    ],
)
def test_origdatablock_gate(user, action, allowed):
    assert origdatablock_endpoint_allows(USERS[user], action, CONFIG) is allowed


@pytest.mark.parametrize(
    ("user", "action", "document", "allowed"),
    [
        ("anonymous", E.READ, PUBLISHED, True),
        ("anonymous", E.READ, PRIVATE, False),
        ("user4", E.READ, OWNED_G1, True),
        ("user4", E.READ, PRIVATE, False),
        ("user1", E.CREATE, OWNED_G1, True),
        ("user1", E.CREATE, PRIVATE, False),
        ("user2", E.CREATE, PRIVATE, False),
        ("user3", E.CREATE, PRIVATE, True),
        ("admin", E.CREATE, PRIVATE, True),
        ("user4", E.CREATE, OWNED_G4, False),
        ("user1", E.UPDATE, OWNED_G1, True),
        ("user3", E.UPDATE, PRIVATE, False),
        ("admin", E.UPDATE, PRIVATE, True),
        ("archiveManager", E.DELETE, PRIVATE, True),
        ("user1", E.DELETE, OWNED_G1, False),
        ("admin", E.DELETE, PRIVATE, False),
        ("admin", E.READ, PRIVATE, True),
    ],
)
def test_origdatablock_instance(user, action, document, allowed):
    assert origdatablock_allows(USERS[user], action, document, CONFIG) is allowed


@pytest.mark.parametrize(
    ("user", "action", "allowed"),
    [
        ("anonymous", E.READ, False),
        ("anonymous", E.CREATE, False),
        ("user4", E.CREATE, True),
        ("user4", E.READ, True),
        ("user4", E.UPDATE, True),
        ("user4", E.DELETE, False),
        ("admin", E.DELETE, False),
        ("archiveManager", E.DELETE, True),
    ],
)
def test_datablock_gate(user, action, allowed):
    assert datablock_endpoint_allows(USERS[user], action, CONFIG) is allowed


@pytest.mark.parametrize(
    ("user", "action", "document", "allowed"),
    [
        ("anonymous", E.READ, PUBLISHED, False),
        ("user4", E.CREATE, OWNED_G4, False),
        ("user1", E.CREATE, PRIVATE, True),
        ("user2", E.CREATE, PRIVATE, True),
        ("user3", E.CREATE, PRIVATE, True),
        ("admin", E.CREATE, PRIVATE, True),
        ("datasetIngestor", E.CREATE, PRIVATE, False),
        ("user5.1", E.READ, PUBLISHED, True),
        ("user5.1", E.READ, PRIVATE, False),
        ("user4", E.READ, OWNED_G1, True),
        ("archiveManager", E.READ, PRIVATE, True),
        ("admin", E.READ, PRIVATE, True),
        # update: an access group suffices, ownership alone does not (Q)
        ("user4", E.UPDATE, OWNED_G1, True),
        ("user4", E.UPDATE, OWNED_G4, False),
        ("user1", E.UPDATE, PRIVATE, True),
        ("archiveManager", E.UPDATE, PRIVATE, True),
        ("archiveManager", E.DELETE, PRIVATE, True),
        ("admin", E.DELETE, PRIVATE, False),
        ("user1", E.DELETE, OWNED_G1, False),
    ],
)
def test_datablock_instance(user, action, document, allowed):
    assert datablock_allows(USERS[user], action, document, CONFIG) is allowed


def test_datablock_create_ignores_hash_all():
    config = group_config(CREATE_DATASET_GROUPS="#all")
    assert not datablock_allows(USERS["user4"], E.CREATE, OWNED_G4, config)


@pytest.mark.parametrize(
    ("user", "action", "allowed"),
    [
        ("anonymous", E.READ, True),
        ("anonymous", E.CREATE, False),
        ("user1", E.READ, True),
        ("user1", E.CREATE, False),
        ("user1", E.UPDATE, False),
        ("user1", E.DELETE, False),
        ("admin", E.CREATE, True),
        ("admin", E.UPDATE, True),
        ("admin", E.DELETE, True),
        ("archiveManager", E.DELETE, True),
        ("archiveManager", E.UPDATE, False),
    ],
)
def test_attachment_gate(user, action, allowed):
    assert attachment_endpoint_allows(USERS[user], action, CONFIG) is allowed


@pytest.mark.parametrize(
    ("user", "action", "document", "allowed"),
    [
        ("anonymous", E.READ, PUBLISHED, True),
        ("anonymous", E.READ, PRIVATE, False),
        ("anonymous", E.CREATE, PUBLISHED, False),
        # ATTACHMENT_GROUPS defaults to #all: own attachments for everyone
        ("user1", E.CREATE, OWNED_G1, True),
        ("user1", E.CREATE, PRIVATE, False),
        ("user4", E.READ, OWNED_G1, True),
        ("user5.1", E.READ, OWNED_G1, False),
        ("user5.1", E.READ, PUBLISHED, True),
        ("user1", E.UPDATE, OWNED_G1, True),
        ("user4", E.UPDATE, OWNED_G1, False),
        ("user4", E.DELETE, OWNED_G4, True),
        ("user4", E.DELETE, OWNED_G1, False),
        ("admin", E.UPDATE, PRIVATE, True),
        ("admin", E.DELETE, PRIVATE, True),
        ("archiveManager", E.DELETE, PRIVATE, True),
        ("archiveManager", E.UPDATE, PRIVATE, False),
    ],
)
def test_attachment_instance(user, action, document, allowed):
    assert attachment_allows(USERS[user], action, document, CONFIG) is allowed


PRIVILEGED_ATTACHMENTS = group_config(
    ATTACHMENT_GROUPS="group1", ATTACHMENT_PRIVILEGED_GROUPS="group3"
)


@pytest.mark.parametrize(
    ("user", "action", "document", "allowed"),
    [
        ("user3", E.CREATE, PRIVATE, True),
        ("user3", E.READ, {**PRIVATE, "ownerGroup": "group3"}, True),
        ("user3", E.READ, PUBLISHED, True),
        ("user3", E.READ, PRIVATE, False),
        ("user3", E.UPDATE, PRIVATE, False),
        ("user3", E.DELETE, {**PRIVATE, "ownerGroup": "group3"}, True),
        ("user1", E.CREATE, OWNED_G1, True),
        ("user4", E.CREATE, OWNED_G4, False),  # outside ATTACHMENT_GROUPS
        ("user4", E.READ, OWNED_G1, True),
        ("user4", E.READ, PUBLISHED, True),
        ("user4", E.UPDATE, OWNED_G4, False),
    ],
)
def test_attachment_instance_with_group_lists(user, action, document, allowed):
    assert (
        attachment_allows(USERS[user], action, document, PRIVILEGED_ATTACHMENTS)
        is allowed
    )


def visible(filter_, docs):
    collection = mongomock.MongoClient().db.c
    collection.insert_many([{**doc, "_id": name} for name, doc in docs.items()])
    return {doc["_id"] for doc in collection.find(filter_ or {})}


DOCS = {
    "g1": {**OWNED_G1, "sharedWith": ["user5.1@scicat.test"]},
    "pub": PUBLISHED,
    "priv": PRIVATE,
}


def test_origdatablock_lists():
    assert visible(
        origdatablock_visibility_filter(USERS["anonymous"], CONFIG), DOCS
    ) == {"pub"}
    assert visible(origdatablock_visibility_filter(USERS["user5.1"], CONFIG), DOCS) == {
        "g1",
        "pub",
    }
    assert origdatablock_visibility_filter(USERS["admin"], CONFIG) is None
    # no read-any for lifecycle or delete groups on the origdatablocks routes
    assert visible(
        origdatablock_visibility_filter(USERS["archiveManager"], CONFIG), DOCS
    ) == {"pub"}


def test_datablock_lists_ignore_shared_with():
    assert visible(datablock_visibility_filter(USERS["user5.1"], CONFIG), DOCS) == {
        "pub"
    }
    assert visible(datablock_visibility_filter(USERS["user4"], CONFIG), DOCS) == {
        "g1",
        "pub",
    }
    assert datablock_visibility_filter(USERS["archiveManager"], CONFIG) is None
    assert datablock_visibility_filter(USERS["admin"], CONFIG) is None


def test_attachment_lists():
    assert visible(attachment_visibility_filter(USERS["anonymous"], CONFIG), DOCS) == {
        "pub"
    }
    assert visible(attachment_visibility_filter(USERS["user5.1"], CONFIG), DOCS) == {
        "g1",
        "pub",
    }
    assert attachment_visibility_filter(USERS["admin"], CONFIG) is None
    assert visible(
        attachment_visibility_filter(USERS["archiveManager"], CONFIG), DOCS
    ) == {"pub"}
