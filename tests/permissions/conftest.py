"""SciCat's test configuration (reference §5.1) and its accounts' groups."""

from __future__ import annotations

from common.identity.principal import ANONYMOUS, Identity
from common.permissions.groups import GroupConfig
from common.settings import Settings

TEST_GROUP_SETTINGS = {
    "ADMIN_GROUPS": "admin,adminingestor",
    "CREATE_DATASET_GROUPS": "group1,group2,group3",
    "CREATE_DATASET_PRIVILEGED_GROUPS": "datasetIngestor,group3",
    "CREATE_DATASET_WITH_PID_GROUPS": "group2",
    "UPDATE_DATASET_LIFECYCLE_GROUPS": "archivemanager",
    "DELETE_GROUPS": "archivemanager",
    "CREATE_JOB_PRIVILEGED_GROUPS": "group1,group2",
    "UPDATE_JOB_PRIVILEGED_GROUPS": "group3",
    "DELETE_JOB_GROUPS": "archivemanager,admin",
}


def group_config(**overrides: str) -> GroupConfig:
    values = {**TEST_GROUP_SETTINGS, **overrides}
    return GroupConfig.from_settings(Settings(_env_file=None, **values))  # type: ignore[call-arg]


CONFIG = group_config()


def account(username: str, *groups: str) -> Identity:
    return Identity(
        username=username,
        user_id=f"id-{username}",
        email=f"{username.lower()}@scicat.test",
        groups=groups,
        auth_strategy="local",
    )


# The groups SciCat computes for its functional test accounts (reference §5.5).
USERS = {
    "anonymous": ANONYMOUS,
    "admin": account("admin", "admin", "globalaccess"),
    "adminIngestor": account("adminIngestor", "adminingestor"),
    "archiveManager": account("archiveManager", "archivemanager"),
    "datasetIngestor": account("datasetIngestor", "datasetingestor"),
    "user1": account("user1", "group1"),
    "user2": account("user2", "group2"),
    "user3": account("user3", "group3"),
    "user4": account("user4", "group4"),
    "user5.1": account("user5.1", "group5"),
}
