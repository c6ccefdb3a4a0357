"""The deadline watcher takes the filing rule as a parameter: a profile change is filed within
`network.rules.FILE_WITHIN_DAYS` days, and that constant is the rule's one home (0021 restated it as a literal 3
in the SQL). The job passes it on every call.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-01
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from alembic import op

from dealernet.core.migration_ops import SEED_ROLE

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "remind_onboarding_deadlines(interval)"
NEW = "remind_onboarding_deadlines(interval, integer)"


def _migration_0021() -> ModuleType:
    path = Path(__file__).with_name("0021_profile_changes.py")
    spec = importlib.util.spec_from_file_location("migration_0021", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _parameterised(watcher: str) -> str:
    """0021's watcher with the days to file within as its second parameter instead of the literal 3."""
    replacements = {
        "remind_onboarding_deadlines(every interval)": "remind_onboarding_deadlines(every interval, file_within integer)",
        "p.changed_on + 3 <= l.today + 1": "p.changed_on + file_within <= l.today + 1",
        "p.changed_on + 3 < l.today AS late": "p.changed_on + file_within < l.today AS late",
        "'Changes are filed within three days; due by ' || (changed_on + 3)::text || '.'": (
            "'Changes are filed within ' || file_within || ' days; due by ' || (changed_on + file_within)::text || '.'"
        ),
    }
    for old, new in replacements.items():
        if old not in watcher:
            raise RuntimeError(f"0021's watcher changed: {old!r} not found")
        watcher = watcher.replace(old, new)
    return watcher


def _install(body: str, signature: str) -> None:
    op.execute(f"GRANT CREATE ON SCHEMA public TO {SEED_ROLE}")
    op.execute(body)
    op.execute(f"ALTER FUNCTION {signature} OWNER TO {SEED_ROLE}")
    op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO app_auth")
    op.execute(f"REVOKE CREATE ON SCHEMA public FROM {SEED_ROLE}")


def upgrade() -> None:
    op.execute(f"DROP FUNCTION {OLD}")
    _install(_parameterised(_migration_0021().WATCHER), NEW)


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {NEW}")
    _install(_migration_0021().WATCHER, OLD)
