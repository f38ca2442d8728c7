"""Group configuration and the group-matching rules SciCat applies to it.

SciCat reads its group lists in two ways (reference §5.1): most are split on
commas and matched by equality (``#all`` meaning every authenticated user where
SciCat supports it); a few are kept as one raw string and matched by substring
(``"archivemanager".includes(group)``). Both are reproduced here so that every
permission module matches groups the same way.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from common.identity.principal import Identity
from common.settings import Settings

ALL = "#all"


@dataclass(frozen=True, slots=True)
class GroupConfig:
    """The settings' group lists, as the permission rules consume them."""

    admin: frozenset[str] = frozenset()
    delete: frozenset[str] = frozenset()
    create_dataset: frozenset[str] = frozenset({ALL})
    create_dataset_with_pid: frozenset[str] = frozenset()
    create_dataset_privileged: frozenset[str] = frozenset()
    update_dataset_lifecycle: str = ""
    create_job_privileged: str = ""
    update_job_privileged: str = ""
    delete_job: str = ""
    attachment: frozenset[str] = frozenset({ALL})
    attachment_privileged: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings: Settings) -> GroupConfig:
        return cls(
            admin=frozenset(settings.ADMIN_GROUPS),
            delete=frozenset(settings.DELETE_GROUPS),
            create_dataset=frozenset(settings.CREATE_DATASET_GROUPS),
            create_dataset_with_pid=frozenset(settings.CREATE_DATASET_WITH_PID_GROUPS),
            create_dataset_privileged=frozenset(
                settings.CREATE_DATASET_PRIVILEGED_GROUPS
            ),
            update_dataset_lifecycle=settings.UPDATE_DATASET_LIFECYCLE_GROUPS,
            create_job_privileged=settings.CREATE_JOB_PRIVILEGED_GROUPS,
            update_job_privileged=settings.UPDATE_JOB_PRIVILEGED_GROUPS,
            delete_job=settings.DELETE_JOB_GROUPS,
            attachment=frozenset(settings.ATTACHMENT_GROUPS),
            attachment_privileged=frozenset(settings.ATTACHMENT_PRIVILEGED_GROUPS),
        )


def member_of(identity: Identity, configured: Iterable[str]) -> bool:
    """True when an authenticated caller holds one of the configured groups."""
    if identity.is_anonymous:
        return False
    wanted = configured if isinstance(configured, frozenset) else set(configured)
    return not wanted.isdisjoint(identity.groups)


def member_or_all(identity: Identity, configured: frozenset[str]) -> bool:
    """Like :func:`member_of`, with ``#all`` admitting every authenticated caller."""
    if identity.is_anonymous:
        return False
    return ALL in configured or member_of(identity, configured)


def substring_member(identity: Identity, raw: str) -> bool:
    """SciCat's substring test on a raw setting string (reference §5.1, Q).

    ``UPDATE_DATASET_LIFECYCLE_GROUPS=archivemanager`` admits the group
    ``archive`` too, exactly as the original does. Blank groups are skipped:
    in the original an empty group name would match every setting.
    """
    if identity.is_anonymous:
        return False
    return any(group and group in raw for group in identity.groups)


def is_admin(identity: Identity, config: GroupConfig) -> bool:
    return member_of(identity, config.admin)


def in_delete_groups(identity: Identity, config: GroupConfig) -> bool:
    return member_of(identity, config.delete)


def in_lifecycle_groups(identity: Identity, config: GroupConfig) -> bool:
    return substring_member(identity, config.update_dataset_lifecycle)


class DatasetTier(enum.StrEnum):
    """The caller's tier for datasets and their file lists (first match wins)."""

    ANONYMOUS = "anonymous"
    ADMIN = "admin"
    PRIVILEGED = "privileged"
    WITH_PID = "with_pid"
    CREATE = "create"
    PLAIN = "plain"


CREATING_TIERS = frozenset(
    {
        DatasetTier.ADMIN,
        DatasetTier.PRIVILEGED,
        DatasetTier.WITH_PID,
        DatasetTier.CREATE,
    }
)


def dataset_tier(identity: Identity, config: GroupConfig) -> DatasetTier:
    """admin → privileged → with-pid → create-dataset → plain (reference §5.1)."""
    if identity.is_anonymous:
        return DatasetTier.ANONYMOUS
    if member_of(identity, config.admin):
        return DatasetTier.ADMIN
    if member_of(identity, config.create_dataset_privileged):
        return DatasetTier.PRIVILEGED
    if member_or_all(identity, config.create_dataset_with_pid):
        return DatasetTier.WITH_PID
    if member_or_all(identity, config.create_dataset):
        return DatasetTier.CREATE
    return DatasetTier.PLAIN


class Scope(enum.Enum):
    """Which documents a rule covers; a rule's condition in CASL terms."""

    ANY = "any"
    OWNER = "owner"  # ownerGroup is one of the caller's groups
    OWNER_NO_PID = "owner_no_pid"  # owner, and the document carries no pid
    MEMBER = "member"  # owner, or an accessGroup is one of the caller's groups
    ACCESS_GROUPS = "access_groups"  # an accessGroup only (datablock update, Q)
    PUBLISHED = "published"


def _groups_of(document: Mapping[str, Any], key: str) -> list[str]:
    value = document.get(key)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, str)]
    return []


def scope_covers(scope: Scope, identity: Identity, document: Mapping[str, Any]) -> bool:
    """Whether ``document`` falls under ``scope`` for this caller."""
    if scope is Scope.ANY:
        return True
    if scope is Scope.PUBLISHED:
        return document.get("isPublished") is True
    groups = set(identity.groups)
    owner = any(group in groups for group in _groups_of(document, "ownerGroup"))
    if scope is Scope.OWNER:
        return owner
    if scope is Scope.OWNER_NO_PID:
        return owner and not document.get("pid")
    access = any(group in groups for group in _groups_of(document, "accessGroups"))
    if scope is Scope.ACCESS_GROUPS:
        return access
    return owner or access  # Scope.MEMBER


def any_scope_covers(
    scopes: Iterable[Scope], identity: Identity, document: Mapping[str, Any]
) -> bool:
    return any(scope_covers(scope, identity, document) for scope in scopes)


def access_filter(identity: Identity, *, shared_with: bool = True) -> dict[str, Any]:
    """The Mongo filter of documents an ordinary caller may list (reference §5.2).

    Anonymous callers see published documents only. The ``sharedWith`` clause is
    left out when the caller has no e-mail: ``$in: [null]`` would match every
    document without the field.
    """
    if identity.is_anonymous:
        return {"isPublished": True}
    groups = list(identity.groups)
    clauses: list[dict[str, Any]] = [
        {"ownerGroup": {"$in": groups}},
        {"accessGroups": {"$in": groups}},
    ]
    if shared_with and identity.email:
        clauses.append({"sharedWith": {"$in": [identity.email]}})
    clauses.append({"isPublished": True})
    return {"$or": clauses}
