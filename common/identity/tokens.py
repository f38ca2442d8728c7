"""JSON Web Tokens as SciCat issues them: HS256 over ``JWT_SECRET``, ``exp`` required.

Verification answers ``None`` for anything it cannot trust (bad signature,
expired, another algorithm or ``alg: none``, malformed), so the edges treat the
caller as anonymous rather than failing the request.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from jwt.algorithms import HMACAlgorithm

from common import jsoncodec
from common.errors import ConfigurationError
from common.settings import Settings

logger = logging.getLogger(__name__)

ALGORITHM = "HS256"
# Tokens whose signature was verified, kept for their repeats (about 1 MB).
VERIFIED_TOKENS_KEPT = 4096
SECRET_FILE_NAME = "jwt-secret"


class _PreparedHmac(HMACAlgorithm):
    """HS256 whose key checks run once for the codec's secret, not per token.

    pyjwt vets an HMAC key on every call (PEM, SSH, DER and JWK shapes), about
    a third of a token check; the secret never changes, so its verdict holds.
    """

    def __init__(self, secret: str) -> None:
        super().__init__(HMACAlgorithm.SHA256)
        self._secret = secret
        self._prepared: bytes | None = None
        # A refused secret is refused again, as before, at each sign or check.
        with contextlib.suppress(jwt.InvalidKeyError):
            self._prepared = super().prepare_key(secret)

    def prepare_key(self, key: str | bytes) -> bytes:
        if self._prepared is not None and key == self._secret:
            return self._prepared
        return super().prepare_key(key)


@dataclass(frozen=True, slots=True)
class _Verified:
    """A token whose signature and claims passed once, and its time claims."""

    claims: dict[str, Any]
    expires: int
    issued: int | None
    not_before: int | None

    @classmethod
    def of(cls, claims: dict[str, Any]) -> _Verified:
        # pyjwt accepted these, so each is present as an integer or absent.
        def number(name: str) -> int | None:
            value = claims.get(name)
            return None if value is None else int(value)

        return cls(claims, int(claims["exp"]), number("iat"), number("nbf"))

    def current(self, leeway: float) -> bool:
        """pyjwt's time checks: not expired, not issued or valid in the future."""
        now = time.time()
        if self.expires <= now - leeway:
            return False
        return all(
            moment is None or moment <= now + leeway
            for moment in (self.issued, self.not_before)
        )


class TokenCodec:
    """Signs and verifies the API's tokens with one secret."""

    def __init__(self, secret: str, *, expires_in: int) -> None:
        if not secret:
            raise ConfigurationError("JWT secret must not be empty")
        self._secret = secret
        self.expires_in = expires_in
        self._jwt = jwt.PyJWT()
        # pyjwt offers algorithm registration on its JWS layer only.
        self._jwt._jws.unregister_algorithm(ALGORITHM)
        self._jwt._jws.register_algorithm(ALGORITHM, _PreparedHmac(secret))
        self._verified: dict[str, _Verified] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenCodec:
        return cls(load_jwt_secret(settings), expires_in=settings.JWT_EXPIRES_IN)

    def sign(
        self,
        claims: Mapping[str, Any],
        *,
        expires_in: int | None = None,
        now: float | None = None,
    ) -> str:
        """A token holding ``claims`` (made JSON-safe) plus ``iat`` and ``exp``."""
        issued = int(time.time() if now is None else now)
        lifetime = self.expires_in if expires_in is None else expires_in
        payload = jsoncodec.loads(jsoncodec.dumps(dict(claims)))
        payload["iat"] = issued
        payload["exp"] = issued + lifetime
        return self._jwt.encode(payload, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str, leeway_seconds: float = 0) -> dict[str, Any] | None:
        """The claims of a valid token, accepting ``leeway_seconds`` past ``exp``.

        A token that once passed keeps its signature verdict (the secret never
        changes), so a repeat only has its times checked again, as pyjwt
        checks them.
        """
        if not token or not isinstance(token, str):
            return None
        known = self._verified.get(token)
        if known is not None:
            return dict(known.claims) if known.current(leeway_seconds) else None
        try:
            claims = self._jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                leeway=leeway_seconds,
                options={"require": ["exp"]},
            )
        except jwt.PyJWTError as exc:
            logger.debug("token rejected", extra={"reason": type(exc).__name__})
            return None
        if not isinstance(claims, dict):
            return None
        self._remember(token, claims)
        return dict(claims)

    def _remember(self, token: str, claims: dict[str, Any]) -> None:
        verified = self._verified
        if len(verified) >= VERIFIED_TOKENS_KEPT:
            del verified[next(iter(verified))]  # the oldest
        verified[token] = _Verified.of(claims)


def load_jwt_secret(settings: Settings) -> str:
    """``JWT_SECRET``, or a random secret kept in the data folder (DESIGN §8).

    The generated secret survives restarts, so tokens stay valid; it is only
    fit for one host. Several API or worker processes need ``JWT_SECRET``.
    """
    if settings.JWT_SECRET:
        return settings.JWT_SECRET

    path = Path(settings.EMBEDDED_STORE_PATH) / SECRET_FILE_NAME
    if path.exists():
        secret = path.read_text(encoding="utf-8").strip()
        if secret:
            logger.warning(
                "JWT_SECRET not set; using the secret kept in the data folder",
                extra={"path": str(path)},
            )
            return secret

    secret = secrets.token_urlsafe(48)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created 0600 from the start, so the secret is never readable by others.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret)
    os.chmod(path, 0o600)
    logger.warning(
        "JWT_SECRET not set; generated a random secret in the data folder",
        extra={"path": str(path)},
    )
    return secret


def with_jwt_secret(settings: Settings) -> Settings:
    """Settings whose ``JWT_SECRET`` is resolved, once per process at its root.

    Everything built from the returned settings (API codec, worker signer,
    message authenticator) then shares the secret without reading the data
    folder again or warning again.
    """
    if settings.JWT_SECRET:
        return settings
    return settings.model_copy(update={"JWT_SECRET": load_jwt_secret(settings)})
