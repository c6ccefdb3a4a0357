"""Personal information (PIPL/GDPR) in the API: a vehicle owner's name and phone and a full VIN reach OEM
and station staff only. Everyone else (partners, whether a partner's people or its API clients) gets the
masked form, on every path to the field, nested or not, because the mask sits on the field itself:

    owner_name: str = strawberry.field(extensions=[pii(Pii.name)])

tests/isolation/test_pii.py walks the schema and fails when a field that looks like personal information
(a VIN, a phone, an owner's or customer's name) carries no `pii` declaration.

The hot list pages that are compiled to one SQL statement must apply the same masks in SQL for a partner
scope (`mask_sql` gives the expression), since no resolver runs there.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.extensions.field_extension import FieldExtension

from dealernet.core.scope import DbRole, Scope

MASK = "*"
# Who sees personal information unmasked; anyone else gets the masked form.
UNMASKED_ROLES = frozenset({DbRole.oem, DbRole.station})


class Pii(enum.Enum):
    name = "name"
    phone = "phone"
    vin = "vin"


def _keep_ends(value: str, head: int, tail: int) -> str:
    if len(value) <= head + tail:
        return MASK * len(value)
    return value[:head] + MASK * (len(value) - head - tail) + value[-tail:]


def mask_vin(vin: str) -> str:
    """The manufacturer code (WMI, 3 characters) and the last 4 of the serial: enough to tell vehicles
    apart in a supplier's report, not to identify one. LSVAU2180N2183456 → LSV**********3456."""
    return _keep_ends(vin, 3, 4)


def mask_phone(phone: str) -> str:
    """The Chinese convention: the first 3 and last 4 characters. 13812345678 → 138****5678."""
    return _keep_ends(phone, 3, 4)


def mask_name(name: str) -> str:
    """The first character of each part. 张三丰 → 张**, Li Wei → L* W**."""
    return " ".join(part[:1] + MASK * (len(part) - 1) for part in name.split())


MASKS: dict[Pii, Callable[[str], str]] = {Pii.name: mask_name, Pii.phone: mask_phone, Pii.vin: mask_vin}


def mask_sql(kind: Pii, column: str) -> str:
    """The same mask as a PostgreSQL expression, for pages built as JSON inside the database."""
    if kind is Pii.name:
        parts = f"regexp_split_to_table(btrim({column}), '\\s+')"
        return f"(SELECT string_agg(left(p, 1) || repeat('{MASK}', length(p) - 1), ' ') FROM {parts} AS p)"  # noqa: S608 - column is ours
    return (
        f"CASE WHEN length({column}) <= 7 THEN repeat('{MASK}', length({column})) "
        f"ELSE left({column}, 3) || repeat('{MASK}', length({column}) - 7) || right({column}, 4) END"
    )


def sees_unmasked(scope: Scope | None) -> bool:
    return scope is not None and scope.db_role in UNMASKED_ROLES


class Masked(FieldExtension):
    """Masks the field's value (a string, a list of strings, or null) unless the caller is HQ or a station."""

    def __init__(self, kind: Pii) -> None:
        super().__init__()
        self.kind = kind

    def _apply(self, info: Any, value: Any) -> Any:
        if value is None or sees_unmasked(info.context.scope):
            return value
        mask = MASKS[self.kind]
        if isinstance(value, list):
            return [mask(v) if isinstance(v, str) else v for v in value]
        return mask(value) if isinstance(value, str) else value

    def resolve(self, next_: Callable[..., Any], source: Any, info: Any, **kwargs: Any) -> Any:
        return self._apply(info, next_(source, info, **kwargs))

    async def resolve_async(self, next_: Callable[..., Awaitable[Any]], source: Any, info: Any, **kwargs: Any) -> Any:
        return self._apply(info, await next_(source, info, **kwargs))


def pii(kind: Pii) -> list[FieldExtension]:
    return [Masked(kind)]


def declared_pii(extensions: list[Any]) -> Pii | None:
    for extension in extensions:
        if isinstance(extension, Masked):
            return extension.kind
    return None
