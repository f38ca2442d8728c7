"""bcrypt password hashing and checking, run off the event loop.

A hash at cost 10 (bcrypt's and SciCat's default salt rounds) takes tens of
milliseconds, which would stall every other request and message on the loop, so
both operations run in a worker thread.
"""

from __future__ import annotations

import asyncio

import bcrypt

# bcrypt only reads 72 bytes; bcrypt 5 refuses longer input instead of truncating.
MAX_PASSWORD_BYTES = 72
ROUNDS = 10


def _hash(password: bytes, rounds: int) -> str:
    return bcrypt.hashpw(password, bcrypt.gensalt(rounds)).decode("ascii")


def _check(password: bytes, hashed: bytes) -> bool:
    try:
        return bcrypt.checkpw(password, hashed)
    except ValueError:
        # A stored value that is not a bcrypt hash matches nothing.
        return False


async def hash_password(password: str, *, rounds: int | None = None) -> str:
    """The bcrypt hash of ``password``; ValueError if it is over 72 bytes."""
    encoded = password.encode("utf-8")
    if len(encoded) > MAX_PASSWORD_BYTES:
        raise ValueError("password longer than 72 bytes")
    return await asyncio.to_thread(_hash, encoded, rounds or ROUNDS)


async def check_password(password: str, hashed: str | None) -> bool:
    """Whether ``password`` matches the stored hash; never raises for bad input."""
    if not hashed:
        return False
    encoded = password.encode("utf-8")
    if len(encoded) > MAX_PASSWORD_BYTES:
        return False
    return await asyncio.to_thread(_check, encoded, hashed.encode("utf-8"))
