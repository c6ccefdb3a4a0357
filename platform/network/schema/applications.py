"""GraphQL for onboarding: the applicant fills in and submits its application; HQ network development keeps
the rubrics, scores applications (explained item by item) and follows the pipeline by stage and region."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from dealernet.core.access import Permission
from dealernet.core.errors import api_path
from dealernet.core.scope import Scope
from dealernet.graphql import compiled
from dealernet.graphql.context import Info, by_id_loader
from dealernet.graphql.enums import expose
from dealernet.graphql.masking import Pii, pii
from dealernet.graphql.payloads import ConflictError, ForbiddenError, NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import After, First, connection, gid, keyset_after, load_nodes, uuid_of
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


expose(
    rules.Stage,
    description="Where an applicant is in the onboarding pipeline (labels: stageLabel).",
    values={
        rules.Stage.DRAFT: "The applicant is filling in the application.",
        rules.Stage.SUBMITTED: "Submitted; awaiting application scoring.",
        rules.Stage.RESERVE: "Failed scoring or was rejected; kept in reserve and may be reopened.",
        rules.Stage.SHORTLISTED: "Passed application scoring; a site visit comes next.",
        rules.Stage.VISIT_PLANNED: "A site visit is planned.",
        rules.Stage.VISITED: "Visited and interviewed; awaiting the committee.",
        rules.Stage.APPROVED: "The committee approved: letter of intent issued, start-up orders under way.",
        rules.Stage.RECTIFICATION: "Failed acceptance; rectification items to close by their dates.",
        rules.Stage.ACCEPTED: "Passed acceptance; the contract is to be signed.",
        rules.Stage.ACTIVE: "Contract signed: a live service station.",
        rules.Stage.SUSPENDED: "A live station HQ suspended.",
        rules.Stage.TERMINATED: "A station whose contract HQ terminated.",
        rules.Stage.CANCELLED: "The letter of intent was cancelled (acceptance failed again).",
    },
)
expose(
    rules.Action,
    description="A move of the onboarding pipeline, from one stage to the next.",
    values={
        rules.Action.SUBMIT: "The applicant submits the application.",
        rules.Action.PASS_SCORING: "The application passed scoring.",
        rules.Action.FAIL_SCORING: "The application failed scoring.",
        rules.Action.REOPEN: "HQ reopens an application kept in reserve.",
        rules.Action.PLAN_VISIT: "HQ plans the site visit.",
        rules.Action.RECORD_VISIT: "HQ records the visit and the interview.",
        rules.Action.APPROVE: "The committee approves.",
        rules.Action.REJECT: "The committee rejects.",
        rules.Action.PASS_ACCEPTANCE: "The acceptance inspection passed.",
        rules.Action.FAIL_ACCEPTANCE: "The acceptance inspection failed: rectification follows.",
        rules.Action.PASS_REINSPECTION: "The re-inspection after rectification passed.",
        rules.Action.FAIL_REINSPECTION: "The re-inspection failed: the letter of intent is cancelled.",
        rules.Action.SIGN_CONTRACT: "HQ signs the contract: the station goes live.",
        rules.Action.SUSPEND: "HQ suspends a live station.",
        rules.Action.REACTIVATE: "HQ reactivates a suspended station.",
        rules.Action.TERMINATE: "HQ terminates a station's contract.",
    },
)
expose(
    rules.StandingAction,
    description="What HQ may do to a live station's standing.",
    values={
        rules.StandingAction.SUSPEND: "Suspend: its people still read, they no longer submit.",
        rules.StandingAction.REACTIVATE: "Reactivate a suspended station.",
        rules.StandingAction.TERMINATE: "Terminate the contract; the station is closed for good.",
    },
)
expose(
    rules.Vote,
    description="A committee member's vote.",
    values={
        rules.Vote.APPROVE: "For the application.",
        rules.Vote.REJECT: "Against the application.",
        rules.Vote.ABSTAIN: "Counts towards the quorum, not the majority.",
    },
)
expose(
    rules.Decision,
    description="The development committee's decision.",
    values={
        rules.Decision.APPROVED: "A quorum voted and the majority approved.",
        rules.Decision.REJECTED: "A quorum voted and the majority did not approve.",
        rules.Decision.NO_QUORUM: "Too few members voted to decide.",
    },
)
expose(
    rules.RubricKind,
    description="What a rubric scores: the application, the interview or the acceptance.",
    values={
        rules.RubricKind.APPLICATION: "Scores a submitted application (申请评分).",
        rules.RubricKind.INTERVIEW: "Scores the interview at the site visit.",
        rules.RubricKind.ACCEPTANCE: "The acceptance inspection's checklist (验收).",
    },
)
expose(
    rules.StartupOrderKind,
    description="What a start-up order supplies.",
    values={
        rules.StartupOrderKind.TOOLS: "Special tools and equipment.",
        rules.StartupOrderKind.PARTS: "The start-up parts stock.",
        rules.StartupOrderKind.VI: "The visual identity kit: signs and fittings.",
    },
)
expose(
    rules.DocumentKind,
    description="A document a station hands in (labels: kindLabel).",
    values={
        rules.DocumentKind.BUSINESS_LICENCE: "营业执照: the business licence (needed to submit).",
        rules.DocumentKind.TAX_REGISTRATION: "税务登记证: the tax registration certificate (needed to submit).",
        rules.DocumentKind.SITE_PHOTO: "A photo of the site.",
        rules.DocumentKind.OTHER: "Any other supporting document.",
        rules.DocumentKind.EVIDENCE_BEFORE: "Evidence of the data before a key-data change.",
        rules.DocumentKind.EVIDENCE_AFTER: "Evidence of the data after a key-data change.",
    },
)


@strawberry.type(description="A pipeline stage with its Chinese and English labels.")
class StageLabel:
    stage: str = strawberry.field(description="The stage or kind, as stored (lower case).")
    zh: str = strawberry.field(description="The Chinese label.")
    en: str = strawberry.field(description="The English label.")

    @classmethod
    def of(cls, stage: str) -> StageLabel:
        zh, en = rules.LABELS[rules.Stage(stage)]
        return cls(stage=stage, zh=zh, en=en)


@strawberry.type(description="One criterion's score: points of max (null: not applicable) and the weight earned.")
class AssessmentItem:
    code: str = strawberry.field(description="Its code, unique in its list.")
    label_zh: str = strawberry.field(description="The Chinese label.")
    label_en: str = strawberry.field(description="The English label.")
    weight: Decimal = strawberry.field(description="Its weight in the total.")
    max_points: int = strawberry.field(description="The most points it can earn.")
    points: int | None = strawberry.field(
        description="The points given; empty: not applicable (left out of the total)."
    )
    earned: Decimal = strawberry.field(description="Its share of the total: points over max points, times its weight.")
    note: str = strawberry.field(description="The assessor's note on it.")


@strawberry.type(description="A scoring against one rubric version, explained item by item.")
class Assessment:
    id: strawberry.ID = strawberry.field(description="The object's global id.")
    kind: rules.RubricKind = strawberry.field(description="The rubric it scored against.")
    total: Decimal = strawberry.field(description="Earned over applicable weight, out of 100.")
    pass_mark: Decimal = strawberry.field(description="The mark needed to pass, out of 100.")
    passed: bool = strawberry.field(description="Whether the total reached the pass mark.")
    note: str = strawberry.field(description="The assessor's note.")
    assessed_at: datetime = strawberry.field(description="When it was scored.")
    items: list[AssessmentItem] = strawberry.field(description="Each criterion with its points.")

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
    number: str = strawberry.field(description="The letter's number.")
    issued_at: datetime = strawberry.field(description="When it was issued.")
    url: str = strawberry.field(description="The PDF, with your bearer token.")

    @classmethod
    def from_row(cls, row: models.LetterOfIntent) -> LetterOfIntent:
        return cls(
            number=row.number, issued_at=row.issued_at, url=f"/letters-of-intent/{gid('LetterOfIntent', row.id)}"
        )


@strawberry.type(description="A start-up order: tools and equipment, the start-up parts stock or the VI kit.")
class StartupOrder:
    id: strawberry.ID = strawberry.field(description="The object's global id.")
    kind: rules.StartupOrderKind = strawberry.field(description="What the order supplies.")
    reference: str = strawberry.field(description="The order's reference, e.g. PO-2026-01.")
    due_on: date = strawberry.field(description="The day it must be delivered by.")
    ordered_at: datetime = strawberry.field(description="When it was placed.")
    delivered_at: datetime | None = strawberry.field(description="When delivery was confirmed; empty until then.")

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
    code: str = strawberry.field(description="The checklist item that failed.")
    label_zh: str = strawberry.field(description="The Chinese label.")
    label_en: str = strawberry.field(description="The English label.")
    due_on: date = strawberry.field(description="The day it must be put right by.")
    closed_at: datetime | None = strawberry.field(description="When it was put right; empty while open.")

    @classmethod
    def from_row(cls, row: models.RectificationItem) -> RectificationItem:
        return cls(
            code=row.code, label_zh=row.label_zh, label_en=row.label_en, due_on=row.due_on, closed_at=row.closed_at
        )


@strawberry.type(description="The authorised service agreement: the station's authorisation number and certificate.")
class Contract:
    authorisation_number: str = strawberry.field(description="The station's authorisation number (授权号).")
    term_start: date = strawberry.field(description="The contract's first day.")
    term_end: date = strawberry.field(description="The contract's last day.")
    service_types: list[ServiceType] = strawberry.field(description="The service types the station may do.")
    signed_at: datetime = strawberry.field(description="When it was signed.")
    certificate_url: str = strawberry.field(description="The authorisation certificate's PDF, with your bearer token.")

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
    member_id: strawberry.ID = strawberry.field(description="The committee member (a user's global id).")
    vote: rules.Vote = strawberry.field(description="How they voted.")
    comment: str = strawberry.field(description="The member's comment.")
    voted_at: datetime = strawberry.field(description="When they voted (a later vote replaces it).")


@strawberry.type(description="A document a station handed in (营业执照, 税务登记证, site photos).")
class StationDocument:
    id: strawberry.ID = strawberry.field(description="Download it at /documents/{id}.")
    kind: rules.DocumentKind = strawberry.field(description="What the document is.")
    kind_label: StageLabel = strawberry.field(description="The kind's labels (zh, en).")
    filename: str = strawberry.field(description="The file's name as uploaded.")
    content_type: str = strawberry.field(description="The file's media type, e.g. application/pdf.")
    size: int = strawberry.field(description="The file's size in bytes.")
    sha256: str = strawberry.field(description="The SHA-256 of the file's content, hex.")
    uploaded_at: datetime = strawberry.field(description="When it was uploaded.")

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
    caption: str = strawberry.field(description="What the photo shows.")
    filename: str = strawberry.field(description="The file's name as uploaded.")
    content_type: str = strawberry.field(description="The file's media type, e.g. application/pdf.")
    size: int = strawberry.field(description="The file's size in bytes.")
    sha256: str = strawberry.field(description="The SHA-256 of the file's content, hex.")
    uploaded_at: datetime = strawberry.field(description="When it was uploaded.")


@strawberry.type(description="One topic of the site survey and what the visitors found.")
class SurveyNote:
    topic: str = strawberry.field(description="The survey topic, e.g. technical strength.")
    text: str = strawberry.field(description="What was noted.")


@strawberry.type(description="The site visit (实地走访): who, when, the survey, the findings and the photos.")
class SiteVisit:
    planned_on: date = strawberry.field(description="The day the visit is planned for.")
    visitor_ids: list[strawberry.ID] = strawberry.field(description="The HQ users visiting (global ids).")
    visited_at: datetime | None = strawberry.field(description="When the visit was recorded; empty until then.")
    survey: list[SurveyNote] = strawberry.field(description="The survey notes, by topic.")
    findings: str = strawberry.field(description="The visitors' findings.")
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
    stage: rules.Stage = strawberry.field(description="Where it is in the pipeline.")
    company_name: str = strawberry.field(description="The applicant company's name.")
    legal_representative: str = strawberry.field(
        extensions=pii(Pii.name), description="The legal representative (法定代表人)."
    )
    contact_name: str = strawberry.field(extensions=pii(Pii.name), description="The contact person's name.")
    contact_phone: str = strawberry.field(extensions=pii(Pii.phone), description="The contact person's phone number.")
    registered_address: str = strawberry.field(description="The registered address on the business licence.")
    site_address: str = strawberry.field(description="The address of the workshop site.")
    region_id: strawberry.ID | None = strawberry.field(description="The region it would serve (global id).")
    workshop_area_m2: int | None = strawberry.field(description="The workshop's floor area in square metres.")
    bays: int | None = strawberry.field(description="Number of repair bays.")
    staff: int | None = strawberry.field(description="Number of staff.")
    certified_technicians: int | None = strawberry.field(description="Number of certified technicians.")
    equipment: list[str] = strawberry.field(description="Equipment on site.")
    brands: list[str] = strawberry.field(description="Vehicle brands serviced.")
    submitted_at: datetime | None = strawberry.field(description="When it was submitted; empty while a draft.")
    created_at: datetime = strawberry.field(description="When it was created.")
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

    @strawberry.field(
        description="What a submission still needs (empty once complete): the form's fields by their input "
        "names (companyName), and the documents by their kind, as the upload's `kind` takes it (BUSINESS_LICENCE)."
    )
    async def missing_for_submission(self, info: Info) -> list[str]:
        row = await info.context.loader("application", _application_loader).load(self.id)
        if row is None or row.stage != rules.Stage.DRAFT:
            return []
        handed_in = await info.context.loader("documents", _documents_loader).load(self.id)
        missing = applications.missing_for_submission(row, {d.kind for d in handed_in or []})
        return [*(api_path(name) for name in missing.fields), *(kind.name for kind in missing.documents)]

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
    company_name: str | None = strawberry.field(default=None, description="The applicant company's name.")
    legal_representative: str | None = strawberry.field(
        default=None, description="The legal representative (法定代表人)."
    )
    contact_name: str | None = strawberry.field(default=None, description="The contact person's name.")
    contact_phone: str | None = strawberry.field(default=None, description="The contact person's phone number.")
    registered_address: str | None = strawberry.field(
        default=None, description="The registered address on the business licence."
    )
    site_address: str | None = strawberry.field(default=None, description="The address of the workshop site.")
    region_id: strawberry.ID | None = strawberry.field(
        default=None, description="The region it would serve (global id)."
    )
    workshop_area_m2: int | None = strawberry.field(
        default=None, description="The workshop's floor area in square metres."
    )
    bays: int | None = strawberry.field(default=None, description="Number of repair bays.")
    staff: int | None = strawberry.field(default=None, description="Number of staff.")
    certified_technicians: int | None = strawberry.field(default=None, description="Number of certified technicians.")
    equipment: list[str] | None = strawberry.field(default=None, description="Equipment on site.")
    brands: list[str] | None = strawberry.field(default=None, description="Vehicle brands serviced.")


@strawberry.input(description="One criterion's points; null points: not applicable.")
class MarkInput:
    code: str = strawberry.field(description="The rubric criterion's code.")
    points: int | None = strawberry.field(description="Points given, 0 to the criterion's max; empty: not applicable.")
    note: str = strawberry.field(default="", description="A note on this criterion.")


@strawberry.input(description="HQ's scoring of a submitted application against the current application rubric.")
class ScoreApplicationInput:
    application_id: strawberry.ID = strawberry.field(description="The submitted application (global id).")
    marks: list[MarkInput] = strawberry.field(description="Points per criterion of the rubric.")
    note: str = strawberry.field(default="", description="The assessor's note.")


@strawberry.type(description="A mutation of an application worked: the application as it now stands.")
class ApplicationSuccess:
    application: Application = strawberry.field(description="The application, as it now stands.")


@strawberry.type(description="What `scoreApplication` answers when it worked.")
class ScoreSuccess:
    assessment: Assessment = strawberry.field(description="The scoring, explained item by item.")
    application: Application = strawberry.field(description="The application, as it now stands.")


ApplicationResult = Annotated[
    ApplicationSuccess | ValidationError | NotFoundError | ConflictError | ForbiddenError,
    strawberry.union(
        "ApplicationResult",
        description=(
            "ApplicationSuccess when it worked; otherwise ValidationError, NotFoundError, ConflictError, "
            "ForbiddenError (e.g. a vote by someone not on the committee) saying why nothing changed."
        ),
    ),
]
ScoreResult = Annotated[
    ScoreSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union(
        "ScoreResult",
        description=(
            "ScoreSuccess when it worked; otherwise ValidationError, NotFoundError, ConflictError "
            "saying why nothing changed."
        ),
    ),
]


def application_success(row: models.Application) -> ApplicationSuccess:
    return ApplicationSuccess(application=Application.from_row(row))


# The pipeline page compiled to one statement (graphql/compiled.py): the fields it covers (the contact's name and
# phone masked in SQL by their pii declarations for anyone the resolver masks them for).
APPLICATION_ROWS = compiled.Rows(
    "Application",
    {
        "id": compiled.NODE_ID,
        "region_id": compiled.gid_of("Region", "region_id"),
        "station_id": compiled.gid_of("Station", "station_id"),
        **{
            name: compiled.column(name)
            for name in (
                "stage", "company_name", "legal_representative", "contact_name", "contact_phone",
                "registered_address", "site_address", "workshop_area_m2", "bays", "staff", "certified_technicians",
                "equipment", "brands", "submitted_at", "created_at",
            )
        },
    },
)  # fmt: skip


def _application_terms(args: Mapping[str, Any], bind: compiled.Binder, _scope: Scope) -> list[str]:
    """applications.list_applications's filters, as SQL."""
    terms = []
    if args.get("stage"):
        terms.append(f"{{r}}.stage = {bind(str(args['stage']))}")
    if args.get("regionId"):
        terms.append(f"{{r}}.region_id = {bind(uuid_of(args['regionId'], 'Region', 'regionId'))}::uuid")
    return terms


APPLICATIONS_PAGE = compiled.Page(
    "applications", APPLICATION_ROWS, table="applications", key="created_at", key_type=compiled.KeyType.TIME,
    where=_application_terms,
)  # fmt: skip


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
        first: First,
        after: After = None,
        stage: Annotated[rules.Stage | None, strawberry.argument(description="Only those at this stage.")] = None,
        region_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only those of this region (global id).")
        ] = None,
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
    async def update_application(
        self,
        info: Info,
        input: Annotated[
            ApplicationFormInput,
            strawberry.argument(description="The fields to change; those left out keep their values."),
        ],
    ) -> ApplicationResult:
        values = {name: getattr(input, name) for name in vars(input) if name != "region_id"}

        async def run(session: AsyncSession, scope: Scope) -> models.Application:
            region = uuid_of(input.region_id, "Region", "regionId") if input.region_id else None
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
    async def score_application(
        self,
        info: Info,
        input: Annotated[
            ScoreApplicationInput,
            strawberry.argument(description="The application and its marks against the application rubric."),
        ],
    ) -> ScoreResult:
        async def run(session: AsyncSession, scope: Scope) -> applications.Scoring:
            return await applications.score_application(
                session,
                scope,
                application_id=uuid_of(input.application_id, "Application", "applicationId"),
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
        self,
        info: Info,
        station_id: Annotated[strawberry.ID, strawberry.argument(description="The live station (global id).")],
        action: Annotated[rules.StandingAction, strawberry.argument(description="What to do to its standing.")],
        reason: Annotated[str, strawberry.argument(description="Why, in words; kept in the journal.")],
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
    async def reopen_application(
        self,
        info: Info,
        application_id: Annotated[
            strawberry.ID, strawberry.argument(description="An application kept in reserve (global id).")
        ],
        reason: Annotated[str, strawberry.argument(description="Why, in words; kept in the journal.")],
    ) -> ApplicationResult:
        async def run(session: AsyncSession, scope: Scope) -> models.Application:
            return await applications.reopen_application(
                session, scope, application_id=uuid_of(application_id, "Application", "applicationId"), reason=reason
            )

        return await attempt(info.context, run, application_success)
