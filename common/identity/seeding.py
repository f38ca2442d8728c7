"""Functional accounts seeded at start-up from ``FUNCTIONAL_ACCOUNTS_FILE`` (§5.5).

For each entry: the User is found by username or e-mail, or created
(``authStrategy local``, bcrypt hash); an existing password is never changed.
Its local UserIdentity is written with ``profile.accessGroups`` = the roles,
the provider groups, and ``globalaccess`` for a global account; a Role exists
per role name and a UserRole links each account to its roles.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from pathlib import Path
from typing import Any

from bson import ObjectId
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from common.errors import ConfigurationError, DuplicateKeyError
from common.identity.passwords import MAX_PASSWORD_BYTES, hash_password
from common.identity.users import (
    ROLE,
    USER,
    USER_ROLE,
    now,
    provider_access_groups,
    save_local_identity,
    unique,
)
from common.settings import Settings
from common.store.interface import Document, Store

logger = logging.getLogger(__name__)

GLOBAL_ACCESS = "globalaccess"


class FunctionalAccount(BaseModel):
    """One entry of the functional accounts file, in SciCat's format."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    username: str = Field(min_length=1)
    email: str = Field(min_length=1)
    password: str | None = None
    role: str | list[str] | None = None
    is_global: bool = Field(default=False, alias="global")
    realm: str | None = None
    emailVerified: bool | None = None

    @field_validator("password")
    @classmethod
    def _fits_bcrypt(cls, value: str | None) -> str | None:
        if value is not None and len(value.encode("utf-8")) > MAX_PASSWORD_BYTES:
            raise ValueError("password longer than 72 bytes (bcrypt's limit)")
        return value

    @property
    def roles(self) -> list[str]:
        if self.role is None:
            return []
        return [self.role] if isinstance(self.role, str) else list(self.role)


_ACCOUNTS = TypeAdapter(list[FunctionalAccount])


def read_accounts_file(path: Path) -> list[FunctionalAccount] | None:
    """The accounts in ``path``; None when there is no file.

    A file that exists but is not a valid accounts list is a configuration
    error: starting without the accounts the operator wrote would hide it.
    """
    if not path.is_file():
        return None
    try:
        return _ACCOUNTS.validate_python(json.loads(path.read_text("utf-8")))
    except (ValueError, ValidationError) as exc:
        raise ConfigurationError(
            f"functional accounts file {path} is invalid: {exc}"
        ) from exc


async def seed_functional_accounts(store: Store, settings: Settings) -> int:
    """Seed the accounts file into ``store``; returns how many accounts it holds."""
    path = Path(settings.FUNCTIONAL_ACCOUNTS_FILE)
    accounts = read_accounts_file(path)
    if accounts is None:
        logger.warning(
            "no functional accounts file; no accounts seeded",
            extra={"path": str(path)},
        )
        return 0

    provider_groups = provider_access_groups(settings)
    results = await asyncio.gather(
        *(seed_account(store, account, provider_groups) for account in accounts)
    )
    role_members: dict[str, list[Any]] = {}
    for user_id, roles in results:
        if user_id is None:
            continue
        for role in roles:
            role_members.setdefault(role, []).append(user_id)

    for name, user_ids in role_members.items():
        role_id = await find_or_create_role(store, name)
        for user_id in user_ids:
            await link_role(store, user_id, role_id)

    logger.info(
        "functional accounts seeded",
        extra={"accounts": len(accounts), "roles": len(role_members)},
    )
    return len(accounts)


async def seed_account(
    store: Store, account: FunctionalAccount, provider_groups: list[str]
) -> tuple[Any, list[str]]:
    """Create the user if absent and write its identity; returns (id, role names)."""
    user = await find_or_create_user(store, account)
    if user is None:
        return None, []

    roles = account.roles
    granted = [*roles, GLOBAL_ACCESS] if account.is_global else roles
    access_groups = unique([*roles, *provider_groups, *granted])
    await save_local_identity(store, user, access_groups)
    return user["_id"], unique(granted)


async def find_or_create_user(
    store: Store, account: FunctionalAccount
) -> Document | None:
    users = store.collection(USER)
    match = {"$or": [{"username": account.username}, {"email": account.email}]}
    existing = await users.find_one(match, {"password": 0})
    if existing is not None:
        return existing
    if not account.password:
        logger.warning(
            "functional account without password not created",
            extra={"username": account.username},
        )
        return None

    user: Document = {
        "username": account.username,
        "email": account.email,
        "password": await hash_password(account.password),
        "authStrategy": "local",
        "__v": 0,
    }
    if account.realm is not None:
        user["realm"] = account.realm
    if account.emailVerified is not None:
        user["emailVerified"] = account.emailVerified
    user["_id"] = ObjectId()
    try:
        await users.insert_one(user)
    except DuplicateKeyError:
        # Another process seeded the same account between our find and insert.
        return await users.find_one(match, {"password": 0})
    logger.info("functional account created", extra={"username": account.username})
    return {key: value for key, value in user.items() if key != "password"}


async def find_or_create_role(store: Store, name: str) -> Any:
    roles = store.collection(ROLE)
    moment = now()
    # A concurrent seeder may create it first; the find below sees it then.
    with contextlib.suppress(DuplicateKeyError):
        await roles.update_one(
            {"name": name},
            {"$setOnInsert": {"created": moment, "modified": moment, "__v": 0}},
            upsert=True,
        )
    role = await roles.find_one({"name": name})
    if role is None:
        raise ConfigurationError(f"role {name!r} could not be stored")
    return role["_id"]


async def link_role(store: Store, user_id: Any, role_id: Any) -> None:
    await store.collection(USER_ROLE).update_one(
        {"userId": user_id, "roleId": role_id},
        {"$setOnInsert": {"__v": 0}},
        upsert=True,
    )
