"""What is overdue in onboarding, in one list for HQ (a station sees its own): rectification items past their
deadline, start-up orders past due and undelivered, profile changes unfiled after their three days, key-data
changes waiting for HQ, and staff certificates expired or expiring within 30 days. One statement; RLS keeps
each caller to its tenant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import Permission, require
from dealernet.core.errors import ValidationFailed
from dealernet.core.scope import Scope
from dealernet.network import rules

KINDS = tuple(rules.OverdueKind)

OVERDUE = text(
    """
    SELECT * FROM (
      SELECT 'rectification' AS kind, station_id, id AS entity_id, code || ': ' || label_en AS subject,
             due_on FROM rectification_items WHERE closed_at IS NULL AND due_on < :today
      UNION ALL
      SELECT 'startup_order', station_id, id, kind || ' (' || reference || ')', due_on
      FROM startup_orders WHERE delivered_at IS NULL AND due_on < :today
      UNION ALL
      SELECT 'profile_change', station_id, id, replace(kind, '_', ' ') || ' change of ' || changed_on,
             changed_on + CAST(:file_days AS integer) FROM profile_changes
      WHERE status = 'draft' AND changed_on + CAST(:file_days AS integer) < :today
      UNION ALL
      SELECT 'key_data_approval', station_id, id, replace(kind, '_', ' ') || ' change filed', filed_at::date
      FROM profile_changes WHERE status = 'pending'
      UNION ALL
      SELECT 'certificate', station_id, id, certificate_number || ' ' || person_name, expires_on
      FROM staff_certificates WHERE expires_on < CAST(:today AS date) + 30
    ) overdue
    WHERE (CAST(:kind AS text) IS NULL OR kind = :kind)
    ORDER BY due_on, kind, entity_id
    LIMIT :limit
    """
)


@dataclass(frozen=True)
class Overdue:
    kind: str
    station_id: UUID
    entity_id: UUID
    subject: str
    due_on: date


async def overdue(session: AsyncSession, scope: Scope, *, today: date, kind: str | None = None) -> list[Overdue]:
    """Oldest deadline first, at most 500."""
    require(scope, Permission.onboarding_read)
    if kind is not None and kind not in KINDS:
        raise ValidationFailed("unknown kind", fields={"kind": ", ".join(KINDS)})
    params = {"today": today, "kind": kind, "limit": 500, "file_days": rules.FILE_WITHIN_DAYS}
    rows = await session.execute(OVERDUE, params)
    return [Overdue(*row) for row in rows]
