from __future__ import annotations

import pytest

from common.errors import ForbiddenError, UnauthenticatedError
from common.identity.principal import ANONYMOUS
from common.permissions.datasets import DatasetAction, dataset_endpoint_allows
from common.permissions.gates import require_gate
from common.permissions.groups import (
    DatasetTier,
    GroupConfig,
    dataset_tier,
    in_lifecycle_groups,
    substring_member,
)
from common.settings import Settings
from tests.permissions.conftest import CONFIG, USERS, account, group_config


@pytest.mark.parametrize(
    ("user", "tier"),
    [
        ("anonymous", DatasetTier.ANONYMOUS),
        ("admin", DatasetTier.ADMIN),
        ("adminIngestor", DatasetTier.ADMIN),
        ("user3", DatasetTier.PRIVILEGED),
        ("user2", DatasetTier.WITH_PID),
        ("user1", DatasetTier.CREATE),
        ("user4", DatasetTier.PLAIN),
        ("archiveManager", DatasetTier.PLAIN),
        # CREATE_DATASET_PRIVILEGED_GROUPS names "datasetIngestor"; the role is
        # lower-case, so SciCat's own ingestor account is only a plain user.
        ("datasetIngestor", DatasetTier.PLAIN),
    ],
)
def test_tier_of_each_test_account(user, tier):
    assert dataset_tier(USERS[user], CONFIG) is tier


def test_first_matching_tier_wins():
    both = account("both", "group1", "group3", "admin")
    assert dataset_tier(both, CONFIG) is DatasetTier.ADMIN
    assert dataset_tier(account("x", "group1", "group2"), CONFIG) is (
        DatasetTier.WITH_PID
    )


def test_hash_all_puts_every_authenticated_user_in_the_tier():
    config = group_config(CREATE_DATASET_WITH_PID_GROUPS="#all")
    assert dataset_tier(USERS["user4"], config) is DatasetTier.WITH_PID
    assert dataset_tier(ANONYMOUS, config) is DatasetTier.ANONYMOUS


def test_scicat_defaults_make_everyone_a_creator_and_nobody_admin():
    config = GroupConfig.from_settings(Settings(_env_file=None))  # type: ignore[call-arg]
    assert dataset_tier(USERS["admin"], config) is DatasetTier.CREATE
    assert not dataset_endpoint_allows(USERS["admin"], DatasetAction.DELETE, config)


def test_lifecycle_groups_match_by_substring_as_scicat_does():
    assert in_lifecycle_groups(USERS["archiveManager"], CONFIG)
    assert in_lifecycle_groups(account("x", "archive"), CONFIG)
    assert not in_lifecycle_groups(account("x", "archivemanagers"), CONFIG)
    assert not in_lifecycle_groups(USERS["user1"], CONFIG)


def test_blank_group_never_matches_a_substring_setting():
    assert not substring_member(account("x", ""), "archivemanager")
    assert not substring_member(ANONYMOUS, "archivemanager")


def test_job_group_strings_match_by_substring():
    assert substring_member(USERS["user1"], CONFIG.create_job_privileged)
    assert substring_member(USERS["user3"], CONFIG.update_job_privileged)
    assert substring_member(USERS["admin"], CONFIG.delete_job)
    assert not substring_member(USERS["user4"], CONFIG.delete_job)


def test_ordinary_gate_answers_403_even_to_anonymous():
    with pytest.raises(ForbiddenError, match="Forbidden resource"):
        require_gate(ANONYMOUS, False)


def test_authenticated_gate_answers_401_to_anonymous_first():
    with pytest.raises(UnauthenticatedError, match="Unauthenticated"):
        require_gate(ANONYMOUS, True, authenticated=True)
    with pytest.raises(ForbiddenError):
        require_gate(USERS["user1"], False, authenticated=True)
    require_gate(USERS["user1"], True, authenticated=True)
