"""Who sent a message: tokens with a grace period, broker-verified AMQP users."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

import pytest

from common.identity.seeding import seed_functional_accounts
from ingest_worker.consumers.contract import (
    AMQP_USER_HEADER,
    AMQP_USER_SIGNATURE_HEADER,
)
from ingest_worker.consumers.identity import MessageIdentities, UserSigner
from ingest_worker.consumers.inbound import Delivery
from ingest_worker.consumers.publishing import OutgoingCopies
from tests.services.conftest import raw_dataset


async def token_expired_ago(ingest, username: str, seconds: int) -> str:
    user = await ingest.accounts.user(username)
    claims = {"_id": str(user["_id"]), "username": username, "email": user["email"]}
    issued = time.time() - seconds - 60
    return ingest.accounts.codec.sign(claims, expires_in=60, now=issued)


@pytest.mark.rabbit
async def test_token_expired_while_waiting_is_accepted_within_the_grace_period(
    ingest,
):
    grace = ingest.settings.INGEST_TOKEN_GRACE_SECONDS
    token = await token_expired_ago(ingest, "user1", grace - 600)

    reply = await ingest.reply(
        await ingest.publish("dataset.create", raw_dataset(), token=token)
    )

    assert reply["status"] == "created"
    assert reply["document"]["createdBy"] == "user1"


@pytest.mark.rabbit
async def test_token_expired_beyond_the_grace_period_is_rejected(ingest):
    grace = ingest.settings.INGEST_TOKEN_GRACE_SECONDS
    token = await token_expired_ago(ingest, "user1", grace + 600)

    reply = await ingest.reply(
        await ingest.publish("dataset.create", raw_dataset(), token=token)
    )
    dead = await ingest.dead_letter()

    assert reply["error"]["code"] == "unauthenticated"
    assert "grace period" in json.loads(dead.headers["x-scicat-error"])["message"]
    assert await ingest.count("Dataset") == 0


@pytest.mark.rabbit
async def test_broker_verified_user_id_maps_to_the_account_of_that_name(
    ingest, tmp_path
):
    accounts_file = tmp_path / "guest.json"
    accounts_file.write_text(
        json.dumps(
            [
                {
                    "username": "guest",
                    "password": "guest-password",
                    "email": "guest@your.site",
                    "role": "group1",
                    "global": False,
                }
            ]
        )
    )
    settings = ingest.settings.model_copy(
        update={"FUNCTIONAL_ACCOUNTS_FILE": accounts_file}
    )
    await seed_functional_accounts(ingest.store, settings)

    reply = await ingest.reply(
        await ingest.publish(
            "dataset.create", raw_dataset(), user=None, user_id="guest"
        )
    )

    assert reply["status"] == "created", reply
    assert reply["document"]["createdBy"] == "guest"


@pytest.mark.rabbit
async def test_user_id_without_an_account_is_unauthenticated(ingest):
    reply = await ingest.reply(
        await ingest.publish(
            "dataset.create", raw_dataset(), user=None, user_id="guest"
        )
    )

    assert reply["error"]["code"] == "unauthenticated"
    assert reply["error"]["details"] == {"user_id": "guest"}


def incoming(body: bytes, **properties):
    values = {
        "body": body,
        "headers": {},
        "user_id": None,
        "message_id": "m-1",
        "routing_key": "dataset.create",
        "content_type": "application/json",
        "content_encoding": None,
        "priority": None,
        "correlation_id": "c-1",
        "reply_to": None,
        "timestamp": None,
        "type": None,
        "app_id": None,
    }
    values.update(properties)
    return SimpleNamespace(**values)


def test_a_republished_user_id_travels_signed_and_only_with_its_own_body():
    signer = UserSigner("secret-of-this-deployment")
    copies = OutgoingCopies(signer, worker_user="scicat-worker")
    original = incoming(b'{"a": 1}', user_id="daq-7")

    properties = copies._copied(original, "dataset.create", {"x-scicat-attempts": 1})

    assert properties.user_id is None  # the broker would refuse another user
    headers = properties.headers
    assert headers[AMQP_USER_HEADER] == "daq-7"
    identities = MessageIdentities(authenticator=None, signer=signer)  # type: ignore[arg-type]
    copy = incoming(b'{"a": 1}', headers=headers)
    assert identities.amqp_user(Delivery.of(copy, "dataset.create"), "m-1") == "daq-7"
    tampered = incoming(b'{"a": 2}', headers=headers)
    assert identities.amqp_user(Delivery.of(tampered, "dataset.create"), "m-1") is None
    forged = incoming(
        b'{"a": 1}',
        headers={AMQP_USER_HEADER: "admin", AMQP_USER_SIGNATURE_HEADER: "00"},
    )
    assert identities.amqp_user(Delivery.of(forged, "dataset.create"), "m-1") is None


def test_the_worker_s_own_user_id_stays_a_property():
    copies = OutgoingCopies(UserSigner("s"), worker_user="guest")

    properties = copies._copied(incoming(b"{}", user_id="guest"), "dataset.create", {})

    assert properties.user_id == "guest"
    assert AMQP_USER_HEADER not in properties.headers
