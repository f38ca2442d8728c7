"""The log mailer and the null indexer."""

from __future__ import annotations

import logging

from common.effects.indexer import NullIndexer
from common.effects.mailer import LogMailer, MailMessage


async def test_log_mailer_writes_the_message_to_the_log(caplog):
    mailer = LogMailer(default_sender="scicat@facility.org")
    with caplog.at_level(logging.INFO, logger="common.effects.mailer"):
        await mailer.send(
            MailMessage(to=("a@b.org",), subject="Job done", text="All archived.")
        )
    record = caplog.records[-1]
    assert record.mail_to == ["a@b.org"]
    assert record.mail_from == "scicat@facility.org"
    assert record.subject == "Job done"
    assert record.body == "All archived."


async def test_null_indexer_accepts_upserts_and_deletes():
    indexer = NullIndexer()
    assert await indexer.upsert({"pid": "p/1"}) is None
    assert await indexer.delete("p/1") is None
