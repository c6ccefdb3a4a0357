"""The warranty policy (质量担保规定), published in versions: coverage per component group in months and km
(whichever comes first; effective-dated like prices, so a claim is judged by the coverage in force on its
repair date), and the version's terms — exclusions, repair-quality guarantee periods, the service types
it knows, and the three-guarantees (三包) parameters. The terms are data HQ enters, checked here against
the parameters the platform understands; the claims check (a later issue) reads them, it does not hard-code
them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import Permission, require
from dealernet.core.db import new_id
from dealernet.core.errors import ValidationFailed
from dealernet.core.scope import Scope
from dealernet.policy.models import Publication, WarrantyCoverage, WarrantyTerms
from dealernet.policy.rules import SERVICE_TYPES, ClaimRules
from dealernet.policy.service.publications import WARRANTY_POLICY, Target, draft_publication, open_draft, rows_of

# The three-guarantees parameters a policy may set, and what each means (all whole numbers).
THREE_GUARANTEES = {
    "repair_period_months": "包修期: months the seller repairs free of charge",
    "repair_period_km": "包修期: km the seller repairs free of charge",
    "validity_months": "三包有效期: months during which replacement or refund may be claimed",
    "validity_km": "三包有效期: km during which replacement or refund may be claimed",
    "refund_window_days": "days after delivery in which a serious fault entitles to a refund or replacement",
    "replacement_window_days": "days after delivery in which a major-part fault entitles to a replacement",
    "max_repairs_same_fault": "repairs of the same serious fault after which replacement may be claimed",
    "max_cumulative_repair_days": "days under repair in total after which replacement may be claimed",
}
MAX_LIST = 100


@dataclass(frozen=True)
class RepairGuarantee:
    """A repair's own quality guarantee, e.g. overhaul 20,000 km or 100 days."""

    repair: str
    km: int
    days: int


@dataclass(frozen=True)
class Terms:
    exclusions: Sequence[str] = ()
    repair_guarantees: Sequence[RepairGuarantee] = ()
    service_types: Sequence[str] = SERVICE_TYPES
    three_guarantees: Mapping[str, int] = field(default_factory=dict)
    claim_rules: ClaimRules = field(default_factory=ClaimRules)


def check_claim_rules(given: ClaimRules) -> tuple[ClaimRules, dict[str, str]]:
    """The claim rules as stored (groups and codes upper case), and what is wrong with them."""
    problems: dict[str, str] = {}
    days = {
        "submit_within_days": given.submit_within_days,
        "duplicate_within_days": given.duplicate_within_days,
        "coverage_end_days": given.coverage_end_days,
        "appeal_within_days": given.appeal_within_days,
        "return_within_days": given.return_within_days,
    }
    for name, value in days.items():
        if not 1 <= value <= 3_650:
            problems[f"terms.claim_rules.{name}"] = "1 to 3,650 days"
    if not 0 <= given.coverage_end_km <= 1_000_000:
        problems["terms.claim_rules.coverage_end_km"] = "0 to 1,000,000 km"
    for name, amount in (
        ("preauthorisation_above", given.preauthorisation_above),
        ("auto_approve_below", given.auto_approve_below),
    ):
        if not amount.is_finite() or amount < 0 or amount != round(amount, 2):
            problems[f"terms.claim_rules.{name}"] = "an amount of 0.00 or more"
    groups = tuple(g.strip().upper() for g in given.return_component_groups if g.strip())
    operations = tuple(o.strip().upper() for o in given.preauthorisation_operations if o.strip())
    if len(groups) > MAX_LIST or any(len(g) > 40 for g in groups):
        problems["terms.claim_rules.return_component_groups"] = f"at most {MAX_LIST} groups (or *)"
    if len(operations) > MAX_LIST or any(len(o) > 20 for o in operations):
        problems["terms.claim_rules.preauthorisation_operations"] = f"at most {MAX_LIST} operation codes"
    if not given.return_to.strip() or len(given.return_to) > 300:
        problems["terms.claim_rules.return_to"] = "1 to 300 characters"
    cleaned = replace(
        given, return_component_groups=groups, preauthorisation_operations=operations, return_to=given.return_to.strip()
    )
    return cleaned, problems


def check_terms(terms: Terms) -> Terms:
    """The terms as stored, or VALIDATION naming every bad field."""
    problems: dict[str, str] = {}
    exclusions = [e.strip() for e in terms.exclusions if e.strip()]
    if len(exclusions) > MAX_LIST or any(len(e) > 500 for e in exclusions):
        problems["terms.exclusions"] = f"at most {MAX_LIST}, each at most 500 characters"
    repairs = [RepairGuarantee(g.repair.strip(), g.km, g.days) for g in terms.repair_guarantees]
    if len(repairs) > MAX_LIST or any(not g.repair or len(g.repair) > 100 or g.km <= 0 or g.days <= 0 for g in repairs):
        problems["terms.repair_guarantees"] = "each names the repair and has km and days above 0"
    elif len({g.repair for g in repairs}) != len(repairs):
        problems["terms.repair_guarantees"] = "each repair once"
    types = [t for t in SERVICE_TYPES if t in terms.service_types]
    if not types or not set(terms.service_types) <= set(SERVICE_TYPES):
        problems["terms.service_types"] = f"one or more of {', '.join(SERVICE_TYPES)}"
    unknown = sorted(set(terms.three_guarantees) - set(THREE_GUARANTEES))
    if unknown:
        problems["terms.three_guarantees"] = f"unknown parameter {', '.join(unknown)}"
    elif any(
        not isinstance(v, int) or isinstance(v, bool) or not 0 < v < 1_000_000 for v in terms.three_guarantees.values()
    ):
        problems["terms.three_guarantees"] = "whole numbers above 0"
    claim_rules, bad_rules = check_claim_rules(terms.claim_rules)
    problems |= bad_rules
    if problems:
        raise ValidationFailed("the warranty terms are not valid", fields=problems)
    return Terms(exclusions, repairs, types, dict(terms.three_guarantees), claim_rules)


async def draft_warranty_policy(
    session: AsyncSession,
    scope: Scope,
    *,
    title: str,
    effective_on: date,
    terms: Terms,
    target: Target = Target(),
    acknowledge_within_days: int = 14,
) -> Publication:
    """A draft policy version with its terms; its coverage is set per component group."""
    terms = check_terms(terms)
    publication = await draft_publication(
        session,
        scope,
        kind=WARRANTY_POLICY,
        title=title,
        effective_on=effective_on,
        target=target,
        acknowledge_within_days=acknowledge_within_days,
    )
    session.add(
        WarrantyTerms(
            id=new_id(),
            network_id=publication.network_id,
            publication_id=publication.id,
            exclusions=list(terms.exclusions),
            repair_guarantees=[{"repair": g.repair, "km": g.km, "days": g.days} for g in terms.repair_guarantees],
            service_types=list(terms.service_types),
            three_guarantees=dict(terms.three_guarantees),
            claim_rules=terms.claim_rules.as_document(),
        )
    )
    await session.flush()
    return publication


async def set_coverage(
    session: AsyncSession, scope: Scope, *, publication_id: UUID, component_group: str, months: int, km: int
) -> WarrantyCoverage:
    """A component group's coverage in a draft policy version, set or changed."""
    require(scope, Permission.policy_publish)
    policy = await open_draft(session, publication_id, WARRANTY_POLICY)
    group = component_group.strip().upper()
    problems: dict[str, str] = {}
    if not group or len(group) > 40:
        problems["component_group"] = "1 to 40 characters"
    if not 0 < months <= 600:
        problems["months"] = "1 to 600"
    if not 0 < km <= 10_000_000:
        problems["km"] = "1 to 10,000,000"
    if problems:
        raise ValidationFailed("the coverage is not valid", fields=problems)
    found = await session.scalars(
        select(WarrantyCoverage).where(
            WarrantyCoverage.publication_id == policy.id, WarrantyCoverage.component_group == group
        )
    )
    coverage = found.first()
    if coverage is None:
        coverage = WarrantyCoverage(
            id=new_id(),
            network_id=policy.network_id,
            publication_id=policy.id,
            component_group=group,
            valid_from=policy.effective_on,
        )
        session.add(coverage)
    coverage.months, coverage.km = months, km
    await session.flush()
    return coverage


def whole_numbers(values: Mapping[str, Any], path: str) -> dict[str, int]:
    """GraphQL hands the three-guarantees parameters over as text or numbers; whole numbers only."""
    parsed: dict[str, int] = {}
    for name, value in values.items():
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ValidationFailed("whole numbers only", fields={f"{path}.{name}": "not a number"}) from None
        if number != number.to_integral_value():
            raise ValidationFailed("whole numbers only", fields={f"{path}.{name}": "not a whole number"})
        parsed[name] = int(number)
    return parsed


async def coverages_of(
    session: AsyncSession, scope: Scope, publication_ids: Sequence[UUID]
) -> dict[UUID, list[WarrantyCoverage]]:
    require(scope, Permission.policy_read)
    return await rows_of(session, WarrantyCoverage, publication_ids, WarrantyCoverage.component_group)


async def terms_of(session: AsyncSession, scope: Scope, publication_ids: Sequence[UUID]) -> dict[UUID, WarrantyTerms]:
    require(scope, Permission.policy_read)
    rows = await session.scalars(select(WarrantyTerms).where(WarrantyTerms.publication_id.in_(publication_ids)))
    return {row.publication_id: row for row in rows}
