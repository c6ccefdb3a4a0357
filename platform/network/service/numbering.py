"""The numbers a network issues: the next in a series from the network's own counter (incremented in the
issuing transaction — a concurrent issuer waits for the row, then takes the next; a rolled-back issue hands
its number back), and authorisation numbers in the network's own format:

    {network}-{region}-{seq:4}   ->  DEMO-EAST-0001
    SC{year}{seq:5}              ->  SC202700001

Only these four placeholders exist; a format is plain text otherwise (never Python's str.format).
"""

from __future__ import annotations

import re
from uuid import UUID

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.errors import ValidationFailed
from dealernet.network.models import NetworkCounter

PLACEHOLDER = re.compile(r"\{(network|region|year|seq)(?::([1-9]))?\}")
MAX_LENGTH = 40  # the contract's column


async def next_in_series(session: AsyncSession, network_id: UUID, series: str) -> int:
    statement = (
        insert(NetworkCounter)
        .values(network_id=network_id, series=series, value=1)
        .on_conflict_do_update(
            index_elements=[NetworkCounter.network_id, NetworkCounter.series],
            set_={"value": NetworkCounter.value + 1},
        )
        .returning(NetworkCounter.value)
    )
    return int((await session.execute(statement)).scalar_one())


def check_format(template: str) -> str:
    """A format with {seq} once and no other braces than the four placeholders."""
    cleaned = template.strip()
    rest = PLACEHOLDER.sub("", cleaned)
    seqs = [m for m in PLACEHOLDER.finditer(cleaned) if m.group(1) == "seq"]
    if not cleaned or len(cleaned) > 60 or len(seqs) != 1 or "{" in rest or "}" in rest:
        raise ValidationFailed(
            "an authorisation number format has {seq} once and only {network}, {region}, {year}, {seq:N}",
            fields={"authorisation_number_format": "e.g. {network}-{region}-{seq:4}"},
        )
    return cleaned


def authorisation_number(template: str, *, network: str, region: str, year: int, seq: int) -> str:
    def fill(match: re.Match[str]) -> str:
        name, width = match.group(1), int(match.group(2) or 0)
        if name == "seq":
            return str(seq).zfill(width)
        return {"network": network, "region": region, "year": str(year)}[name]

    number = PLACEHOLDER.sub(fill, template)
    if len(number) > MAX_LENGTH:
        raise ValidationFailed(
            f"the network's format makes numbers longer than {MAX_LENGTH} characters",
            fields={"authorisation_number_format": "shorter"},
        )
    return number
