"""Scalars of our own. Money is a string with exactly two decimals, never a JSON number: a number has lost
its precision before any scalar sees it (docs/security.md INT-3). Stored as numeric(14, 2).

Fields annotate `Money`; the schema maps it to its definition through `SCALARS` (StrawberryConfig)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

MONEY = re.compile(r"^(0|[1-9]\d{0,11})\.\d{2}$")

Money = NewType("Money", Decimal)


def parse_money(value: object) -> Decimal:
    if not isinstance(value, str) or not MONEY.match(value):
        raise ValueError('Money is a string with two decimals, e.g. "1280.00"')
    return Decimal(value)


SCALARS: dict[object, ScalarDefinition] = {
    Money: strawberry.scalar(
        name="Money",
        serialize=lambda value: f"{Decimal(value):.2f}",
        parse_value=parse_money,
        description='An amount: a string with exactly two decimals, e.g. "1280.00" (never a JSON number).',
    )
}
