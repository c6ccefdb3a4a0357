"""Effective-dated policy rows, brought into force and out of it by their publication, set-based.

Each effective-dated table (part prices, labour rates, warranty coverage) has the same shape: the
publication it belongs to, [valid_from, valid_to) as dates (valid_to is the next version's valid_from, or
open), `in_force` once published, and a generated `*_key` column naming what must not overlap (a part in
a currency and region; a region's labour rate; a component group's coverage). Its migration adds the
exclusion constraint `(key WITH =, valid WITH &&) WHERE in_force`, so overlapping versions are refused by
PostgreSQL whichever code path writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.errors import Conflict
from dealernet.policy.models import Publication
from dealernet.policy.rules import PublicationKind


@dataclass(frozen=True)
class Kind:
    """A kind of publication: the table holding its rows and, for effective-dated rows, their no-overlap key
    (documents such as bulletins have none: they hold from the publication's date)."""

    name: PublicationKind
    table: str
    noun: str  # what one row is, for messages: "price", "labour rate"
    key: str | None = None


# Close, at the new version's start, each version in force of the same key still open then; and end each
# new version where an already later one begins.
_CLOSE_PREVIOUS = """
    UPDATE {table} old SET valid_to = :effective_on
    FROM {table} new
    WHERE new.publication_id = :publication AND old.in_force AND old.{key} = new.{key}
      AND old.valid_from < :effective_on AND (old.valid_to IS NULL OR old.valid_to > :effective_on)
"""
_END_BEFORE_LATER = """
    UPDATE {table} new SET valid_to = later.starts
    FROM (SELECT n.id, min(o.valid_from) AS starts FROM {table} n JOIN {table} o
            ON o.in_force AND o.{key} = n.{key} AND o.valid_from > :effective_on
          WHERE n.publication_id = :publication GROUP BY n.id) later
    WHERE new.id = later.id
"""
_IN_FORCE = "UPDATE {table} SET in_force = true WHERE publication_id = :publication"
# Withdrawing hands the dates back to the versions the withdrawn ones had closed (those ending exactly
# where a withdrawn version began).
_OUT_OF_FORCE = "UPDATE {table} SET in_force = false WHERE publication_id = :publication"
_REOPEN_PREVIOUS = """
    UPDATE {table} old SET valid_to = gone.valid_to
    FROM {table} gone
    WHERE gone.publication_id = :publication AND old.in_force AND old.publication_id <> gone.publication_id
      AND old.{key} = gone.{key} AND old.valid_to = gone.valid_from
"""


def _sql(template: str, kind: Kind) -> str:
    return template.format(table=kind.table, key=kind.key)


async def has_rows(session: AsyncSession, kind: Kind, publication_id: UUID) -> bool:
    # Table names come from the Kind constants in code, never from input.
    exists = f"SELECT EXISTS (SELECT 1 FROM {kind.table} WHERE publication_id = :p)"  # noqa: S608
    found = await session.scalar(text(exists), {"p": publication_id})
    return bool(found)


async def bring_into_force(session: AsyncSession, kind: Kind, publication: Publication) -> None:
    """The publication's rows come into force from its date; a clash with a version in force that starts the
    same day is a Conflict (the exclusion constraint's). Documents simply hold from the publication's date."""
    if kind.key is None:
        return
    params = {"publication": publication.id, "effective_on": publication.effective_on}
    title, effective_on = publication.title, publication.effective_on
    try:
        async with session.begin_nested():
            for template in (_CLOSE_PREVIOUS, _END_BEFORE_LATER, _IN_FORCE):
                await session.execute(text(_sql(template, kind)), params)
    except IntegrityError as exc:
        raise Conflict(
            f"{title}: a {kind.noun} in force already starts on {effective_on}; withdraw it or pick another date"
        ) from exc


async def take_out_of_force(session: AsyncSession, kind: Kind, publication_id: UUID) -> None:
    if kind.key is None:
        return
    params = {"publication": publication_id}
    await session.execute(text(_sql(_OUT_OF_FORCE, kind)), params)
    await session.execute(text(_sql(_REOPEN_PREVIOUS, kind)), params)
