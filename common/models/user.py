"""Accounts: User, UserIdentity (with its profile), Role, UserRole, UserSetting.

These keep SciCat's stored shapes (ObjectId ``_id``s, ``created``/``modified``
on identities and roles) because tests and tools read the collections
directly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from bson import ObjectId
from pydantic import BaseModel, ConfigDict, Field

from common.models.checks import CV, IS_NOT_EMPTY, IS_NUMBER, IS_STRING, CVModel
from common.models.common import ReqStr, StoredDate
from common.models.dataset import OptObject
from common.models.partial import partial_model

DEFAULT_DATASET_COUNT = 25
DEFAULT_JOB_COUNT = 25


class _Stored(BaseModel):
    model_config = ConfigDict(
        extra="allow", populate_by_name=True, arbitrary_types_allowed=True
    )


class User(_Stored):
    """A stored ``User`` (the password hash is never returned)."""

    id_: ObjectId | str | None = Field(default=None, alias="_id")
    realm: str | None = None
    username: str
    email: str
    emailVerified: bool | None = None
    authStrategy: str | None = None


class ReturnedUserDto(BaseModel):
    """What the API returns for a user."""

    id: str
    username: str
    email: str
    emailVerified: bool | None = None
    realm: str | None = None
    authStrategy: str | None = None


def returned_user(document: dict[str, Any]) -> dict[str, Any]:
    """A stored user as returned: ``id`` as a string, no password."""
    shaped: dict[str, Any] = {
        "id": str(document["_id"]),
        "username": document.get("username"),
        "email": document.get("email"),
        "authStrategy": document.get("authStrategy"),
    }
    for key in ("emailVerified", "realm"):
        if document.get(key) is not None:
            shaped[key] = document[key]
    return shaped


class UserProfile(_Stored):
    """``UserIdentity.profile``: where the user's access groups live."""

    displayName: str | None = None
    email: str | None = None
    username: str | None = None
    thumbnailPhoto: str | None = None
    id: str | None = None
    emails: list[dict[str, Any]] | None = None
    accessGroups: list[str] = []
    oidcClaims: dict[str, Any] | None = None


class UserIdentity(_Stored):
    """A stored ``UserIdentity``."""

    id_: ObjectId | str | None = Field(default=None, alias="_id")
    authStrategy: str | None = None
    credentials: dict[str, Any] | None = None
    externalId: str | None = None
    profile: UserProfile | None = None
    provider: str | None = None
    userId: ObjectId | str
    created: StoredDate | None = None
    modified: StoredDate | None = None


class Role(_Stored):
    id_: ObjectId | str | None = Field(default=None, alias="_id")
    name: str
    created: StoredDate | None = None
    modified: StoredDate | None = None


class UserRole(_Stored):
    id_: ObjectId | str | None = Field(default=None, alias="_id")
    userId: ObjectId | str
    roleId: ObjectId | str


class UserSetting(_Stored):
    """A stored ``UserSetting``."""

    id_: ObjectId | str | None = Field(default=None, alias="_id")
    userId: ObjectId | str
    datasetCount: int | float = DEFAULT_DATASET_COUNT
    jobCount: int | float = DEFAULT_JOB_COUNT
    externalSettings: dict[str, Any] = {}


Number = Annotated[int | float, CV(IS_NUMBER)]
NonEmptyStr = Annotated[str, CV(IS_NOT_EMPTY, IS_STRING)]


class UpdateUserSettingsDto(CVModel):
    """PUT body of ``/users/{id}/settings`` (SciCat checks the counts as numbers)."""

    datasetCount: Number
    jobCount: Number
    externalSettings: OptObject = None


class CreateUserSettingsDto(UpdateUserSettingsDto):
    userId: ReqStr


PartialUpdateUserSettingsDto = partial_model(
    UpdateUserSettingsDto, "PartialUpdateUserSettingsDto"
)


class UpdateUserPasswordDto(CVModel):
    """``POST /users/password``."""

    currentPassword: NonEmptyStr
    newPassword: NonEmptyStr
    confirmPassword: NonEmptyStr


class AdminUpdateUserPasswordDto(CVModel):
    """``PATCH /users/{id}/password``."""

    newPassword: NonEmptyStr
    confirmPassword: NonEmptyStr


def new_user_settings(
    user_id: ObjectId, fields: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A stored UserSetting with SciCat's defaults."""
    document: dict[str, Any] = {
        "_id": ObjectId(),
        "userId": user_id,
        "datasetCount": DEFAULT_DATASET_COUNT,
        "jobCount": DEFAULT_JOB_COUNT,
        "externalSettings": {},
        "__v": 0,
    }
    document.update({k: v for k, v in (fields or {}).items() if v is not None})
    return document


def new_user_identity(
    user_id: ObjectId,
    *,
    profile: dict[str, Any],
    provider: str,
    auth_strategy: str,
    now: datetime,
    external_id: str = "",
) -> dict[str, Any]:
    """A stored UserIdentity as SciCat writes it at login or seeding."""
    return {
        "_id": ObjectId(),
        "authStrategy": auth_strategy,
        "credentials": {},
        "externalId": external_id,
        "profile": {"accessGroups": [], **profile},
        "provider": provider,
        "userId": user_id,
        "created": now,
        "modified": now,
        "__v": 0,
    }
