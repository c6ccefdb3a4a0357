"""Onboarding services: the applicant's application form and the pipeline's moves —
each a transition of rules.py, guarded by an optimistic version (two concurrent moves cannot both win)
and journaled with who, when, why and the stage before and after.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import journal
from dealernet.core.access import Permission, require
from dealernet.core.db import group_by, new_id
from dealernet.core.errors import Conflict, NotFound, ValidationFailed
from dealernet.core.paging import check_page_size, cursor_time
from dealernet.core.scope import Scope
from dealernet.network import rules
from dealernet.network.models import Application, Assessment, StationDocument
from dealernet.network.service.rubrics import criteria_of, current_rubric
from dealernet.policy.service import publications
from dealernet.tenants.models import Network, Region, Station
from dealernet.tenants.service.directory import network_today

# --- Rubrics ------------------------------------------------------------------------------------------


# --- The application form -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplicationForm:
    """Fields of the form to change; None leaves a field as it is."""

    company_name: str | None = None
    legal_representative: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    registered_address: str | None = None
    site_address: str | None = None
    region_id: UUID | None = None
    workshop_area_m2: int | None = None
    bays: int | None = None
    staff: int | None = None
    certified_technicians: int | None = None
    equipment: Sequence[str] | None = None
    brands: Sequence[str] | None = None


TEXT_LIMITS = {
    "company_name": 200,
    "legal_representative": 100,
    "contact_name": 100,
    "contact_phone": 40,
    "registered_address": 300,
    "site_address": 300,
}
COUNTS = ("workshop_area_m2", "bays", "staff", "certified_technicians")
# What a submitted application must have (the documents join this list when uploads come).
REQUIRED = (
    "company_name",
    "legal_representative",
    "contact_name",
    "contact_phone",
    "registered_address",
    "site_address",
    "region_id",
    "workshop_area_m2",
    "bays",
    "staff",
    "certified_technicians",
    "brands",
)


def check_form(form: ApplicationForm) -> dict[str, Any]:
    """The changed fields as stored (trimmed), or VALIDATION naming every bad one."""
    changes: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name, limit in TEXT_LIMITS.items():
        value = getattr(form, name)
        if value is not None:
            if len(value.strip()) > limit or (name == "company_name" and not value.strip()):
                problems[name] = f"at most {limit} characters" + (", not empty" if name == "company_name" else "")
            changes[name] = value.strip()
    for name in COUNTS:
        value = getattr(form, name)
        if value is not None:
            if not 0 <= value <= 1_000_000:
                problems[name] = "0 to 1,000,000"
            changes[name] = value
    for name, limit in (("equipment", 100), ("brands", 40)):
        value = getattr(form, name)
        if value is not None:
            items = sorted({item.strip() for item in value if item.strip()})
            if len(items) > 200 or any(len(item) > limit for item in items):
                problems[name] = f"at most 200, each at most {limit} characters"
            changes[name] = items
    if form.region_id is not None:
        changes["region_id"] = form.region_id
    if problems:
        raise ValidationFailed("the application is not valid", fields=problems)
    return changes


async def my_application(session: AsyncSession, scope: Scope) -> Application:
    """The applicant's own application."""
    require(scope, Permission.onboarding_read)
    application = (await session.scalars(select(Application).where(Application.station_id == scope.station_id))).first()
    if application is None or not scope.is_station:
        raise NotFound("no application for this station")
    return application


async def update_application(session: AsyncSession, scope: Scope, form: ApplicationForm) -> Application:
    """Save the applicant's draft (any subset of fields); a submitted application no longer changes."""
    require(scope, Permission.application_edit)
    changes = check_form(form)
    application = await my_application(session, scope)
    if application.stage != rules.Stage.DRAFT:
        raise Conflict(f"the application is {application.stage}; only a draft can change")
    if "region_id" in changes and await session.get(Region, changes["region_id"]) is None:
        raise NotFound("no such region", fields={"region_id": "not found"})
    for name, value in changes.items():
        setattr(application, name, value)
    application.updated_at = datetime.now(UTC)
    await session.flush()
    return application


@dataclass(frozen=True)
class Missing:
    """What a submission still needs: the form's empty required fields, the required documents."""

    fields: list[str]
    documents: list[rules.DocumentKind]


def missing_for_submission(application: Application, handed_in: Collection[str]) -> Missing:
    fields = [name for name in REQUIRED if getattr(application, name) in (None, "", [])]
    documents = [kind for kind in rules.REQUIRED_DOCUMENTS if kind not in handed_in]
    return Missing(fields, documents)


async def document_kinds(session: AsyncSession, application_id: UUID) -> set[str]:
    query = select(StationDocument.kind).where(StationDocument.application_id == application_id).distinct()
    return set(await session.scalars(query))


async def submit_application(session: AsyncSession, scope: Scope) -> Application:
    """Submit the draft once it is complete; HQ scores it next."""
    require(scope, Permission.application_edit)
    application = await my_application(session, scope)
    missing = missing_for_submission(application, await document_kinds(session, application.id))
    if (missing.fields or missing.documents) and application.stage == rules.Stage.DRAFT:
        problems = {name: "required" for name in missing.fields}
        if missing.documents:
            problems["documents"] = "hand in " + ", ".join(kind.name for kind in missing.documents)
        raise ValidationFailed("the application is not complete", fields=problems)
    await move(session, scope, application, rules.Action.SUBMIT, reason="submitted by the applicant")
    application.submitted_at = datetime.now(UTC)
    await session.flush()
    return application


# --- Moves through the pipeline -----------------------------------------------------------------------


async def move(
    session: AsyncSession,
    scope: Scope,
    application: Application,
    action: rules.Action,
    *,
    reason: str,
    details: Mapping[str, Any] | None = None,
) -> rules.Stage:
    """Apply one transition: CONFLICT naming the stage and the allowed actions when it is illegal, or when
    another transition got there first (the version moved); journaled with before and after."""
    before = rules.Stage(application.stage)
    try:
        after = rules.next_stage(before, action)
    except rules.IllegalTransition as exc:
        raise Conflict(str(exc)) from None
    moved = await session.execute(
        update(Application)
        .where(Application.id == application.id, Application.version == application.version)
        .values(stage=after.value, version=Application.version + 1, updated_at=datetime.now(UTC))
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("the application changed meanwhile; reload it and try again")
    application.stage, application.version = after.value, application.version + 1
    await journal.record(
        session,
        scope,
        entity="application",
        entity_id=application.id,
        action=action.value,
        before={"stage": before.value},
        after={"stage": after.value, "reason": reason[:500], **(details or {})},
        station_id=application.station_id,
    )
    return after


async def application_of(session: AsyncSession, application_id: UUID) -> Application:
    application = await session.get(Application, application_id, with_for_update=True)
    if application is None:
        raise NotFound("no such application", fields={"application_id": "not found"})
    return application


@dataclass(frozen=True)
class Scoring:
    assessment: Assessment
    application: Application


async def record_assessment(
    session: AsyncSession,
    scope: Scope,
    application: Application,
    *,
    kind: str,
    marks: Mapping[str, int | None],
    notes: Mapping[str, str] | None = None,
    note: str = "",
    pass_mark: Decimal | None = None,
) -> Assessment:
    """Score marks with the current rubric of `kind` and keep the result item by item (the rubric version's
    labels and weights copied in, so a later version changes nothing)."""
    rubric = await current_rubric(session, scope, kind=kind)
    if rubric is None:
        raise Conflict(f"the network has no {kind} rubric yet; create one first")
    criteria = (await criteria_of(session, scope, [rubric.id]))[rubric.id]
    if pass_mark is None:
        network = await session.get(Network, application.network_id)
        assert network is not None
        pass_mark = network.application_pass_mark
    marks = {code.strip().upper(): points for code, points in marks.items()}
    try:
        scored = rules.score(
            [rules.Criterion(c.code, c.weight, c.max_points) for c in criteria], marks, pass_mark=pass_mark
        )
    except ValueError as exc:
        raise ValidationFailed(str(exc), fields={"marks": str(exc)}) from None
    labels = {c.code: c for c in criteria}
    notes = {code.strip().upper(): text for code, text in (notes or {}).items()}
    assessment = Assessment(
        id=new_id(),
        network_id=application.network_id,
        application_id=application.id,
        rubric_id=rubric.id,
        kind=kind,
        total=scored.total,
        pass_mark=pass_mark,
        passed=scored.passed,
        items=[
            {
                "code": item.code,
                "label_zh": labels[item.code].label_zh,
                "label_en": labels[item.code].label_en,
                "weight": str(item.weight),
                "max_points": item.max_points,
                "points": item.points,
                "earned": str(item.earned.quantize(Decimal("0.01"))),
                "note": notes.get(item.code, "")[:500],
            }
            for item in scored.items
        ],
        note=note.strip()[:2000],
        assessed_by=scope.actor_id,
    )
    session.add(assessment)
    await session.flush()
    return assessment


async def score_application(
    session: AsyncSession,
    scope: Scope,
    *,
    application_id: UUID,
    marks: Mapping[str, int | None],
    notes: Mapping[str, str] | None = None,
    note: str = "",
) -> Scoring:
    """Score a submitted application against the current application rubric: the score is kept item by
    item, and the application moves on (pass mark reached) or to the reserve."""
    require(scope, Permission.onboarding_manage)
    application = await application_of(session, application_id)
    if application.stage != rules.Stage.SUBMITTED:
        raise Conflict(rules.refusal(application.stage, "score"))
    assessment = await record_assessment(
        session, scope, application, kind=rules.RubricKind.APPLICATION, marks=marks, notes=notes, note=note
    )
    action = rules.Action.PASS_SCORING if assessment.passed else rules.Action.FAIL_SCORING
    details = {"score": str(assessment.total), "pass_mark": str(assessment.pass_mark)}
    await move(session, scope, application, action, reason=note or f"scored {assessment.total}", details=details)
    return Scoring(assessment, application)


async def reopen_application(session: AsyncSession, scope: Scope, *, application_id: UUID, reason: str) -> Application:
    """Take an application out of the reserve, back to scoring."""
    require(scope, Permission.onboarding_manage)
    if not reason.strip():
        raise ValidationFailed("say why it is reopened", fields={"reason": "required"})
    application = await application_of(session, application_id)
    await move(session, scope, application, rules.Action.REOPEN, reason=reason.strip())
    return application


# Suspension, termination, re-activation: the station's status follows its stage.
STATION_STATUS = {
    rules.Stage.ACTIVE: "active",
    rules.Stage.SUSPENDED: "suspended",
    rules.Stage.TERMINATED: "terminated",
}


async def change_station_standing(
    session: AsyncSession, scope: Scope, *, station_id: UUID, action: rules.Action, reason: str
) -> Application:
    """Suspend, re-activate or terminate a live station, with a reason; its users keep logging in and
    reading while suspended."""
    require(scope, Permission.onboarding_manage)
    if action not in (rules.Action.SUSPEND, rules.Action.REACTIVATE, rules.Action.TERMINATE):
        raise ValidationFailed("suspend, reactivate or terminate", fields={"action": "unknown"})
    if not reason.strip():
        raise ValidationFailed("say why", fields={"reason": "required"})
    application = (
        await session.scalars(select(Application).where(Application.station_id == station_id).with_for_update())
    ).first()
    if application is None:
        raise NotFound("no such station with an onboarding record", fields={"station_id": "not found"})
    stage = await move(session, scope, application, action, reason=reason.strip())
    await session.execute(update(Station).where(Station.id == station_id).values(status=STATION_STATUS[stage]))
    if stage == rules.Stage.ACTIVE:  # back in service: what was published meanwhile reaches it too
        today = await network_today(session, application.network_id)
        await publications.deliver_in_force(session, scope, station_id=station_id, today=today)
    return application


# --- Reading the pipeline -----------------------------------------------------------------------------


async def applications_by_id(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, Application]:
    require(scope, Permission.onboarding_read)
    return {row.id: row for row in await session.scalars(select(Application).where(Application.id.in_(ids)))}


async def list_applications(
    session: AsyncSession,
    scope: Scope,
    *,
    first: int,
    after: tuple[str, UUID] | None = None,
    stage: str | None = None,
    region_id: UUID | None = None,
) -> list[Application]:
    """HQ's pipeline, oldest first (an applicant sees its own); first + 1 rows."""
    require(scope, Permission.onboarding_read)
    check_page_size(first)
    where: list[ColumnElement[bool]] = []
    if stage:
        where.append(Application.stage == stage)
    if region_id:
        where.append(Application.region_id == region_id)
    if after is not None:
        where.append(tuple_(Application.created_at, Application.id) > tuple_(cursor_time(after[0]), after[1]))
    stmt = select(Application).where(*where).order_by(Application.created_at, Application.id).limit(first + 1)
    return list(await session.scalars(stmt))


async def assessments_of(
    session: AsyncSession, scope: Scope, application_ids: Sequence[UUID]
) -> dict[UUID, list[Assessment]]:
    require(scope, Permission.onboarding_manage)
    rows = await session.scalars(
        select(Assessment).where(Assessment.application_id.in_(application_ids)).order_by(Assessment.assessed_at)
    )
    return group_by(rows, application_ids, lambda row: row.application_id)


# --- The network's onboarding rules -------------------------------------------------------------------
