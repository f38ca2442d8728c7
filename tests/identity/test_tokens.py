from __future__ import annotations

import base64
import json
import os
import stat
import time

import jwt
import pytest

from common.identity import tokens
from common.identity.tokens import SECRET_FILE_NAME, TokenCodec, load_jwt_secret

SECRET = "test-secret-which-is-long-enough-for-hs256"


def codec() -> TokenCodec:
    return TokenCodec(SECRET, expires_in=3600)


def b64(data: dict) -> str:
    raw = json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_signed_token_verifies_with_iat_and_exp():
    token = codec().sign({"_id": "abc", "username": "user1"})
    claims = codec().verify(token)
    assert claims is not None
    assert claims["username"] == "user1"
    assert claims["exp"] - claims["iat"] == 3600
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_tampered_token_is_rejected():
    token = codec().sign({"_id": "abc", "username": "user1"})
    header, _payload, signature = token.split(".")
    forged = b64({"_id": "abc", "username": "admin", "exp": int(time.time()) + 60})
    assert codec().verify(f"{header}.{forged}.{signature}") is None
    assert codec().verify(token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) is None


def test_token_signed_with_another_secret_is_rejected():
    other = TokenCodec("another-secret-which-is-long-enough-too", expires_in=60)
    assert codec().verify(other.sign({"_id": "abc"})) is None


def test_alg_none_is_rejected():
    header = b64({"alg": "none", "typ": "JWT"})
    payload = b64({"_id": "abc", "username": "admin", "exp": int(time.time()) + 60})
    assert codec().verify(f"{header}.{payload}.") is None


def test_expired_token_is_rejected_but_accepted_within_leeway():
    token = codec().sign({"_id": "abc"}, expires_in=10, now=time.time() - 100)
    assert codec().verify(token) is None
    assert codec().verify(token, leeway_seconds=86400) is not None
    assert codec().verify(token, leeway_seconds=30) is None


def test_token_without_exp_is_rejected():
    token = jwt.encode({"_id": "abc"}, SECRET, algorithm="HS256")
    assert codec().verify(token) is None


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "Bearer", "é.é.é"])
def test_garbage_is_rejected(garbage):
    assert codec().verify(garbage) is None


def test_claims_are_made_json_safe():
    from datetime import UTC, datetime

    from bson import ObjectId

    oid = ObjectId()
    token = codec().sign({"_id": oid, "at": datetime(2026, 1, 2, tzinfo=UTC)})
    claims = codec().verify(token)
    assert claims["_id"] == str(oid)
    assert claims["at"] == "2026-01-02T00:00:00.000Z"


def test_secret_from_settings(settings_factory):
    assert load_jwt_secret(settings_factory()) == (
        "test-secret-which-is-long-enough-for-hs256"
    )


def test_missing_secret_is_generated_once_and_kept_private(settings_factory, caplog):
    settings = settings_factory(JWT_SECRET=None)
    first = load_jwt_secret(settings)
    path = settings.EMBEDDED_STORE_PATH / SECRET_FILE_NAME
    assert len(first) >= 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "JWT_SECRET not set" in caplog.text
    # A restart keeps the secret, so issued tokens stay valid.
    assert load_jwt_secret(settings) == first
    token = TokenCodec.from_settings(settings).sign({"_id": "x"})
    assert TokenCodec.from_settings(settings).verify(token) is not None


def test_secret_resolved_once_is_shared_without_reading_the_folder_again(
    settings_factory, tmp_path, caplog
):
    from common.identity.tokens import TokenCodec, with_jwt_secret

    settings = with_jwt_secret(settings_factory(JWT_SECRET=None))
    assert settings.JWT_SECRET
    caplog.clear()

    token = TokenCodec.from_settings(settings).sign({"_id": "u1"})
    claims = TokenCodec.from_settings(settings).verify(token)

    assert claims is not None and claims["_id"] == "u1"
    assert "JWT_SECRET" not in caplog.text


def test_tokens_of_the_codec_verify_as_plain_pyjwt_tokens_and_back():
    # The codec's once-checked key must sign and check exactly as pyjwt does.
    mine = codec().sign({"_id": "abc", "username": "user1"})
    assert jwt.decode(mine, SECRET, algorithms=["HS256"])["username"] == "user1"
    theirs = jwt.encode(
        {"_id": "abc", "exp": int(time.time()) + 60}, SECRET, algorithm="HS256"
    )
    assert codec().verify(theirs) == jwt.decode(theirs, SECRET, algorithms=["HS256"])


def test_a_secret_pyjwt_refuses_as_hmac_key_still_verifies_nothing():
    pem_like = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"
    refusing = TokenCodec(pem_like, expires_in=60)
    token = jwt.encode(
        {"_id": "abc", "exp": int(time.time()) + 60},
        "x" * 40,
        algorithm="HS256",
    )
    assert refusing.verify(token) is None
    with pytest.raises(jwt.InvalidKeyError):
        refusing.sign({"_id": "abc"})


# --- repeated checks of one token -------------------------------------------


class Clock:
    """``time.time`` as the token module sees it, moved by the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = time.time()
        monkeypatch.setattr(tokens.time, "time", lambda: self.now)


def test_a_token_verified_before_is_rejected_once_it_expires(monkeypatch):
    clock = Clock(monkeypatch)
    checker = codec()
    token = checker.sign({"_id": "abc"}, expires_in=60, now=clock.now)
    assert checker.verify(token) is not None

    clock.now += 61

    assert checker.verify(token) is None
    assert checker.verify(token, leeway_seconds=30) is not None
    assert checker.verify(token, leeway_seconds=0) is None


def test_a_repeat_checks_not_before_with_the_leeway_it_is_given(monkeypatch):
    clock = Clock(monkeypatch)
    checker = codec()
    token = checker.sign({"_id": "abc", "nbf": int(clock.now) + 100})

    assert checker.verify(token, leeway_seconds=200) is not None
    assert checker.verify(token) is None
    clock.now += 101
    assert checker.verify(token) is not None


def test_a_repeat_checks_issued_at_as_pyjwt_does(monkeypatch):
    clock = Clock(monkeypatch)
    checker = codec()
    token = checker.sign({"_id": "abc"}, now=clock.now + 50)

    assert checker.verify(token, leeway_seconds=100) is not None
    assert checker.verify(token) is None


def test_a_forgery_of_a_verified_token_is_still_rejected():
    checker = codec()
    token = checker.sign({"_id": "abc", "username": "user1"})
    assert checker.verify(token) is not None
    header, _payload, signature = token.split(".")
    forged = b64({"_id": "abc", "username": "admin", "exp": int(time.time()) + 60})

    assert checker.verify(f"{header}.{forged}.{signature}") is None
    assert checker.verify(token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) is None


def test_changing_returned_claims_does_not_change_the_next_answer():
    checker = codec()
    token = checker.sign({"_id": "abc", "username": "user1"})
    first = checker.verify(token)
    assert first is not None

    first["username"] = "admin"

    again = checker.verify(token)
    assert again is not None and again["username"] == "user1"


def test_verified_tokens_kept_are_bounded(monkeypatch):
    monkeypatch.setattr(tokens, "VERIFIED_TOKENS_KEPT", 3)
    checker = codec()
    issued = [checker.sign({"_id": str(n)}) for n in range(5)]

    for token in issued:
        assert checker.verify(token) is not None

    assert len(checker._verified) == 3
    assert all(checker.verify(token) is not None for token in issued)
