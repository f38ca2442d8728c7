"""The suite's SMTP server: a real aiosmtpd that keeps what it receives."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib


async def test_mail_sent_over_smtp_is_received(smtp_server):
    message = EmailMessage()
    message["From"] = "scicat@facility.example"
    message["To"] = "user1@your.site"
    message["Subject"] = "Job submitted"
    message.set_content("Your archive job was submitted.")

    await aiosmtplib.send(
        message, hostname=smtp_server.host, port=smtp_server.port, start_tls=False
    )

    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert received["Subject"] == "Job submitted"
    assert smtp_server.envelopes[0].rcpt_tos == ["user1@your.site"]
    assert "archive job" in received.get_payload()
