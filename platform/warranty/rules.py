"""The warranty context's pure rules: claim types and statuses, the claim rules a warranty policy version
carries, and the checks a claim is judged by as of its repair date — each a small function of the claim's
facts that returns flags with a standard reason code and an explanation a station can read. The checks
flag; they never reject. A clean claim under the network's limit may be approved by the rules; anything
else goes to HQ's review queue.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from dealernet.policy.rules import ClaimRules
from dealernet.workshop.rules import PRICED_BY_POLICY, add_months

CENT = Decimal("0.01")
__all__ = ["ClaimRules"]  # the claim rules are the warranty policy's own (policy.rules); the checks read them


class ClaimType(enum.StrEnum):
    """What a claim asks the OEM to pay for."""

    NORMAL = "normal"  # 保修索赔: a failure under warranty
    FIRST_MAINTENANCE = "first_maintenance"  # 首保: the free first service
    FIELD_ACTION = "field_action"  # a campaign or recall from a bulletin naming the VIN
    PARTS_WARRANTY = "parts_warranty"  # a part fitted under an earlier repair failed
    GOODWILL = "goodwill"  # 善意索赔: a share of a cost outside coverage, always reviewed


class ClaimStatus(enum.StrEnum):
    """Where a claim is: written by the station, then judged and decided."""

    DRAFT = "draft"
    SUBMITTED = "submitted"  # in HQ's review queue
    APPROVED = "approved"  # 通过
    PARTLY_APPROVED = "partly_approved"  # 部分通过: some lines adjusted, each with its reason
    REJECTED = "rejected"  # 拒赔
    RETURNED = "returned"  # 退回: HQ asks for information; the station answers and submits again
    APPEALED = "appealed"  # 复判: the station appealed the decision; another reviewer decides


class ClaimDecision(enum.StrEnum):
    """HQ's decision on a submitted claim."""

    APPROVE = "approve"
    PARTLY_APPROVE = "partly_approve"
    REJECT = "reject"
    RETURN = "return"  # for information


DECIDED = {
    ClaimDecision.APPROVE: ClaimStatus.APPROVED,
    ClaimDecision.PARTLY_APPROVE: ClaimStatus.PARTLY_APPROVED,
    ClaimDecision.REJECT: ClaimStatus.REJECTED,
    ClaimDecision.RETURN: ClaimStatus.RETURNED,
}
EDITABLE = frozenset({ClaimStatus.DRAFT, ClaimStatus.RETURNED})  # the station may change and submit it


APPEALABLE = frozenset({ClaimStatus.REJECTED, ClaimStatus.PARTLY_APPROVED})


class AppealStatus(enum.StrEnum):
    """Where an appeal is."""

    OPEN = "open"
    GRANTED = "granted"  # the claim is approved in full
    UPHELD = "upheld"  # the decision stands


def appeal_closes_on(decided_on: date, claim_rules: ClaimRules) -> date:
    """The last day a decision may be appealed."""
    return decided_on + timedelta(days=claim_rules.appeal_within_days)


class PreauthorisationStatus(enum.StrEnum):
    """Where a pre-authorisation request (索赔预申请) is."""

    REQUESTED = "requested"
    APPROVED = "approved"
    DECLINED = "declined"


class ReasonCode(enum.StrEnum):
    """The standard reason codes of the checks (and of HQ's adjustments)."""

    COVERAGE_TIME_EXCEEDED = "coverage_time_exceeded"
    COVERAGE_KM_EXCEEDED = "coverage_km_exceeded"
    GROUP_NOT_COVERED = "group_not_covered"
    EXCLUDED_BY_TERMS = "excluded_by_terms"
    BEFORE_SALE = "before_sale"
    BEFORE_PRODUCTION = "before_production"
    DUPLICATE = "duplicate"
    ODOMETER_BACKWARDS = "odometer_backwards"
    LABOUR_ABOVE_FLAT_RATE = "labour_above_flat_rate"
    OVERLAPPING_LABOUR = "overlapping_labour"
    NEAR_COVERAGE_END = "near_coverage_end"
    COMEBACK = "comeback"
    SUBMITTED_LATE = "submitted_late"
    PREAUTHORISATION_MISSING = "preauthorisation_missing"
    PREAUTHORISATION_EXPIRED = "preauthorisation_expired"
    PREAUTHORISATION_EXCEEDED = "preauthorisation_exceeded"
    POLICY_NOT_DELIVERED = "policy_not_delivered"
    PRICE_DIFFERS = "price_differs"
    GOODWILL = "goodwill"
    NO_FIELD_ACTION = "no_field_action"
    FIRST_MAINTENANCE = "first_maintenance"
    CLAIM_RATE_SPIKE = "claim_rate_spike"
    INVOICED_COST = "invoiced_cost"
    NO_EARLIER_FITTING = "no_earlier_fitting"
    PARTS_WARRANTY_EXPIRED = "parts_warranty_expired"
    OTHER = "other"  # an adjustment or rejection whose reason the note gives


# --- The facts a claim is judged by ----------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """The coverage of the causal part's component group in force on the repair date at the station."""

    component_group: str
    months: int
    km: int
    ends_on: date  # the first day it no longer covers (from the sale date)
    version: str  # how the explanation names the warranty policy version


@dataclass(frozen=True)
class Preauthorised:
    """HQ's approval of the repair order's work before it was done."""

    approval_number: str
    amount: Decimal
    valid_until: date


@dataclass(frozen=True)
class Fitting:
    """An earlier finished repair that fitted the causal part: its day and odometer."""

    on: date
    km: int


@dataclass(frozen=True)
class ClaimRate:
    """The station's claims per 100 repair orders this month and its network's median, as last computed."""

    rate: Decimal
    network_rate: Decimal
    claims: int
    spiking: bool
    computed_on: date


@dataclass(frozen=True)
class LineFacts:
    """One claimed line and what the policy in force on the repair date says it is worth."""

    position: int
    kind: str  # labour, part, sublet or other
    code: str  # the operation code, the part number, or what the sublet work or other cost is
    quantity: Decimal  # hours for labour, units for parts
    unit_price: Decimal
    flat_rate_hours: Decimal | None = None  # labour: the operation's
    as_of_unit_price: Decimal | None = None  # what the price list or rate card in force says
    price_version: str = ""  # how the explanation names that version
    includes: tuple[str, ...] = ()  # labour: the operations the labour standard says its time covers


@dataclass(frozen=True)
class ClaimFacts:
    claim_type: ClaimType
    repair_date: date
    completed_on: date | None
    submitted_on: date
    odometer_km: int
    production_date: date
    sale_date: date | None
    causal_part: str  # its number and name, as the explanations cite it
    causal_part_words: tuple[str, ...]  # the words of its names an exclusion may name
    coverage: Coverage | None
    group: str  # the causal part's component group (or the first operation's)
    exclusions: tuple[str, ...]
    terms_version: str
    delivered: bool  # the warranty policy in force was delivered to the station
    lines: tuple[LineFacts, ...]
    rules: ClaimRules = field(default_factory=ClaimRules)
    duplicates: int = 0  # other claims naming the VIN and causal part within the window
    odometer_before: int | None = None  # the highest reading on the vehicle before this repair
    comeback: bool = False  # the repair order is back within an earlier repair's guarantee
    preauthorisation: Preauthorised | None = None
    vehicle: str = ""  # its model and VIN, as the explanations cite it
    field_actions: tuple[str, ...] = ()  # the bulletins in force on the repair date that name the vehicle
    first_maintenances: int = 0  # the vehicle's other first-maintenance claims, at any station
    claim_rate: ClaimRate | None = None  # the station's this month, as the daily job last computed it
    fitted: Fitting | None = None  # when the vehicle last had the causal part fitted, at any station
    standing_allows: bool = True  # the station's standing lets the rules approve its clean claims

    @property
    def total(self) -> Decimal:
        return sum((line.quantity * line.unit_price).quantize(CENT) for line in self.lines) or Decimal("0.00")


@dataclass(frozen=True)
class Flag:
    code: ReasonCode
    explanation: str
    line: int | None = None  # the claim line it is about (none: the claim)

    def as_dict(self) -> dict[str, Any]:
        return {"code": str(self.code), "explanation": self.explanation, "line": self.line}


Check = Callable[[ClaimFacts], list[Flag]]


def _km(value: int) -> str:
    return f"{value:,} km"


# --- The checks ------------------------------------------------------------------------------------------


def check_dates(f: ClaimFacts) -> list[Flag]:
    """A repair before the vehicle was built, or (warranty) before it was sold."""
    if f.repair_date < f.production_date:
        return [
            Flag(
                ReasonCode.BEFORE_PRODUCTION,
                f"repaired on {f.repair_date}, before its production on {f.production_date}",
            )
        ]
    if f.claim_type != ClaimType.GOODWILL and (f.sale_date is None or f.repair_date < f.sale_date):
        sold = f"sold on {f.sale_date}" if f.sale_date else "not sold yet: its warranty has not started"
        return [Flag(ReasonCode.BEFORE_SALE, f"repaired on {f.repair_date}; the vehicle was {sold}")]
    return []


def check_coverage(f: ClaimFacts) -> list[Flag]:
    """The component group covered, within its months and km, and not too close to the end of either."""
    if f.claim_type in (
        ClaimType.GOODWILL,
        ClaimType.FIELD_ACTION,
        ClaimType.FIRST_MAINTENANCE,
        ClaimType.PARTS_WARRANTY,
    ):
        return []  # goodwill is outside coverage by definition; the others have their own basis
    if f.coverage is None:
        return [
            Flag(
                ReasonCode.GROUP_NOT_COVERED,
                f"no coverage of {f.group} in force on {f.repair_date} ({f.terms_version})",
            )
        ]
    c, flags = f.coverage, []
    if f.repair_date >= c.ends_on:
        flags.append(
            Flag(
                ReasonCode.COVERAGE_TIME_EXCEEDED,
                f"{c.component_group} is covered {c.months} months, until "
                f"{c.ends_on - timedelta(days=1)}; repaired on {f.repair_date} ({c.version})",
            )
        )
    if f.odometer_km > c.km:
        flags.append(
            Flag(
                ReasonCode.COVERAGE_KM_EXCEEDED,
                f"{c.component_group} is covered to {_km(c.km)}; the odometer read {_km(f.odometer_km)} ({c.version})",
            )
        )
    if not flags:
        days_left, km_left = (c.ends_on - f.repair_date).days, c.km - f.odometer_km
        if days_left <= f.rules.coverage_end_days or km_left <= f.rules.coverage_end_km:
            flags.append(
                Flag(
                    ReasonCode.NEAR_COVERAGE_END,
                    f"repaired {days_left} days and {_km(km_left)} before the end "
                    f"of {c.component_group}'s coverage ({c.version})",
                )
            )
    return flags


def check_exclusions(f: ClaimFacts) -> list[Flag]:
    """An exclusion of the terms that names the causal part (not of 首保: maintenance replaces wear parts)."""
    if f.claim_type == ClaimType.FIRST_MAINTENANCE:
        return []
    for exclusion in f.exclusions:
        named = [w for w in f.causal_part_words if _names(exclusion, w)]
        if named:
            return [
                Flag(
                    ReasonCode.EXCLUDED_BY_TERMS,
                    f"the terms exclude “{exclusion}”, which names {named[0]!r} "
                    f"(causal part {f.causal_part}, {f.terms_version})",
                )
            ]
    return []


def _names(exclusion: str, word: str) -> bool:
    """Does an exclusion's text name the word (a whole word, plurals included; any Chinese substring)?"""
    if not word.isascii():
        return word in exclusion
    return re.search(rf"\b{re.escape(word.lower())}(e?s)?\b", exclusion.lower()) is not None


def check_duplicate(f: ClaimFacts) -> list[Flag]:
    if f.duplicates:
        return [
            Flag(
                ReasonCode.DUPLICATE,
                f"{f.duplicates} other claim(s) name this VIN and causal part {f.causal_part} "
                f"within {f.rules.duplicate_within_days} days of {f.repair_date}",
            )
        ]
    return []


def check_odometer(f: ClaimFacts) -> list[Flag]:
    if f.odometer_before is not None and f.odometer_km < f.odometer_before:
        return [
            Flag(
                ReasonCode.ODOMETER_BACKWARDS,
                f"the odometer read {_km(f.odometer_km)}, lower than the {_km(f.odometer_before)} of an earlier repair",
            )
        ]
    return []


def check_labour(f: ClaimFacts) -> list[Flag]:
    """Hours above the operation's flat rate; the same operation claimed twice, or one the labour standard
    declares included in another claimed operation."""
    flags: list[Flag] = []
    seen: dict[str, int] = {}
    claimed = {line.code: line for line in f.lines if line.kind == "labour"}
    for line in f.lines:
        if line.kind != "labour":
            continue
        if line.flat_rate_hours is not None and line.quantity > line.flat_rate_hours:
            flags.append(
                Flag(
                    ReasonCode.LABOUR_ABOVE_FLAT_RATE,
                    f"labour {line.quantity} h claimed, flat rate {line.flat_rate_hours} h for operation {line.code}",
                    line.position,
                )
            )
        if line.code in seen:
            flags.append(
                Flag(
                    ReasonCode.OVERLAPPING_LABOUR,
                    f"operation {line.code} is claimed on lines {seen[line.code]} and {line.position}",
                    line.position,
                )
            )
        seen.setdefault(line.code, line.position)
        for included in line.includes:
            if included in claimed:
                flags.append(
                    Flag(
                        ReasonCode.OVERLAPPING_LABOUR,
                        f"operation {included} (line {claimed[included].position}) is included in operation "
                        f"{line.code} (line {line.position}) by the labour standard",
                        claimed[included].position,
                    )
                )
    return flags


def check_prices(f: ClaimFacts) -> list[Flag]:
    """A unit price other than the one in force on the repair date (or none in force)."""
    flags: list[Flag] = []
    for line in f.lines:
        if line.kind not in PRICED_BY_POLICY:
            continue  # sublet work and other costs are priced by their invoice
        what = f"operation {line.code}'s labour rate" if line.kind == "labour" else f"part {line.code}"
        if line.as_of_unit_price is None:
            flags.append(
                Flag(
                    ReasonCode.PRICE_DIFFERS,
                    f"{what}: no price in force at the station on {f.repair_date}",
                    line.position,
                )
            )
        elif line.unit_price != line.as_of_unit_price:
            flags.append(
                Flag(
                    ReasonCode.PRICE_DIFFERS,
                    f"{what}: {line.unit_price} claimed, {line.as_of_unit_price} in "
                    f"force on {f.repair_date} ({line.price_version})",
                    line.position,
                )
            )
    return flags


_INVOICED = {"sublet": "sublet work (外协)", "other": "another cost (其他费用)"}


def check_invoiced_costs(f: ClaimFacts) -> list[Flag]:
    """Sublet work and other costs have no price in the policy: HQ reviews each against its invoice."""
    return [
        Flag(
            ReasonCode.INVOICED_COST,
            f"{_INVOICED[line.kind]} “{line.code}”: {line.unit_price} x {line.quantity}, reviewed against its invoice",
            line.position,
        )
        for line in f.lines
        if line.kind in _INVOICED
    ]


def check_comeback(f: ClaimFacts) -> list[Flag]:
    if f.comeback:
        return [
            Flag(
                ReasonCode.COMEBACK,
                "the vehicle is back within an earlier repair's quality guarantee: the rework is the station's cost",
            )
        ]
    return []


def check_submission(f: ClaimFacts) -> list[Flag]:
    """Submitted later than the terms allow after the repair's completion."""
    if f.completed_on is None:
        return []
    late = (f.submitted_on - f.completed_on).days - f.rules.submit_within_days
    if late > 0:
        return [
            Flag(
                ReasonCode.SUBMITTED_LATE,
                f"submitted {f.submitted_on}, {late} days after the "
                f"{f.rules.submit_within_days} the terms allow from the completion on {f.completed_on}",
            )
        ]
    return []


def check_preauthorisation(f: ClaimFacts) -> list[Flag]:
    """Above the amount the terms set, HQ's approval before the work: given, valid on the repair date, and
    covering what is claimed."""
    above, given = f.rules.preauthorisation_above, f.preauthorisation
    listed = [
        line.code for line in f.lines if line.kind == "labour" and line.code in f.rules.preauthorisation_operations
    ]
    if f.total <= above and not listed:
        return []
    if given is None and listed:
        return [
            Flag(
                ReasonCode.PREAUTHORISATION_MISSING,
                f"operation {listed[0]} always needs HQ's pre-authorisation, and none was given",
            )
        ]
    if given is None:
        return [
            Flag(
                ReasonCode.PREAUTHORISATION_MISSING,
                f"{f.total} claimed, above the {above} that needs HQ's pre-authorisation, and none was given",
            )
        ]
    if f.repair_date > given.valid_until:
        return [
            Flag(
                ReasonCode.PREAUTHORISATION_EXPIRED,
                f"pre-authorisation {given.approval_number} was valid "
                f"until {given.valid_until}; repaired on {f.repair_date}",
            )
        ]
    if f.total > given.amount:
        return [
            Flag(
                ReasonCode.PREAUTHORISATION_EXCEEDED,
                f"{f.total} claimed, above the {given.amount} pre-authorisation {given.approval_number} approved",
            )
        ]
    return []


def check_delivery(f: ClaimFacts) -> list[Flag]:
    if not f.delivered:
        return [
            Flag(
                ReasonCode.POLICY_NOT_DELIVERED,
                f"the warranty policy in force on {f.repair_date} ({f.terms_version}) was not delivered to the station",
            )
        ]
    return []


def check_goodwill(f: ClaimFacts) -> list[Flag]:
    if f.claim_type == ClaimType.GOODWILL:
        return [Flag(ReasonCode.GOODWILL, "a goodwill claim (a cost share outside coverage) is always reviewed")]
    return []


def check_field_action(f: ClaimFacts) -> list[Flag]:
    """A field action is claimed against a bulletin in force that names the vehicle (its model or VIN range)."""
    if f.claim_type == ClaimType.FIELD_ACTION and not f.field_actions:
        return [
            Flag(
                ReasonCode.NO_FIELD_ACTION,
                f"no technical bulletin in force on {f.repair_date} names this vehicle ({f.vehicle})",
            )
        ]
    return []


def check_first_maintenance(f: ClaimFacts) -> list[Flag]:
    """首保 once per vehicle (at any station), within its months or km of the sale."""
    if f.claim_type != ClaimType.FIRST_MAINTENANCE:
        return []
    flags = []
    if f.first_maintenances:
        flags.append(
            Flag(
                ReasonCode.FIRST_MAINTENANCE,
                f"the first maintenance of {f.vehicle or 'this vehicle'} is claimed already "
                f"({f.first_maintenances} other claim{'s' if f.first_maintenances > 1 else ''}): once per vehicle",
            )
        )
    months, km = f.rules.first_maintenance_months, f.rules.first_maintenance_km
    if f.sale_date is not None and (f.repair_date >= add_months(f.sale_date, months) or f.odometer_km > km):
        flags.append(
            Flag(
                ReasonCode.FIRST_MAINTENANCE,
                f"the first maintenance is due within {months} months or {_km(km)} of the sale on {f.sale_date}; "
                f"done on {f.repair_date} at {_km(f.odometer_km)} ({f.terms_version})",
            )
        )
    return flags


def check_parts_warranty(f: ClaimFacts) -> list[Flag]:
    """A part fitted under an earlier repair: that repair found, and the part within its own warranty since."""
    if f.claim_type != ClaimType.PARTS_WARRANTY:
        return []
    if f.fitted is None:
        return [
            Flag(
                ReasonCode.NO_EARLIER_FITTING,
                f"no earlier finished repair of {f.vehicle or 'this vehicle'} fitted {f.causal_part}, at any station",
            )
        ]
    months, km = f.rules.parts_warranty_months, f.rules.parts_warranty_km
    driven = f.odometer_km - f.fitted.km
    if f.repair_date >= add_months(f.fitted.on, months) or driven > km:
        return [
            Flag(
                ReasonCode.PARTS_WARRANTY_EXPIRED,
                f"{f.causal_part} was fitted on {f.fitted.on} at {_km(f.fitted.km)}: its warranty is {months} "
                f"months or {_km(km)}; it failed on {f.repair_date}, {_km(driven)} later ({f.terms_version})",
            )
        ]
    return []


def check_claim_rate(f: ClaimFacts) -> list[Flag]:
    """The station claims far more this month than its network's stations do (the daily job's finding)."""
    r = f.claim_rate
    if r is None or not r.spiking:
        return []
    return [
        Flag(
            ReasonCode.CLAIM_RATE_SPIKE,
            f"the station's claims this month: {r.claims}, {r.rate} per 100 repair orders against its network's "
            f"median of {r.network_rate} (computed {r.computed_on})",
        )
    ]


CHECKS: tuple[Check, ...] = (
    check_dates,
    check_coverage,
    check_exclusions,
    check_duplicate,
    check_odometer,
    check_labour,
    check_prices,
    check_invoiced_costs,
    check_comeback,
    check_submission,
    check_preauthorisation,
    check_delivery,
    check_goodwill,
    check_field_action,
    check_first_maintenance,
    check_parts_warranty,
    check_claim_rate,
)


def judge(facts: ClaimFacts, checks: Sequence[Check] = CHECKS) -> list[Flag]:
    """Every flag the checks raise, in the checks' order."""
    return [flag for check in checks for flag in check(facts)]


def may_auto_approve(flags: Sequence[Flag], total: Decimal, rules: ClaimRules, *, standing_allows: bool) -> bool:
    """A clean claim under the limit, from a station whose standing allows it, is approved by the rules."""
    return not flags and total < rules.auto_approve_below and standing_allows


def claim_number(year: int, seq: int) -> str:
    """WC2026000123: the station's warranty claims, numbered per year."""
    return f"WC{year}{seq:06d}"


class ReturnStatus(enum.StrEnum):
    """Where a failed part's return is."""

    AUTHORISED = "authorised"  # the station is to send it, tagged, by the due date
    SHIPPED = "shipped"
    RECEIVED = "received"  # at HQ's claim office
    INSPECTED = "inspected"  # the identification sheet's verdict is in


class Verdict(enum.StrEnum):
    """The identification sheet's (鉴定单) finding on a returned part."""

    SUPPLIER_DEFECT = "supplier_defect"  # the supplier's: a recovery claim
    STATION_FAULT = "station_fault"  # misdiagnosis or handling damage: the station's liability
    NO_FAULT_FOUND = "no_fault_found"
    WEAR_AND_TEAR = "wear_and_tear"


# Whose cost a returned part's verdict makes the repair: the supplier's defect is recovered from the supplier;
# every other verdict is the station's liability (a misdiagnosis, handling damage, no fault, wear and tear).
STATION_LIABLE = frozenset({Verdict.STATION_FAULT, Verdict.NO_FAULT_FOUND, Verdict.WEAR_AND_TEAR})
PART_NOT_RETURNED = "part_not_returned"  # a chargeback's reason when the part never came back


def chargeback_amount(claimed: Decimal, approved: Decimal | None) -> Decimal:
    """What the station owes back for a line: what was approved of it, or (not decided yet) what it claimed."""
    return approved if approved is not None else claimed


def tag_number(claim_number: str, position: int) -> str:
    """换下件标签: the tag a returned part carries, e.g. TAG-WC2026000042-2 for the claim's second line."""
    return f"TAG-{claim_number}-{position}"


def preauthorisation_number(year: int, seq: int) -> str:
    """PA2026000003: the station's pre-authorisation requests, numbered per year."""
    return f"PA{year}{seq:06d}"


def approval_number(request_number: str) -> str:
    """HQ's approval number of a request: APR2026000003 for PA2026000003."""
    return f"APR{request_number[2:]}"


def goodwill_amount(amount: Decimal, percent: Decimal) -> Decimal:
    """The OEM's share of a goodwill line, to the cent."""
    return (amount * percent / 100).quantize(CENT)


# --- Supplier recovery (追溯索赔) ---------------------------------------------------------------------------


class RecoveryStatus(enum.StrEnum):
    """Where a recovery claim against a supplier is."""

    OPEN = "open"  # lines the supplier has not answered yet
    DISPUTED = "disputed"  # a disputed line waits for HQ's resolution
    AGREED = "agreed"  # every line accepted or resolved: it goes on the supplier's statement


class RecoveryKind(enum.StrEnum):
    """What share of a claim line a recovery line claims back."""

    PART = "part"
    LABOUR = "labour"
    HANDLING = "handling"  # the handling of the part (freight, storage), a share of the part's amount


class RecoveryResponse(enum.StrEnum):
    """The supplier's answer to a recovery line."""

    ACCEPTED = "accepted"
    DISPUTED = "disputed"


class Resolution(enum.StrEnum):
    """HQ's resolution of a disputed recovery line."""

    UPHELD = "upheld"  # the supplier pays the line as claimed
    WAIVED = "waived"  # the supplier is right: nothing is recovered
    ADJUSTED = "adjusted"  # a lower amount, agreed


@dataclass(frozen=True, slots=True)
class Shares:
    """An agreement's shares, in percent."""

    part: Decimal
    labour: Decimal
    handling: Decimal


@dataclass(frozen=True, slots=True)
class RecoveryBasis:
    """A claim line a recovery may claim a share of."""

    claim_line_id: UUID
    kind: str  # the claim line's: part or labour
    amount: Decimal  # what the OEM pays for it: the approved amount, or the claimed one before a decision
    returned: bool  # the defective part itself (only its line is recovered as a part and handling)


def share_of(amount: Decimal, percent: Decimal) -> Decimal:
    """A percentage of an amount, to the cent (half up, as the statement prints it)."""
    return (amount * percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class RecoveryShare:
    """One line of a recovery claim: the share of a claim line's amount the supplier bears."""

    kind: RecoveryKind
    claim_line_id: UUID
    base: Decimal
    share: Decimal
    amount: Decimal


def _share(kind: RecoveryKind, line: RecoveryBasis, percent: Decimal) -> RecoveryShare:
    return RecoveryShare(kind, line.claim_line_id, line.amount, percent, share_of(line.amount, percent))


def recovery_lines(basis: Sequence[RecoveryBasis], shares: Shares) -> list[RecoveryShare]:
    """What a supplier-defect verdict claims back: the returned part's line at the part share and its handling
    share, and the claim's labour at the labour share; nothing for a share that comes to zero."""
    made: list[RecoveryShare] = []
    for line in basis:
        if line.kind == "part" and line.returned:
            made += [_share(RecoveryKind.PART, line, shares.part), _share(RecoveryKind.HANDLING, line, shares.handling)]
        elif line.kind == "labour":
            made.append(_share(RecoveryKind.LABOUR, line, shares.labour))
    return [row for row in made if row.amount > 0]


def recovered_amount(amount: Decimal, resolved: Decimal | None) -> Decimal:
    """What a recovery line recovers now: as claimed, unless HQ resolved its dispute at another amount."""
    return amount if resolved is None else resolved


def recovery_status(lines: Sequence[tuple[str | None, str | None]]) -> RecoveryStatus:
    """A recovery claim's status from its lines' (response, resolution)."""
    if any(response == RecoveryResponse.DISPUTED and resolution is None for response, resolution in lines):
        return RecoveryStatus.DISPUTED
    if any(response is None for response, _ in lines):
        return RecoveryStatus.OPEN
    return RecoveryStatus.AGREED


def recovery_number(year: int, seq: int) -> str:
    """RC2026000004: the network's recovery claims against its suppliers, numbered per year."""
    return f"RC{year}{seq:06d}"


# --- Settlement (结算) -------------------------------------------------------------------------------------


class StatementStatus(enum.StrEnum):
    """Where a settlement (or a supplier's recovery statement) is."""

    PUBLISHED = "published"  # to its addressee, who checks it
    ACKNOWLEDGED = "acknowledged"  # confirmed by the station (the supplier)
    PAID = "paid"  # the payment is recorded: the day and the bank's reference


def previous_month(today: date) -> tuple[date, date]:
    """The month before today's: a settlement run's default period."""
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end
