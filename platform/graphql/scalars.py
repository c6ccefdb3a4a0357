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
    """A Money input, or a ValueError saying in words what is wrong with it (it becomes a VALIDATION error)."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(f'Money is a string with two decimals, e.g. "1280.00", never a JSON number (got {value!r})')
    if not MONEY.match(value):
        raise ValueError(f"{value!r}: {money_problem(value)}")
    return Decimal(value)


def money_problem(value: str) -> str:
    """What is wrong with a string that is not Money."""
    text = value.strip()
    if text.startswith("-"):
        return "negative amounts are not allowed"
    whole, _, cents = text.partition(".")
    if not whole.isdigit() or (cents and not cents.isdigit()):
        return 'not an amount: digits with two decimals, e.g. "1280.00"'
    if len(cents) != 2:
        return f'exactly two decimals, e.g. "{whole}.{(cents + "00")[:2]}"'
    if len(whole) > 12:
        return "at most 999999999999.99"
    return 'no leading zeros or spaces, e.g. "1280.00"'


SCALARS: dict[object, ScalarDefinition] = {
    Money: strawberry.scalar(
        name="Money",
        serialize=lambda value: f"{Decimal(value):.2f}",
        parse_value=parse_money,
        description='An amount: a string with exactly two decimals, e.g. "1280.00" (never a JSON number).',
    )
}
