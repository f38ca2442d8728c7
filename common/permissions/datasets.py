"""Who may do what with datasets, origdatablocks, datablocks and attachments.

Pure functions over an :class:`Identity`, the settings' :class:`GroupConfig` and
a document, reproducing SciCat's CASL rules (reference §5.2-5.4):

* ``*_endpoint_allows``: the route gate (SciCat's ``PoliciesGuard``); a CASL
  rule with a condition counts as granted at this level (§5.4).
* ``*_allows``: the decision on one document, combining the "any", "owner",
  "access" and "public" rules the original's controllers combine.
* ``*_visibility_filter``: the Mongo filter a list query is narrowed by, or
  ``None`` when the caller may read every document.

Nothing else in the code base decides these questions.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from common.identity.principal import Identity
from common.permissions.groups import (
    CREATING_TIERS,
    DatasetTier,
    GroupConfig,
    Scope,
    access_filter,
    any_scope_covers,
    dataset_tier,
    in_delete_groups,
    in_lifecycle_groups,
    is_admin,
    member_of,
    member_or_all,
)

Document = Mapping[str, Any]
Scopes = frozenset[Scope]

NONE: Scopes = frozenset()
ANY: Scopes = frozenset({Scope.ANY})
OWNER: Scopes = frozenset({Scope.OWNER})
ACCESS: Scopes = frozenset({Scope.MEMBER, Scope.PUBLISHED})
PUBLISHED: Scopes = frozenset({Scope.PUBLISHED})


class DatasetAction(enum.StrEnum):
    """Actions on a dataset and on the sub-resources reached through it."""

    CREATE = "create"
    READ = "read"
    # The anonymous "public" gates (DatasetReadManyPublic / ReadOnePublic).
    READ_PUBLIC = "read_public"
    UPDATE = "update"
    LIFECYCLE_UPDATE = "lifecycle_update"
    DELETE = "delete"
    ATTACHMENT_CREATE = "attachment_create"
    ATTACHMENT_READ = "attachment_read"
    ATTACHMENT_UPDATE = "attachment_update"
    ATTACHMENT_DELETE = "attachment_delete"
    ORIGDATABLOCK_CREATE = "origdatablock_create"
    ORIGDATABLOCK_READ = "origdatablock_read"
    ORIGDATABLOCK_UPDATE = "origdatablock_update"
    ORIGDATABLOCK_DELETE = "origdatablock_delete"
    DATABLOCK_CREATE = "datablock_create"
    DATABLOCK_READ = "datablock_read"
    DATABLOCK_UPDATE = "datablock_update"
    DATABLOCK_DELETE = "datablock_delete"
    LOGBOOK_READ = "logbook_read"


class EntityAction(enum.StrEnum):
    """Actions on a stand-alone origdatablock, datablock or attachment."""

    CREATE = "create"
    READ = "read"
    READ_PUBLIC = "read_public"
    UPDATE = "update"
    DELETE = "delete"


D = DatasetAction

_DELETE_ACTIONS = frozenset({D.DELETE, D.ORIGDATABLOCK_DELETE, D.DATABLOCK_DELETE})
_ANONYMOUS_GATES = frozenset(
    {D.READ_PUBLIC, D.ATTACHMENT_READ, D.ORIGDATABLOCK_READ, D.DATABLOCK_READ}
)
_PLAIN_GATES = frozenset(
    {
        D.READ,
        D.ATTACHMENT_READ,
        D.ORIGDATABLOCK_READ,
        D.DATABLOCK_READ,
        D.LOGBOOK_READ,
    }
)
# Every creating tier passes every gate except the delete ones.
_TIER_GATES = frozenset(D) - _DELETE_ACTIONS - {D.READ_PUBLIC}


def dataset_endpoint_allows(
    identity: Identity, action: DatasetAction, config: GroupConfig
) -> bool:
    """The route gate for ``action`` on the datasets endpoint (reference §5.2)."""
    tier = dataset_tier(identity, config)
    if tier is DatasetTier.ANONYMOUS:
        return action in _ANONYMOUS_GATES
    if action in _DELETE_ACTIONS:
        return in_delete_groups(identity, config)
    if tier in CREATING_TIERS:
        return action in _TIER_GATES
    if action is D.LIFECYCLE_UPDATE:
        return in_lifecycle_groups(identity, config)
    return action in _PLAIN_GATES


# The scopes each tier's rules grant per action. The origdatablock and datablock
# create rules of the with-pid and create tiers carry an owner condition, but
# the original tests them at class level, so they cover any dataset (§5.4, Q).
_SUB_READ_ACCESS: dict[DatasetAction, Scopes] = {
    D.READ: ACCESS,
    D.ATTACHMENT_READ: ACCESS,
    D.ORIGDATABLOCK_READ: ACCESS,
    D.DATABLOCK_READ: ACCESS,
    D.LOGBOOK_READ: OWNER,
}
_OWNER_WRITES: dict[DatasetAction, Scopes] = {
    D.UPDATE: OWNER,
    D.ATTACHMENT_UPDATE: OWNER,
    D.ATTACHMENT_DELETE: OWNER,
    D.ORIGDATABLOCK_UPDATE: OWNER,
    D.DATABLOCK_UPDATE: OWNER,
}
_DATASET_RULES: dict[DatasetTier, dict[DatasetAction, Scopes]] = {
    DatasetTier.ANONYMOUS: {
        D.READ: PUBLISHED,
        D.ATTACHMENT_READ: PUBLISHED,
        D.ORIGDATABLOCK_READ: PUBLISHED,
        D.DATABLOCK_READ: PUBLISHED,
    },
    DatasetTier.ADMIN: {action: ANY for action in _TIER_GATES - {D.LIFECYCLE_UPDATE}},
    DatasetTier.PRIVILEGED: {
        D.CREATE: ANY,
        **_SUB_READ_ACCESS,
        **_OWNER_WRITES,
        D.ATTACHMENT_CREATE: ANY,
        D.ORIGDATABLOCK_CREATE: ANY,
        D.DATABLOCK_CREATE: ANY,
    },
    DatasetTier.WITH_PID: {
        D.CREATE: OWNER,
        **_SUB_READ_ACCESS,
        **_OWNER_WRITES,
        D.ATTACHMENT_CREATE: OWNER,
        D.ORIGDATABLOCK_CREATE: ANY,
        D.DATABLOCK_CREATE: ANY,
    },
    DatasetTier.CREATE: {
        D.CREATE: frozenset({Scope.OWNER_NO_PID}),
        **_SUB_READ_ACCESS,
        **_OWNER_WRITES,
        D.ATTACHMENT_CREATE: OWNER,
        D.ORIGDATABLOCK_CREATE: ANY,
        D.DATABLOCK_CREATE: ANY,
    },
    DatasetTier.PLAIN: dict(_SUB_READ_ACCESS),
}


def dataset_scopes(
    identity: Identity, action: DatasetAction, config: GroupConfig
) -> Scopes:
    """Every scope under which ``action`` is granted on a dataset instance."""
    rules = _DATASET_RULES[dataset_tier(identity, config)]
    if action is D.READ_PUBLIC:
        action = D.READ
    scopes = set(rules.get(action, NONE))

    if action is D.LIFECYCLE_UPDATE:
        # The controllers accept UpdateAny, UpdateOwner or LifecycleUpdateAny.
        scopes |= rules.get(D.UPDATE, NONE)
        if in_lifecycle_groups(identity, config):
            scopes.add(Scope.ANY)
    if action is D.READ and in_lifecycle_groups(identity, config):
        scopes.add(Scope.ANY)
    if action in _DELETE_ACTIONS and in_delete_groups(identity, config):
        scopes.add(Scope.ANY)
    return frozenset(scopes)


def dataset_allows(
    identity: Identity,
    action: DatasetAction,
    dataset: Document,
    config: GroupConfig,
) -> bool:
    """The instance decision for ``action`` on ``dataset`` (or a dataset to create).

    The document needs ``ownerGroup``, ``accessGroups``, ``isPublished`` and, for
    creation, ``pid``. ``sharedWith`` grants list visibility only, never this.
    """
    return any_scope_covers(dataset_scopes(identity, action, config), identity, dataset)


def can_read_any_dataset(identity: Identity, config: GroupConfig) -> bool:
    """Admins and lifecycle-group members read every dataset, unfiltered."""
    return Scope.ANY in dataset_scopes(identity, D.READ, config)


def dataset_visibility_filter(
    identity: Identity, config: GroupConfig
) -> dict[str, Any] | None:
    """The filter narrowing a dataset list to what the caller may see."""
    if can_read_any_dataset(identity, config):
        return None
    return access_filter(identity)


# --- origdatablocks (the /origdatablocks routes) ---------------------------

E = EntityAction


def origdatablock_endpoint_allows(
    identity: Identity, action: EntityAction, config: GroupConfig
) -> bool:
    """The route gate on the origdatablocks endpoint (reference §5.3)."""
    tier = dataset_tier(identity, config)
    if tier is DatasetTier.ANONYMOUS:
        return action is E.READ_PUBLIC
    if action is E.DELETE:
        return in_delete_groups(identity, config)
    if action is E.READ_PUBLIC:
        return False
    return tier in CREATING_TIERS or action is E.READ


_ORIGDATABLOCK_RULES: dict[DatasetTier, dict[EntityAction, Scopes]] = {
    DatasetTier.ANONYMOUS: {E.READ: PUBLISHED},
    DatasetTier.ADMIN: {E.CREATE: ANY, E.READ: ANY, E.UPDATE: ANY},
    DatasetTier.PRIVILEGED: {E.CREATE: ANY, E.READ: ACCESS, E.UPDATE: OWNER},
    DatasetTier.WITH_PID: {E.CREATE: OWNER, E.READ: ACCESS, E.UPDATE: OWNER},
    DatasetTier.CREATE: {E.CREATE: OWNER, E.READ: ACCESS, E.UPDATE: OWNER},
    DatasetTier.PLAIN: {E.READ: ACCESS},
}


def origdatablock_allows(
    identity: Identity,
    action: EntityAction,
    origdatablock: Document,
    config: GroupConfig,
) -> bool:
    """The instance decision on an origdatablock (its ownership fields)."""
    if action is E.READ_PUBLIC:
        action = E.READ
    scopes = set(_ORIGDATABLOCK_RULES[dataset_tier(identity, config)].get(action, NONE))
    if action is E.DELETE and in_delete_groups(identity, config):
        scopes.add(Scope.ANY)
    return any_scope_covers(scopes, identity, origdatablock)


def origdatablock_visibility_filter(
    identity: Identity, config: GroupConfig
) -> dict[str, Any] | None:
    """Only admins list every origdatablock; others get the access filter."""
    if is_admin(identity, config):
        return None
    return access_filter(identity)


# --- datablocks (the /datablocks routes) ------------------------------------


def datablock_endpoint_allows(
    identity: Identity, action: EntityAction, config: GroupConfig
) -> bool:
    """Any authenticated caller passes the gates; delete needs a delete group."""
    if identity.is_anonymous or action is E.READ_PUBLIC:
        return False
    if action is E.DELETE:
        return in_delete_groups(identity, config)
    return True


def _datablock_creator(identity: Identity, config: GroupConfig) -> bool:
    # Plain list membership here: the original ignores ``#all`` for datablocks.
    return (
        member_of(identity, config.create_dataset)
        or member_of(identity, config.create_dataset_privileged)
        or member_of(identity, config.create_dataset_with_pid)
        or is_admin(identity, config)
    )


def datablock_scopes(
    identity: Identity, action: EntityAction, config: GroupConfig
) -> Scopes:
    """The scopes of the datablock rules (reference §5.3, instance column)."""
    if identity.is_anonymous:
        return NONE
    admin = is_admin(identity, config)
    deleter = in_delete_groups(identity, config)
    if action is E.CREATE:
        return ANY if _datablock_creator(identity, config) else NONE
    if action in (E.READ, E.READ_PUBLIC):
        return ANY if admin or deleter else frozenset({Scope.MEMBER, Scope.PUBLISHED})
    if action is E.UPDATE:
        if deleter or _datablock_creator(identity, config):
            return ANY
        # The original's update rule tests accessGroups only, not ownerGroup (Q).
        return frozenset({Scope.ACCESS_GROUPS})
    return ANY if deleter else NONE


def datablock_allows(
    identity: Identity,
    action: EntityAction,
    datablock: Document,
    config: GroupConfig,
) -> bool:
    """The instance decision on a datablock."""
    return any_scope_covers(
        datablock_scopes(identity, action, config), identity, datablock
    )


def datablock_visibility_filter(
    identity: Identity, config: GroupConfig
) -> dict[str, Any] | None:
    """Admins and delete-group members list all; others without ``sharedWith``."""
    if Scope.ANY in datablock_scopes(identity, E.READ, config):
        return None
    return access_filter(identity, shared_with=False)


# --- attachments (the v4 /attachments routes) -------------------------------


def attachment_endpoint_allows(
    identity: Identity, action: EntityAction, config: GroupConfig
) -> bool:
    """Everyone reads; admins create and update; admins and delete groups delete."""
    if action in (E.READ, E.READ_PUBLIC):
        return True
    if action is E.DELETE and in_delete_groups(identity, config):
        return True
    return is_admin(identity, config)


def attachment_scopes(
    identity: Identity, action: EntityAction, config: GroupConfig
) -> Scopes:
    """The scopes of the attachment rules; published ones are readable by all."""
    if action is E.READ_PUBLIC:
        action = E.READ
    scopes: set[Scope] = {Scope.PUBLISHED} if action is E.READ else set()
    if identity.is_anonymous:
        return frozenset(scopes)
    if action is E.DELETE and in_delete_groups(identity, config):
        scopes.add(Scope.ANY)

    if is_admin(identity, config):
        scopes.add(Scope.ANY)
    elif member_of(identity, config.attachment_privileged):
        scopes.add(Scope.ANY if action is E.CREATE else Scope.OWNER)
        if action is E.READ:
            scopes.add(Scope.MEMBER)
    elif member_or_all(identity, config.attachment):
        scopes.add(Scope.MEMBER if action is E.READ else Scope.OWNER)
    elif action is E.READ:
        scopes.add(Scope.MEMBER)
    return frozenset(scopes)


def attachment_allows(
    identity: Identity,
    action: EntityAction,
    attachment: Document,
    config: GroupConfig,
) -> bool:
    """The instance decision on an attachment (or an attachment to create)."""
    return any_scope_covers(
        attachment_scopes(identity, action, config), identity, attachment
    )


def attachment_visibility_filter(
    identity: Identity, config: GroupConfig
) -> dict[str, Any] | None:
    """Admins list every attachment (SciCat's ``accessAny``); others are filtered."""
    if is_admin(identity, config):
        return None
    return access_filter(identity)
