"""The onboarding rules as pure functions (创建服务中心标准): the applicant's state machine, the scoring engine
shared by the application rubric, the interview standard and the acceptance checklist, and the committee's
quorum and majority. No database, no clock: the services load data, call these, store the result.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal


class Stage(enum.StrEnum):
    """Where an applicant is in the pipeline."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RESERVE = "reserve"
    SHORTLISTED = "shortlisted"
    VISIT_PLANNED = "visit_planned"
    VISITED = "visited"
    APPROVED = "approved"  # letter of intent issued; start-up orders under way
    RECTIFICATION = "rectification"
    ACCEPTED = "accepted"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"
    CANCELLED = "cancelled"


LABELS: dict[Stage, tuple[str, str]] = {
    Stage.DRAFT: ("申请填写中", "application in progress"),
    Stage.SUBMITTED: ("申请已提交", "application submitted"),
    Stage.RESERVE: ("存档备选", "kept in reserve"),
    Stage.SHORTLISTED: ("评分合格", "passed application scoring"),
    Stage.VISIT_PLANNED: ("实地走访已安排", "site visit planned"),
    Stage.VISITED: ("已走访, 待委员会决定", "visited, awaiting the committee"),
    Stage.APPROVED: ("已签意向书", "letter of intent issued"),
    Stage.RECTIFICATION: ("限期整改", "rectification with a deadline"),
    Stage.ACCEPTED: ("验收合格", "passed acceptance"),
    Stage.ACTIVE: ("正式运行", "active"),
    Stage.SUSPENDED: ("暂停", "suspended"),
    Stage.TERMINATED: ("终止", "terminated"),
    Stage.CANCELLED: ("取消合作意向", "letter of intent cancelled"),
}


class DocumentKind(enum.StrEnum):
    """A document a station hands in: with its application (申请材料), or as evidence of a profile change."""

    BUSINESS_LICENCE = "business_licence"
    TAX_REGISTRATION = "tax_registration"
    SITE_PHOTO = "site_photo"
    OTHER = "other"
    EVIDENCE_BEFORE = "evidence_before"
    EVIDENCE_AFTER = "evidence_after"


# Each document kind's (zh, en) labels; a submission needs the first two.
DOCUMENT_KINDS: dict[DocumentKind, tuple[str, str]] = {
    DocumentKind.BUSINESS_LICENCE: ("营业执照", "business licence"),
    DocumentKind.TAX_REGISTRATION: ("税务登记证", "tax registration certificate"),
    DocumentKind.SITE_PHOTO: ("场地照片", "site photo"),
    DocumentKind.OTHER: ("其他材料", "other document"),
    DocumentKind.EVIDENCE_BEFORE: ("变更前证明", "evidence before the change"),
    DocumentKind.EVIDENCE_AFTER: ("变更后证明", "evidence after the change"),
}
REQUIRED_DOCUMENTS = (DocumentKind.BUSINESS_LICENCE, DocumentKind.TAX_REGISTRATION)


def document_kind(given: str) -> DocumentKind | None:
    """A document kind as a client names it: the API's name (BUSINESS_LICENCE) or the stored one
    (business_licence); None for anything else."""
    name = given.strip().upper()
    return DocumentKind[name] if name in DocumentKind.__members__ else None


APPLICATION_DOCUMENTS = (*REQUIRED_DOCUMENTS, DocumentKind.SITE_PHOTO, DocumentKind.OTHER)
EVIDENCE = (DocumentKind.EVIDENCE_BEFORE, DocumentKind.EVIDENCE_AFTER)


class ProfileChangeKind(enum.StrEnum):
    """What a profile change (资料变更) changes."""

    CONTACTS = "contacts"
    ADDRESS = "address"
    SERVICE_AREA = "service_area"
    BANK_ACCOUNT = "bank_account"
    LEGAL_REPRESENTATIVE = "legal_representative"


class ProfileChangeStatus(enum.StrEnum):
    """Where a profile change is: recorded, then filed; key data waits for HQ's decision."""

    DRAFT = "draft"  # recorded, not yet filed
    IN_EFFECT = "in_effect"  # filed; not key data, so in effect at once
    PENDING = "pending"  # key data filed, awaiting HQ
    APPROVED = "approved"  # key data HQ approved: in effect
    REJECTED = "rejected"  # key data HQ rejected
    WITHDRAWN = "withdrawn"


# Profile changes: each kind, its labels and the profile fields it changes. Key data takes effect only once HQ
# approves it, on evidence of before and after; the rest when filed, due within FILE_WITHIN_DAYS.
PROFILE_KINDS: dict[ProfileChangeKind, tuple[str, str, tuple[str, ...]]] = {
    ProfileChangeKind.CONTACTS: ("联系人变更", "contacts", ("contact_name", "contact_phone", "contact_email")),
    ProfileChangeKind.ADDRESS: ("地址变更", "address", ("address",)),
    ProfileChangeKind.SERVICE_AREA: ("服务区域变更", "service area", ("service_area",)),
    ProfileChangeKind.BANK_ACCOUNT: ("银行账户变更", "bank account", ("bank_name", "bank_account")),
    ProfileChangeKind.LEGAL_REPRESENTATIVE: (
        "法定代表人变更",
        "legal representative",
        ("legal_representative",),
    ),
}
KEY_DATA = (ProfileChangeKind.BANK_ACCOUNT, ProfileChangeKind.LEGAL_REPRESENTATIVE)
FILE_WITHIN_DAYS = 3


def file_by(changed_on: date) -> date:
    return changed_on + timedelta(days=FILE_WITHIN_DAYS)


def filed_late(changed_on: date, filed_on: date) -> bool:
    return filed_on > file_by(changed_on)


class RubricKind(enum.StrEnum):
    """What a rubric scores: the application (申请评分), the interview, or the acceptance inspection (验收)."""

    APPLICATION = "application"
    INTERVIEW = "interview"
    ACCEPTANCE = "acceptance"


class StartupOrderKind(enum.StrEnum):
    """A start-up order of an approved applicant: tools and equipment, the start-up parts stock, the VI kit."""

    TOOLS = "tools"
    PARTS = "parts"
    VI = "vi"  # visual identity: signs and fittings


class OverdueKind(enum.StrEnum):
    """What an overdue onboarding item is."""

    RECTIFICATION = "rectification"  # a rectification item past its date
    STARTUP_ORDER = "startup_order"  # a start-up order not delivered by its date
    PROFILE_CHANGE = "profile_change"  # a profile change not filed within FILE_WITHIN_DAYS
    KEY_DATA_APPROVAL = "key_data_approval"  # key data filed and not yet decided by HQ
    CERTIFICATE = "certificate"  # a technician's certificate expired


class Action(enum.StrEnum):
    SUBMIT = "submit"
    PASS_SCORING = "pass_scoring"  # noqa: S105 - an action, not a password
    FAIL_SCORING = "fail_scoring"
    REOPEN = "reopen"
    PLAN_VISIT = "plan_visit"
    RECORD_VISIT = "record_visit"
    APPROVE = "approve"
    REJECT = "reject"
    PASS_ACCEPTANCE = "pass_acceptance"  # noqa: S105 - an action, not a password
    FAIL_ACCEPTANCE = "fail_acceptance"
    PASS_REINSPECTION = "pass_reinspection"  # noqa: S105 - an action, not a password
    FAIL_REINSPECTION = "fail_reinspection"
    SIGN_CONTRACT = "sign_contract"
    SUSPEND = "suspend"
    REACTIVATE = "reactivate"
    TERMINATE = "terminate"


class StandingAction(enum.StrEnum):
    """What HQ may do to a live station's standing (the actions of the same names)."""

    SUSPEND = Action.SUSPEND.value
    REACTIVATE = Action.REACTIVATE.value
    TERMINATE = Action.TERMINATE.value


TRANSITIONS: dict[tuple[Stage, Action], Stage] = {
    (Stage.DRAFT, Action.SUBMIT): Stage.SUBMITTED,
    (Stage.SUBMITTED, Action.PASS_SCORING): Stage.SHORTLISTED,
    (Stage.SUBMITTED, Action.FAIL_SCORING): Stage.RESERVE,
    (Stage.RESERVE, Action.REOPEN): Stage.SUBMITTED,
    (Stage.SHORTLISTED, Action.PLAN_VISIT): Stage.VISIT_PLANNED,
    (Stage.VISIT_PLANNED, Action.PLAN_VISIT): Stage.VISIT_PLANNED,  # re-planned: another date or visitors
    (Stage.VISIT_PLANNED, Action.RECORD_VISIT): Stage.VISITED,
    (Stage.VISITED, Action.APPROVE): Stage.APPROVED,
    (Stage.VISITED, Action.REJECT): Stage.RESERVE,
    (Stage.APPROVED, Action.PASS_ACCEPTANCE): Stage.ACCEPTED,
    (Stage.APPROVED, Action.FAIL_ACCEPTANCE): Stage.RECTIFICATION,
    (Stage.RECTIFICATION, Action.PASS_REINSPECTION): Stage.ACCEPTED,
    (Stage.RECTIFICATION, Action.FAIL_REINSPECTION): Stage.CANCELLED,
    (Stage.ACCEPTED, Action.SIGN_CONTRACT): Stage.ACTIVE,
    (Stage.ACTIVE, Action.SUSPEND): Stage.SUSPENDED,
    (Stage.SUSPENDED, Action.REACTIVATE): Stage.ACTIVE,
    (Stage.ACTIVE, Action.TERMINATE): Stage.TERMINATED,
    (Stage.SUSPENDED, Action.TERMINATE): Stage.TERMINATED,
}


class IllegalTransition(ValueError):
    def __init__(self, stage: Stage, action: Action) -> None:
        self.stage, self.action, self.allowed = stage, action, allowed_actions(stage)
        super().__init__(refusal(stage, action.value))


def refusal(stage: Stage | str, doing: str) -> str:
    """Why `doing` is refused in `stage`, naming what the stage allows."""
    allowed = ", ".join(a.value for a in allowed_actions(Stage(stage))) or "nothing"
    return f"cannot {doing} an applicant in stage {Stage(stage).value}; allowed: {allowed}"


def allowed_actions(stage: Stage) -> list[Action]:
    return [action for (from_stage, action) in TRANSITIONS if from_stage is stage]


def next_stage(stage: Stage, action: Action) -> Stage:
    """The stage `action` leads to, or IllegalTransition naming the current stage and what it allows."""
    try:
        return TRANSITIONS[(stage, action)]
    except KeyError:
        raise IllegalTransition(stage, action) from None


# --- Scoring ------------------------------------------------------------------------------------------

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Criterion:
    """One weighted item of a rubric (评分标准), scored from 0 to max_points."""

    code: str
    weight: Decimal
    max_points: int


@dataclass(frozen=True)
class ItemScore:
    code: str
    points: int | None  # None: not applicable, left out of the total
    weight: Decimal
    max_points: int
    earned: Decimal  # weight x points / max_points


@dataclass(frozen=True)
class Scored:
    total: Decimal  # earned / applicable weight x 100, two decimals
    passed: bool
    items: Sequence[ItemScore]


def score(criteria: Sequence[Criterion], marks: Mapping[str, int | None], *, pass_mark: Decimal) -> Scored:
    """Score marks against a rubric: each criterion earns weight x points / max, and the total is what was
    earned over the weight of the applicable criteria, out of 100 (so not-applicable items do not count).
    Every criterion must be marked — with points, or None for not applicable."""
    codes = [c.code for c in criteria]
    missing, unknown = sorted(set(codes) - set(marks)), sorted(set(marks) - set(codes))
    if missing or unknown:
        raise ValueError(f"marks missing for {missing} and unknown {unknown}")
    items: list[ItemScore] = []
    for criterion in criteria:
        points = marks[criterion.code]
        if points is not None and not 0 <= points <= criterion.max_points:
            raise ValueError(f"{criterion.code}: 0 to {criterion.max_points} points")
        earned = Decimal(0) if points is None else criterion.weight * points / criterion.max_points
        items.append(ItemScore(criterion.code, points, criterion.weight, criterion.max_points, earned))
    applicable = sum((i.weight for i in items if i.points is not None), Decimal(0))
    if applicable == 0:
        raise ValueError("at least one criterion must apply")
    total = (sum((i.earned for i in items), Decimal(0)) / applicable * HUNDRED).quantize(CENT, ROUND_HALF_UP)
    return Scored(total=total, passed=total >= pass_mark, items=items)


# --- The committee ------------------------------------------------------------------------------------


class Vote(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    ABSTAIN = "abstain"


class Decision(enum.StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    NO_QUORUM = "no_quorum"


def decide(votes: Sequence[Vote], *, members: int, quorum: int, majority: Decimal = Decimal("0.5")) -> Decision:
    """The committee's decision: at least `quorum` members voted (an abstention counts as present), and the
    approvals are more than the `majority` share of the votes cast for or against (0.5: a simple
    majority); otherwise rejected."""
    if members < 1 or not 1 <= quorum <= members or not Decimal(0) <= majority < 1:
        raise ValueError("a committee has members, a quorum among them and a majority share in [0, 1)")
    if len(votes) > members:
        raise ValueError("more votes than members")
    if len(votes) < quorum:
        return Decision.NO_QUORUM
    approvals = sum(1 for v in votes if v is Vote.APPROVE)
    cast = sum(1 for v in votes if v is not Vote.ABSTAIN)
    if cast and Decimal(approvals) / cast > majority:
        return Decision.APPROVED
    return Decision.REJECTED


# --- The dispatch check: may a station be given work of a service type and repair level on a day ---------


@dataclass(frozen=True)
class DispatchFacts:
    """What the dispatch check weighs, loaded by the service."""

    status: str  # the station's
    contract_service_types: frozenset[str] | None  # the contract in force on the day; None: no contract then
    contract_term: tuple[date, date] | None  # the latest contract's term, to say why none is in force
    tier: str | None
    tier_levels: frozenset[str] | None  # the tier's repair levels; None: the tier is not restricted
    certified_technicians: int  # certified for the service type on the day


def dispatch_refusals(facts: DispatchFacts, *, service_type: str, repair_level: str | None, on: date) -> list[str]:
    """Every reason the station may not be dispatched the work (none: it may): active, under a contract in
    force that covers the service type, a tier allowed the repair level, a technician certified for it."""
    reasons = []
    if facts.status != "active":
        reasons.append(f"the station is {facts.status}")
    if facts.contract_service_types is None:
        if facts.contract_term is None:
            reasons.append("the station has no contract")
        else:
            start, end = facts.contract_term
            reasons.append(f"no contract in force on {on.isoformat()} (the term is {start} to {end})")
    elif service_type not in facts.contract_service_types:
        reasons.append(f"the contract does not cover {service_type} work")
    if repair_level is not None and facts.tier_levels is not None and repair_level not in facts.tier_levels:
        tier = facts.tier or "(none)"
        reasons.append(f"a tier {tier} station may not do {repair_level.replace('_', ' ')}")
    if not facts.certified_technicians:
        reasons.append(f"no technician certified for {service_type} work on {on.isoformat()}")
    return reasons
