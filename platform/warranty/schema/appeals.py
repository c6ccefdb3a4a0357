"""GraphQL for appeals: the station appeals a decided claim once, in time, with its reason and evidence;
another reviewer grants or upholds."""

from __future__ import annotations

from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import Permission
from dealernet.core.scope import Scope
from dealernet.graphql.context import Info
from dealernet.graphql.payloads import attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import uuid_of
from dealernet.warranty import models
from dealernet.warranty.schema.claims import ClaimResult, success
from dealernet.warranty.service import appeals


@strawberry.input(description="The station's appeal of a rejected or partly approved claim.")
class AppealClaimInput:
    claim_id: strawberry.ID = strawberry.field(description="The claim (global id).")
    reason: str = strawberry.field(description="Why the decision is wrong.")
    evidence: str = strawberry.field(description="The evidence offered (what it is and where it is attached).")


@strawberry.input(description="A reviewer's decision on an appeal (not the reviewer who decided the claim).")
class DecideAppealInput:
    claim_id: strawberry.ID = strawberry.field(description="The appealed claim (global id).")
    grant: bool = strawberry.field(description="True: the claim is approved in full; false: the decision stands.")
    note: str = strawberry.field(description="The reviewer's reasons.")


@strawberry.type
class AppealsMutation:
    @strawberry.mutation(
        extensions=needs(Permission.warranty_claims_raise),
        description="Appeal HQ's rejection or partial approval of your claim, once, within the policy's period.",
    )
    async def appeal_claim(
        self, info: Info, input: Annotated[AppealClaimInput, strawberry.argument(description="The appeal.")]
    ) -> ClaimResult:
        async def run(session: AsyncSession, scope: Scope) -> models.Claim:
            return await appeals.appeal_claim(
                session, scope, claim_id=uuid_of(input.claim_id, "Claim", "claimId"), reason=input.reason,
                evidence=input.evidence,
            )  # fmt: skip

        return await attempt(info.context, run, success)

    @strawberry.mutation(
        extensions=needs(Permission.warranty_claims_decide),
        description="Decide an appeal: grant it (the claim approved in full) or uphold the decision.",
    )
    async def decide_appeal(
        self, info: Info, input: Annotated[DecideAppealInput, strawberry.argument(description="The decision.")]
    ) -> ClaimResult:
        async def run(session: AsyncSession, scope: Scope) -> models.Claim:
            return await appeals.decide_appeal(
                session, scope, claim_id=uuid_of(input.claim_id, "Claim", "claimId"), grant=input.grant,
                note=input.note,
            )  # fmt: skip

        return await attempt(info.context, run, success)
