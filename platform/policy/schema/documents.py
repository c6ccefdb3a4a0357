"""GraphQL for the policy documents in words: service commitments (report deadlines) and technical bulletins
with their VIN ranges and attachments."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

import strawberry

from dealernet.graphql.context import Info, by_id_loader
from dealernet.graphql.relay import gid
from dealernet.policy import models

if TYPE_CHECKING:
    pass
from dealernet.policy.service import documents

commitments_loader = by_id_loader(documents.commitments_of)


bulletin_loader = by_id_loader(documents.bulletins_of)


attachments_loader = by_id_loader(documents.attachments_of)


@strawberry.type(description="A report a station owes: its format and how many hours after the event it is due.")
class ReportDue:
    report: str = strawberry.field(description="The report, e.g. monthly quality report.")
    format: str = strawberry.field(description="Its format, e.g. the HQ template.")
    due_hours: int = strawberry.field(description="Hours after the event (or period end) it is due.")


@strawberry.type(description="Response times and report deadlines stations work to.")
class ServiceCommitments:
    ordinary_response_hours: int = strawberry.field(description="Hours to respond to an ordinary request.")
    major_response_hours: int = strawberry.field(description="Hours to respond to a major incident.")
    reports: list[ReportDue] = strawberry.field(description="The reports a station owes HQ and when.")

    @classmethod
    def from_row(cls, row: models.ServiceCommitments) -> ServiceCommitments:
        return cls(
            ordinary_response_hours=row.ordinary_response_hours,
            major_response_hours=row.major_response_hours,
            reports=[ReportDue(**r) for r in row.reports],
        )


@strawberry.type(description="An inclusive range of VINs.")
class VinRange:
    first: str = strawberry.field(description="The first VIN of the range.")
    last: str = strawberry.field(description="The last VIN of the range.")


@strawberry.type(description="A file attached to a bulletin; download it from `url` with your bearer token.")
class Attachment:
    id: strawberry.ID = strawberry.field(description="The attachment's global id.")
    filename: str = strawberry.field(description="The file's name as uploaded.")
    content_type: str = strawberry.field(description="The file's media type, e.g. application/pdf.")
    size: int = strawberry.field(description="The file's size in bytes.")
    sha256: str = strawberry.field(description="The SHA-256 of the file's content, hex.")
    url: str = strawberry.field(description="Where to download it, with your bearer token.")

    @classmethod
    def from_row(cls, row: models.BulletinAttachment) -> Attachment:
        attachment_id = gid("BulletinAttachment", row.id)
        return cls(
            id=attachment_id,
            filename=row.filename,
            content_type=row.content_type,
            size=row.size,
            sha256=row.sha256,
            url=f"/attachments/{attachment_id}",
        )


@strawberry.type(description="A technical service bulletin (技术通报).")
class Bulletin:
    publication_id: strawberry.Private[UUID]
    number: str = strawberry.field(description="The bulletin's number, e.g. TSB-2026-04.")
    body: str = strawberry.field(description="Markdown.")
    affected_models: list[str] = strawberry.field(description="The vehicle models it concerns.")
    vin_ranges: list[VinRange] = strawberry.field(description="The VIN ranges it concerns.")
    part_ids: list[strawberry.ID] = strawberry.field(description="The parts it concerns (global ids).")

    @classmethod
    def from_row(cls, row: models.TechnicalBulletin) -> Bulletin:
        return cls(
            publication_id=row.publication_id,
            number=row.number,
            body=row.body,
            affected_models=list(row.affected_models),
            vin_ranges=[VinRange(first=r["from"], last=r["to"]) for r in row.vin_ranges],
            part_ids=[gid("Part", p) for p in row.part_ids],
        )

    @strawberry.field(description="PDFs and images attached to it.")
    async def attachments(self, info: Info) -> list[Attachment]:
        rows = await info.context.loader("attachments", attachments_loader).load(self.publication_id)
        return [Attachment.from_row(r) for r in rows or []]
