"""GraphQL for bulk imports of the catalogue and price lists: each upload's status, progress and problems."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import strawberry
from strawberry import relay

from dealernet.core.access import Permission
from dealernet.graphql.context import Info, by_id_loader
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import connection, keyset_after, load_nodes
from dealernet.policy import models

if TYPE_CHECKING:
    pass
from dealernet.policy.service import imports

_import_loader = by_id_loader(imports.imports_by_id)


@strawberry.type(description="A row of an import file that was not imported, and why.")
class ImportProblem:
    line: int = strawberry.field(description="The file's line (the header is line 1).")
    column: str
    reason: str


@strawberry.type(description="An uploaded catalogue or price file and what became of it.")
class Import(relay.Node):
    id: relay.NodeID[UUID]
    kind: str = strawberry.field(description="parts or prices.")
    filename: str
    file_format: str = strawberry.field(description="csv or xlsx.")
    mode: str = strawberry.field(description="all_or_nothing, or valid_rows (write the good rows).")
    status: str = strawberry.field(description="queued, done or rejected (a bad row, nothing written).")
    rows_total: int | None
    rows_written: int | None = strawberry.field(description="Rows new or changed.")
    rows_rejected: int | None
    created_at: datetime
    finished_at: datetime | None
    problems: strawberry.Private[list[dict[str, Any]]]

    @classmethod
    def from_row(cls, row: models.Import) -> Import:
        return cls(
            id=row.id,
            kind=row.kind,
            filename=row.filename,
            file_format=row.file_format,
            mode=row.mode,
            status=row.status,
            rows_total=row.rows_total,
            rows_written=row.rows_written,
            rows_rejected=row.rows_rejected,
            created_at=row.created_at,
            finished_at=row.finished_at,
            problems=row.errors,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        rows = await load_nodes(info, "import", _import_loader, node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="Rows checked so far while the job runs (then all of them).")
    async def rows_done(self, info: Info) -> int | None:
        if self.status != "queued":
            return self.rows_total
        progress = await imports.read_progress(info.context.redis, self.id)
        return progress[0] if progress else 0

    @strawberry.field(description="The rejected rows by line (the first 1,000).")
    def errors(self, first: int = 100) -> list[ImportProblem]:
        return [ImportProblem(**problem) for problem in self.problems[: max(0, min(first, 1_000))]]


@strawberry.type
class ImportsQuery:
    @strawberry.field(extensions=needs(Permission.policy_publish), description="HQ: the imports, newest first.")
    async def imports(self, info: Info, first: int, after: str | None = None) -> relay.Connection[Import]:
        rows = await info.context.run(imports.list_imports, first=first, after=keyset_after(after))
        return connection(rows, first=first, node=Import.from_row, key=lambda r: (r.created_at.isoformat(), r.id))
