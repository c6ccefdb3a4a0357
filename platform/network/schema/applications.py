"""GraphQL for onboarding: the applicant fills in and submits its application; HQ network development keeps
the rubrics, scores applications (explained item by item) and follows the pipeline by stage and region."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from dealernet.core.access import Permission
from dealernet.core.scope import Scope
from dealernet.graphql.context import Info, by_id_loader
from dealernet.graphql.enums import expose
from dealernet.graphql.masking import Pii, pii
from dealernet.graphql.payloads import ConflictError, NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import connection, gid, keyset_after, load_nodes, uuid_of
from dealernet.network import models, rules
from dealernet.network.service import acceptance, applications, documents, pipeline
from dealernet.policy.rules import ServiceType

_application_loader = by_id_loader(applications.applications_by_id)
_assessments_loader = by_id_loader(applications.assessments_of)
_letters_loader = by_id_loader(pipeline.letters_of)
_votes_loader = by_id_loader(pipeline.votes_of)
_orders_loader = by_id_loader(acceptance.orders_of)
_rectification_loader = by_id_loader(acceptance.rectification_items_of)
_contracts_loader = by_id_loader(acceptance.contracts_of)
_documents_loader = by_id_loader(documents.documents_of)
_visits_loader = by_id_loader(pipeline.visits_of)
_photos_loader = by_id_loader(documents.photos_of)


expose(rules.Stage, description="Where an applicant is in the onboarding pipeline (labels: stageLabel).")
expose(rules.Action, description="A move of the onboarding pipeline, from one stage to the next.")
expose(rules.StandingAction, description="What HQ may do to a live station's standing.")
expose(rules.Vote, description="A committee member's vote.")
expose(rules.Decision, description="The development committee's decision.")


@strawberry.type(description="A pipeline stage with its Chinese and English labels.")
class StageLabel:
    stage: str
    zh: str
    en: str

    @classmethod
    def of(cls, stage: str) -> StageLabel:
        zh, en = rules.LABELS[rules.Stage(stage)]
        return cls(stage=stage, zh=zh, en=en)


@strawberry.type(description="One criterion's score: points of max (null: not applicable) and the weight earned.")
class AssessmentItem:
    code: str
    label_zh: str
    label_en: str
    weight: Decimal
    max_points: int
    points: int | None
    earned: Decimal
    note: str


@strawberry.type(description="A scoring against one rubric version, explained item by item.")
class Assessment:
    id: strawberry.ID
    kind: str
    total: Decimal = strawberry.field(description="Earned over applicable weight, out of 100.")
    pass_mark: Decimal
    passed: bool
    note: str
    assessed_at: datetime
    items: list[AssessmentItem]

    @classmethod
    def from_row(cls, row: models.Assessment) -> Assessment:
        return cls(
            id=gid("Assessment", row.id),
            kind=row.kind,
            total=row.total,
            pass_mark=row.pass_mark,
            passed=row.passed,
            note=row.note,
            assessed_at=row.assessed_at,
            items=[
                AssessmentItem(
                    code=item["code"],
                    label_zh=item["label_zh"],
                    label_en=item["label_en"],
                    weight=Decimal(item["weight"]),
                    max_points=item["max_points"],
                    points=item["points"],
                    earned=Decimal(item["earned"]),
                    note=item["note"],
                )
                for item in row.items
            ],
        )


@strawberry.type(description="The letter of intent issued to an approved applicant.")
class LetterOfIntent:
    number: str
    issued_at: datetime
    url: str = strawberry.field(description="The PDF, with your bearer token.")

    @classmethod
    def from_row(cls, row: models.LetterOfIntent) -> LetterOfIntent:
        return cls(
            number=row.number, issued_at=row.issued_at, url=f"/letters-of-intent/{gid('LetterOfIntent', row.id)}"
        )


@strawberry.type(description="A start-up order: tools and equipment, the start-up parts stock or the VI kit.")
class StartupOrder:
    id: strawberry.ID
    kind: str = strawberry.field(description="tools, parts or vi")
    reference: str
    due_on: date
    ordered_at: datetime
    delivered_at: datetime | None

    @classmethod
    def from_row(cls, row: models.StartupOrder) -> StartupOrder:
        return cls(
            id=gid("StartupOrder", row.id),
            kind=row.kind,
            reference=row.reference,
            due_on=row.due_on,
            ordered_at=row.ordered_at,
            delivered_at=row.delivered_at,
        )


@strawberry.type(description="A failed acceptance item to put right by its deadline (限期整改).")
class RectificationItem:
    code: str
    label_zh: str
    label_en: str
    due_on: date
    closed_at: datetime | None

    @classmethod
    def from_row(cls, row: models.RectificationItem) -> RectificationItem:
        return cls(
            code=row.code, label_zh=row.label_zh, label_en=row.label_en, due_on=row.due_on, closed_at=row.closed_at
        )


@strawberry.type(description="The authorised service agreement: the station's authorisation number and certificate.")
class Contract:
    authorisation_number: str
    term_start: date
    term_end: date
    service_types: list[ServiceType]
    signed_at: datetime
    certificate_url: str

    @classmethod
    def from_row(cls, row: models.Contract) -> Contract:
        return cls(
            authorisation_number=row.authorisation_number,
            term_start=row.term_start,
            term_end=row.term_end,
            service_types=list(row.service_types),
            signed_at=row.signed_at,
            certificate_url=f"/certificates/{gid('Contract', row.id)}",
        )


@strawberry.type(description="A development committee member's vote (approve, reject, abstain).")
class CommitteeVote:
    member_id: strawberry.ID
    vote: rules.Vote
    comment: str
    voted_at: datetime


@strawberry.type(description="A document a station handed in (营业执照, 税务登记证, site photos).")
class StationDocument:
    id: strawberry.ID = strawberry.field(description="Download it at /documents/{id}.")
    kind: str
    kind_label: StageLabel = strawberry.field(description="The kind's labels (zh, en).")
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime

    @classmethod
    def from_row(cls, row: models.StationDocument) -> StationDocument:
        zh, en = rules.DOCUMENT_KINDS[row.kind]
        return cls(
            id=gid("StationDocument", row.id),
            kind=row.kind,
            kind_label=StageLabel(stage=row.kind, zh=zh, en=en),
            filename=row.filename,
            content_type=row.content_type,
            size=row.size,
            sha256=row.sha256,
            uploaded_at=row.uploaded_at,
        )


@strawberry.type(description="A photo from a site visit (HQ's).")
class SiteVisitPhoto:
    id: strawberry.ID = strawberry.field(description="Download it at /visit-photos/{id}.")
    caption: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime


@strawberry.type(description="One topic of the site survey and what the visitors found.")
class SurveyNote:
    topic: str
    text: str


@strawberry.type(description="The site visit (实地走访): who, when, the survey, the findings and the photos.")
class SiteVisit:
    planned_on: date
    visitor_ids: list[strawberry.ID]
    visited_at: datetime | None
    survey: list[SurveyNote]
    findings: str
    visit_id: strawberry.Private[UUID]

    @classmethod
    def from_row(cls, row: models.SiteVisit) -> SiteVisit:
        return cls(
            planned_on=row.planned_on,
            visitor_ids=[gid("User", v) for v in row.visitor_ids],
            visited_at=row.visited_at,
            survey=[SurveyNote(topic=k, text=row.survey[k]) for k in pipeline.SURVEY if k in row.survey],
            findings=row.findings,
            visit_id=row.id,
        )

    @strawberry.field(description="Photos taken on the visit, oldest first.")
    async def photos(self, info: Info) -> list[SiteVisitPhoto]:
        rows = await info.context.loader("photos", _photos_loader).load(self.visit_id)
        return [
            SiteVisitPhoto(
                id=gid("SiteVisitPhoto", r.id),
                caption=r.caption,
                filename=r.filename,
                content_type=r.content_type,
                size=r.size,
                sha256=r.sha256,
                uploaded_at=r.uploaded_at,
            )
            for r in rows or []
        ]


@strawberry.type(description="An applicant's application (特约服务中心申请表) and its stage in the pipeline.")
class Application(relay.Node):
    id: relay.NodeID[UUID]
    stage: rules.Stage
    company_name: str
    legal_representative: str = strawberry.field(extensions=pii(Pii.name))
    contact_name: str = strawberry.field(extensions=pii(Pii.name))
    contact_phone: str = strawberry.field(extensions=pii(Pii.phone))
    registered_address: str
    site_address: str
    region_id: strawberry.ID | None
    workshop_area_m2: int | None
    bays: int | None
    staff: int | None
    certified_technicians: int | None
    equipment: list[str]
    brands: list[str]
    submitted_at: datetime | None
    created_at: datetime
    station_id: strawberry.ID = strawberry.field(description="The applicant's own tenant.")

    @classmethod
    def from_row(cls, row: models.Application) -> Application:
        return cls(
            id=row.id,
            stage=row.stage,
            company_name=row.company_name,
            legal_representative=row.legal_representative,
            contact_name=row.contact_name,
            contact_phone=row.contact_phone,
            registered_address=row.registered_address,
            site_address=row.site_address,
            region_id=gid("Region", row.region_id) if row.region_id else None,
            workshop_area_m2=row.workshop_area_m2,
            bays=row.bays,
            staff=row.staff,
            certified_technicians=row.certified_technicians,
            equipment=list(row.equipment),
            brands=list(row.brands),
            submitted_at=row.submitted_at,
            created_at=row.created_at,
            station_id=gid("Station", row.station_id),
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        rows = await load_nodes(info, "application", _application_loader, node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The stage's labels (zh, en).")
    def stage_label(self) -> StageLabel:
        return StageLabel.of(self.stage)

    @strawberry.field(description="What may happen next from this stage.")
    def allowed_actions(self) -> list[rules.Action]:
        return list(rules.allowed_actions(rules.Stage(self.stage)))

    @strawberry.field(description="What a submission still needs, fields and documents (empty once complete).")
    async def missing_for_submission(self, info: Info) -> list[str]:
        row = await info.context.loader("application", _application_loader).load(self.id)
        if row is None or row.stage != rules.Stage.DRAFT:
            return []
        handed_in = await info.context.loader("documents", _documents_loader).load(self.id)
        return applications.missing_for_submission(row, {d.kind for d in handed_in or []})

    @strawberry.field(description="The documents handed in with it, oldest first (download: /documents/{id}).")
    async def documents(self, info: Info) -> list[StationDocument]:
        rows = await info.context.loader("documents", _documents_loader).load(self.id)
        return [StationDocument.from_row(r) for r in rows or []]

    @strawberry.field(extensions=needs(Permission.onboarding_manage), description="HQ: the site visit, once planned.")
    async def site_visit(self, info: Info) -> SiteVisit | None:
        row = await info.context.loader("visits", _visits_loader).load(self.id)
        return SiteVisit.from_row(row) if row else None

    @strawberry.field(description="The letter of intent, once the committee approved.")
    async def letter_of_intent(self, info: Info) -> LetterOfIntent | None:
        row = await info.context.loader("letters", _letters_loader).load(self.id)
        return LetterOfIntent.from_row(row) if row else None

    @strawberry.field(description="Its start-up orders (tools, parts, vi).")
    async def startup_orders(self, info: Info) -> list[StartupOrder]:
        rows = await info.context.loader("orders", _orders_loader).load(self.id)
        return [StartupOrder.from_row(r) for r in rows or []]

    @strawberry.field(description="Failed acceptance items with their deadlines (open and closed).")
    async def rectification_items(self, info: Info) -> list[RectificationItem]:
        rows = await info.context.loader("rectification", _rectification_loader).load(self.id)
        return [RectificationItem.from_row(r) for r in rows or []]

    @strawberry.field(description="The authorised service agreement, once signed.")
    async def contract(self, info: Info) -> Contract | None:
        row = await info.context.loader("contracts", _contracts_loader).load(self.id)
        return Contract.from_row(row) if row else None

    @strawberry.field(
        extensions=needs(Permission.onboarding_manage), description="HQ: the development committee's votes."
    )
    async def committee_votes(self, info: Info) -> list[CommitteeVote]:
        rows = await info.context.loader("votes", _votes_loader).load(self.id)
        return [
            CommitteeVote(member_id=gid("User", v.member_id), vote=v.vote, comment=v.comment, voted_at=v.voted_at)
            for v in rows or []
        ]

    @strawberry.field(extensions=needs(Permission.onboarding_manage), description="HQ: its scorings, oldest first.")
    async def assessments(self, info: Info) -> list[Assessment]:
        rows = await info.context.loader("assessments", _assessments_loader).load(self.id)
        return [Assessment.from_row(r) for r in rows or []]


@strawberry.input(description="Fields of the application to change; omitted fields stay as they are.")
class ApplicationFormInput:
    company_name: str | None = None
    legal_representative: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    registered_address: str | None = None
    site_address: str | None = None
    region_id: strawberry.ID | None = None
    workshop_area_m2: int | None = None
    bays: int | None = None
    staff: int | None = None
    certified_technicians: int | None = None
    equipment: list[str] | None = None
    brands: list[str] | None = None


@strawberry.input(description="One criterion's points; null points: not applicable.")
class MarkInput:
    code: str
    points: int | None
    note: str = ""


@strawberry.input
class ScoreApplicationInput:
    application_id: strawberry.ID
    marks: list[MarkInput]
    note: str = ""


@strawberry.type
class ApplicationSuccess:
    application: Application


@strawberry.type
class ScoreSuccess:
    assessment: Assessment
    application: Application


ApplicationResult = Annotated[
    ApplicationSuccess | ValidationError | NotFoundError | ConflictError, strawberry.union("ApplicationResult")
]
ScoreResult = Annotated[ScoreSuccess | ValidationError | NotFoundError | ConflictError, strawberry.union("ScoreResult")]


def application_success(row: models.Application) -> ApplicationSuccess:
    return ApplicationSuccess(application=Application.from_row(row))


@strawberry.type
class ApplicationsQuery:
    @strawberry.field(extensions=needs(Permission.onboarding_read), description="Your station's application.")
    async def my_application(self, info: Info) -> Application:
        return Application.from_row(await info.context.run(applications.my_application))

    @strawberry.field(
        extensions=needs(Permission.onboarding_read),
        description="The onboarding pipeline, oldest first, by stage and region (an applicant sees its own).",
    )
    async def applications(
        self,
        info: Info,
        first: int,
        after: str | None = None,
        stage: rules.Stage | None = None,
        region_id: strawberry.ID | None = None,
    ) -> relay.Connection[Application]:
        rows = await info.context.run(
            applications.list_applications,
            first=first,
            after=keyset_after(after),
            stage=stage,
            region_id=uuid_of(region_id, "Region", "regionId") if region_id else None,
        )
        return connection(rows, first=first, node=Application.from_row, key=lambda r: (r.created_at.isoformat(), r.id))


@strawberry.type
class ApplicationsMutation:
    @strawberry.mutation(extensions=needs(Permission.application_edit), description="Save your application draft.")
    async def update_application(self, info: Info, input: ApplicationFormInput) -> ApplicationResult:  # noqa: A002
        values = {name: getattr(input, name) for name in vars(input) if name != "region_id"}

        async def run(session: AsyncSession, scope: Scope) -> models.Application:
            region = uuid_of(input.region_id, "Region", "input.regionId") if input.region_id else None
            return await applications.update_application(
                session, scope, applications.ApplicationForm(**values, region_id=region)
            )

        return await attempt(info.context, run, application_success)

    @strawberry.mutation(extensions=needs(Permission.application_edit), description="Submit your application.")
    async def submit_application(self, info: Info) -> ApplicationResult:
        return await attempt(info.context, applications.submit_application, application_success)

    @strawberry.mutation(
        extensions=needs(Permission.onboarding_manage),
        description="Score a submitted application with the current application rubric: shortlisted or reserve.",
    )
    async def score_application(self, info: Info, input: ScoreApplicationInput) -> ScoreResult:  # noqa: A002
        async def run(session: AsyncSession, scope: Scope) -> applications.Scoring:
            return await applications.score_application(
                session,
                scope,
                application_id=uuid_of(input.application_id, "Application", "input.applicationId"),
                marks={m.code: m.points for m in input.marks},
                notes={m.code: m.note for m in input.marks if m.note},
                note=input.note,
            )

        return await attempt(
            info.context,
            run,
            lambda done: ScoreSuccess(
                assessment=Assessment.from_row(done.assessment), application=Application.from_row(done.application)
            ),
        )

    @strawberry.mutation(
        extensions=needs(Permission.onboarding_manage),
        description="Suspend, re-activate or terminate a live station, with a reason (journaled).",
    )
    async def change_station_standing(
        self, info: Info, station_id: strawberry.ID, action: rules.StandingAction, reason: str
    ) -> ApplicationResult:
        async def run(session: AsyncSession, scope: Scope) -> models.Application:
            return await applications.change_station_standing(
                session,
                scope,
                station_id=uuid_of(station_id, "Station", "stationId"),
                action=rules.Action(action.value),
                reason=reason,
            )

        return await attempt(info.context, run, application_success)

    @strawberry.mutation(
        extensions=needs(Permission.onboarding_manage), description="Take an application out of the reserve."
    )
    async def reopen_application(self, info: Info, application_id: strawberry.ID, reason: str) -> ApplicationResult:
        async def run(session: AsyncSession, scope: Scope) -> models.Application:
            return await applications.reopen_application(
                session, scope, application_id=uuid_of(application_id, "Application", "applicationId"), reason=reason
            )

        return await attempt(info.context, run, application_success)
