"""E-mails of the tenants context, sent by the worker through the outbox (so a committed invitation's
e-mail is never lost, and never sent for an invitation that rolled back)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import outbox
from dealernet.core.mail import Message
from dealernet.core.scope import Scope
from dealernet.core.settings import Settings
from dealernet.tenants.models import Invitation
from dealernet.tenants.service.directory import INVITATION_DAYS, NewInvitation

SEND_INVITATION = "tenants.send_invitation_mail"


def invitation_mail(base_url: str, invitation: Invitation, token: str) -> Message:
    link = f"{base_url}/accept-invitation?token={token}"
    return Message(
        to=invitation.email,
        subject="You are invited to Dealernet",
        body=f"You have been invited as {invitation.role}. Accept within {INVITATION_DAYS} days: {link}",
    )


async def queue_invitation_mail(session: AsyncSession, scope: Scope, settings: Settings, new: NewInvitation) -> None:
    """In the inviting transaction: the e-mail goes out once it has committed. The link's token travels
    sealed and is dropped from the outbox when the job is done."""
    payload = {"invitation": str(new.invitation.id), "token": outbox.seal(settings, new.token)}
    await outbox.add(session, scope, SEND_INVITATION, payload)
