"""A real SMTP server (aiosmtpd) on loopback in the test's own event loop: tests read what arrived."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Received:
    """One message as the server got it: the envelope's recipients and the parsed message."""

    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        assert part is not None
        return str(part.get_content())


@dataclass
class _Inbox:
    queue: asyncio.Queue[Received] = field(default_factory=asyncio.Queue)
    refuse: bool = False  # answer every DATA with a permanent 550

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse:
            return "550 mailbox unavailable"
        raw = envelope.original_content or b""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.queue.put_nowait(Received([str(r) for r in envelope.rcpt_tos], message))
        return "250 OK"


@dataclass
class SmtpServer:
    """The running server: where it listens, and what it received."""

    host: str
    port: int
    inbox: _Inbox

    async def next(self) -> Received:
        """The next message to arrive (the time limit only guards a test that would otherwise hang)."""
        async with asyncio.timeout(15):
            return await self.inbox.queue.get()

    def settings(self) -> dict[str, Any]:
        """The service settings that send mail here."""
        return {"smtp_host": self.host, "smtp_port": self.port, "smtp_tls": "off", "smtp_from": "support@desk.example"}


@asynccontextmanager
async def smtp_server() -> AsyncIterator[SmtpServer]:
    inbox = _Inbox()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(inbox, hostname="desk.example"), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield SmtpServer("127.0.0.1", int(port), inbox)
    finally:
        server.close()
        await server.wait_closed()
