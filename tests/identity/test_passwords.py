from __future__ import annotations

import pytest

from common.identity.passwords import check_password, hash_password


async def test_hash_then_check():
    hashed = await hash_password("secret", rounds=4)
    assert hashed.startswith("$2")
    assert await check_password("secret", hashed)
    assert not await check_password("Secret", hashed)


async def test_password_over_72_bytes_is_simply_wrong():
    hashed = await hash_password("x" * 72, rounds=4)
    assert await check_password("x" * 72, hashed)
    # bcrypt 5 raises for these; a login must see "wrong", not an exception.
    assert not await check_password("x" * 73, hashed)
    assert not await check_password("é" * 40, hashed)


async def test_hashing_refuses_over_72_bytes():
    with pytest.raises(ValueError, match="72"):
        await hash_password("é" * 37)


@pytest.mark.parametrize("stored", [None, "", "not-a-bcrypt-hash", "$2b$10$short"])
async def test_missing_or_corrupt_hash_matches_nothing(stored):
    assert not await check_password("secret", stored)
