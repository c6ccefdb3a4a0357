"""Outgoing e-mail behind one small interface: development logs the message, tests keep it in memory;
production plugs in an SMTP or provider sender with the same `send`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import structlog

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    body: str


class Mailer(Protocol):
    async def send(self, message: Message) -> None: ...


class LogMailer:
    """Development: the message goes to the log (the body too: it holds the invitation link)."""

    async def send(self, message: Message) -> None:
        log.info("e-mail", to=message.to, subject=message.subject, body=message.body)


@dataclass
class MemoryMailer:
    """Tests: messages are kept, newest last."""

    sent: list[Message] = field(default_factory=list)

    async def send(self, message: Message) -> None:
        self.sent.append(message)
