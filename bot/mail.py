"""Email over SMTP (aiosmtplib): the settings, the message (plain text with an HTML alternative), one send.

What to send and to whom is bot/notice_worker.py's; this module only speaks SMTP. A send's outcome is
`sent`, `rejected` (the server refused for good: 5xx, refused recipients) or `transient` (try again later).
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from enum import Enum

import aiosmtplib

from bot.settings import Settings

log = logging.getLogger(__name__)

_SMTP_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how mail is sent (SMTP_* settings); `host` empty: mail stays queued."""

    host: str
    port: int
    sender: str
    username: str = ""
    password: str = ""
    tls: str = "starttls"  # starttls | tls | off

    @property
    def ready(self) -> bool:
        return bool(self.host and self.sender)


def smtp_config(settings: Settings) -> SmtpConfig:
    """The SMTP settings as one value."""
    return SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_from,
        username=settings.smtp_username,
        password=settings.smtp_password,
        tls=settings.smtp_tls,
    )


@dataclass(frozen=True, kw_only=True)
class Mail:
    """One message to send: its recipients, words and the id that makes a resend recognisable."""

    to: tuple[str, ...]
    subject: str
    text: str
    message_id: str  # the same on every attempt: a receiver sees a resend as the same message
    unsubscribe: str = ""  # a one-click opt-out URL (RFC 8058), for non-essential notices


class MailResult(Enum):
    """What became of one send."""

    SENT = "sent"
    REJECTED = "rejected"
    TRANSIENT = "transient"


def build_message(mail: Mail, *, sender: str) -> EmailMessage:
    """The email: plain text, and the same words as simple HTML for clients that prefer it."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(mail.to)
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = mail.message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office replies should not answer it
    if mail.unsubscribe:
        message["List-Unsubscribe"] = f"<{mail.unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(mail.text)
    message.add_alternative(_html(mail.text), subtype="html")
    return message


def _html(text: str) -> str:
    paragraphs = "".join(
        "<p>" + "<br>".join(html.escape(line) for line in block.splitlines()) + "</p>"
        for block in text.split("\n\n")
        if block.strip()
    )
    return f'<!doctype html><html><body style="font-family:sans-serif">{paragraphs}</body></html>'


async def send_mail(config: SmtpConfig, mail: Mail) -> tuple[MailResult, str | None]:
    """Send `mail` once; return the result and, when not sent, an error without addresses or text."""
    message = build_message(mail, sender=config.sender)
    try:
        await aiosmtplib.send(
            message,
            hostname=config.host,
            port=config.port,
            username=config.username or None,
            password=config.password or None,
            use_tls=config.tls == "tls",
            start_tls=config.tls == "starttls",
            timeout=_SMTP_TIMEOUT_SECONDS,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        return MailResult.REJECTED, f"recipients refused ({len(exc.recipients)})"
    except aiosmtplib.SMTPResponseException as exc:
        # The server's own text can quote an address: keep its code only.
        result = MailResult.REJECTED if 500 <= exc.code < 600 else MailResult.TRANSIENT
        return result, f"smtp {exc.code}"
    except (aiosmtplib.SMTPException, OSError) as exc:  # connection refused, timeouts, TLS failures
        return MailResult.TRANSIENT, type(exc).__name__
    return MailResult.SENT, None
