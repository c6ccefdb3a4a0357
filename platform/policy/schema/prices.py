"""GraphQL for prices: a price list's part prices and the regional price coefficients (地区差价)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import Permission
from dealernet.core.scope import Scope
from dealernet.graphql.context import Info, by_id_loader
from dealernet.graphql.payloads import ConflictError, NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import gid, uuid_of
from dealernet.graphql.scalars import Money
from dealernet.policy import models
from dealernet.policy.service import prices

if TYPE_CHECKING:
    pass


coefficients_loader = by_id_loader(prices.coefficients_of)


@strawberry.type(description="A region's price coefficient (地区差价): national price times this.")
class PriceCoefficient:
    region_id: strawberry.ID = strawberry.field(description="The region (global id).")
    coefficient: Decimal = strawberry.field(description="The factor applied to national prices, e.g. 1.05.")
    valid_from: date = strawberry.field(description="The first day it holds.")
    valid_to: date | None = strawberry.field(
        description="The day it stops holding (exclusive); empty while open-ended."
    )

    @classmethod
    def from_row(cls, row: models.PriceCoefficient) -> PriceCoefficient:
        return cls(
            region_id=gid("Region", row.region_id),
            coefficient=row.coefficient,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
        )


@strawberry.input(description="A part's price in a draft price list.")
class SetPartPriceInput:
    price_list_id: strawberry.ID = strawberry.field(
        description="The draft price list (a PRICE_LIST publication, global id)."
    )
    part_id: strawberry.ID = strawberry.field(description="The part (global id).")
    currency: str = strawberry.field(default="CNY", description="ISO 4217 currency code, e.g. CNY.")
    list_price: Money = strawberry.field(description="The list price, a decimal string.")
    dealer_price: Money = strawberry.field(description="The dealer price, a decimal string, at most the list price.")


@strawberry.type(description="What `setPartPrice` answers when it worked.")
class PartPriceSuccess:
    part_id: strawberry.ID = strawberry.field(description="The part (global id).")
    currency: str = strawberry.field(description="ISO 4217 currency code, e.g. CNY.")
    list_price: Money = strawberry.field(description="The list price as set.")
    dealer_price: Money = strawberry.field(description="The dealer price as set.")


PartPriceResult = Annotated[
    PartPriceSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union(
        "PartPriceResult",
        description=(
            "PartPriceSuccess when it worked; otherwise ValidationError, NotFoundError, ConflictError "
            "saying why nothing changed."
        ),
    ),
]


def _price_success(row: models.PartPrice) -> PartPriceSuccess:
    return PartPriceSuccess(
        part_id=gid("Part", row.part_id),
        currency=row.currency,
        list_price=row.list_price,
        dealer_price=row.dealer_price,
    )


@strawberry.input(description="A region's coefficient in a draft set: 1.05 = 5 % above the national price.")
class SetPriceCoefficientInput:
    coefficients_id: strawberry.ID = strawberry.field(
        description="The draft coefficient set (a PRICE_COEFFICIENTS publication)."
    )
    region_id: strawberry.ID = strawberry.field(description="The region (global id).")
    coefficient: Decimal = strawberry.field(description="The factor applied to national prices, e.g. 1.05.")


@strawberry.type(description="What `setPriceCoefficient` answers when it worked.")
class PriceCoefficientSuccess:
    coefficient: PriceCoefficient = strawberry.field(description="The coefficient as set.")


PriceCoefficientResult = Annotated[
    PriceCoefficientSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union(
        "PriceCoefficientResult",
        description=(
            "PriceCoefficientSuccess when it worked; otherwise ValidationError, NotFoundError, "
            "ConflictError saying why nothing changed."
        ),
    ),
]


@strawberry.type
class PricesMutation:
    @strawberry.mutation(extensions=needs(Permission.policy_publish), description="Price a part in a draft list.")
    async def set_part_price(
        self,
        info: Info,
        input: Annotated[SetPartPriceInput, strawberry.argument(description="The price to set on a draft price list.")],
    ) -> PartPriceResult:
        async def set_price(session: AsyncSession, scope: Scope) -> models.PartPrice:
            return await prices.set_price(
                session,
                scope,
                publication_id=uuid_of(input.price_list_id, "Publication", "priceListId"),
                part_id=uuid_of(input.part_id, "Part", "partId"),
                currency=input.currency,
                list_price=Decimal(input.list_price),
                dealer_price=Decimal(input.dealer_price),
            )

        return await attempt(info.context, set_price, _price_success)

    @strawberry.mutation(extensions=needs(Permission.policy_publish), description="Set a region's price coefficient.")
    async def set_price_coefficient(
        self,
        info: Info,
        input: Annotated[
            SetPriceCoefficientInput, strawberry.argument(description="The coefficient to set on a draft set.")
        ],
    ) -> PriceCoefficientResult:
        async def run(session: AsyncSession, scope: Scope) -> models.PriceCoefficient:
            return await prices.set_price_coefficient(
                session,
                scope,
                publication_id=uuid_of(input.coefficients_id, "Publication", "coefficientsId"),
                region_id=uuid_of(input.region_id, "Region", "regionId"),
                coefficient=input.coefficient,
            )

        return await attempt(
            info.context, run, lambda row: PriceCoefficientSuccess(coefficient=PriceCoefficient.from_row(row))
        )
