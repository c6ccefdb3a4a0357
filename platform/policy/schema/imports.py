"""GraphQL for bulk imports of the catalogue and price lists: each upload's status, progress and problems."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import strawberry
from strawberry import relay

from dealernet.core.access import Permission
from dealernet.graphql.context import Info, by_id_loader
from dealernet.graphql.enums import expose
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import After, First, connection, keyset_after, load_nodes
from dealernet.policy import models
from dealernet.policy.rules import ImportKind, ImportMode, ImportStatus
from dealernet.policy.service import imports

_import_loader = by_id_loader(imports.imports_by_id)

expose(
    ImportKind,
    description="What a bulk file imports.",
    values={
        ImportKind.PARTS: "Catalogue parts.",
        ImportKind.PRICES: "The prices of a draft price list.",
        ImportKind.VEHICLES: "The network's vehicle register, from the sales system.",
        ImportKind.REPAIR_ORDERS: "A station's repair orders (a day's, say) from its dealer management system.",
    },
)
expose(
    ImportMode,
    description="What an import does with a file that has bad rows.",
    values={
        ImportMode.ALL_OR_NOTHING: "Any bad row rejects the whole file; nothing is written.",
        ImportMode.VALID_ROWS: "The good rows are written; the bad ones are reported.",
    },
)
expose(
    ImportStatus,
    description="Where an import is.",
    values={
        ImportStatus.QUEUED: "Waiting for the worker, or being imported now.",
        ImportStatus.DONE: "Imported (in VALID_ROWS mode, perhaps with rows rejected).",
        ImportStatus.REJECTED: "Refused: a bad row in ALL_OR_NOTHING mode, or the draft is gone; nothing written.",
        ImportStatus.FAILED: "The platform could not import it (errors say why); nothing written: upload it again.",
    },
)


@strawberry.type(description="A row of an import file that was not imported, and why.")
class ImportProblem:
    line: int = strawberry.field(description="The file's line (the header is line 1).")
    column: str = strawberry.field(description="The column at fault.")
    reason: str = strawberry.field(description="What is wrong with it.")


@strawberry.type(description="An uploaded bulk file (catalogue, prices, vehicles, repair orders) and its outcome.")
class Import(relay.Node):
    id: relay.NodeID[UUID]
    kind: ImportKind = strawberry.field(description="What the file imports.")
    filename: str = strawberry.field(description="The file's name as uploaded.")
    file_format: str = strawberry.field(description="csv, xlsx or jsonl.")
    mode: ImportMode = strawberry.field(description="What is done with a file that has bad rows.")
    status: ImportStatus = strawberry.field(description="Where the import is.")
    rows_total: int | None = strawberry.field(description="Data rows in the file; empty until checked.")
    rows_written: int | None = strawberry.field(description="Rows new or changed.")
    rows_rejected: int | None = strawberry.field(
        description="Rows refused, each listed in errors; empty until checked."
    )
    created_at: datetime = strawberry.field(description="When it was uploaded.")
    finished_at: datetime | None = strawberry.field(description="When it finished; empty while queued.")
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
        if self.status != ImportStatus.QUEUED:
            return self.rows_total
        progress = await imports.read_progress(info.context.redis, self.id)
        return progress[0] if progress else 0

    @strawberry.field(description="The rejected rows by line (the first 1,000).")
    def errors(
        self,
        first: Annotated[
            int, strawberry.argument(description="How many rejected rows to return, at most 1,000.")
        ] = 100,
    ) -> list[ImportProblem]:
        return [ImportProblem(**problem) for problem in self.problems[: max(0, min(first, 1_000))]]


@strawberry.type
class ImportsQuery:
    @strawberry.field(
        extensions=needs(Permission.imports_read),
        description="The bulk files and what became of them, newest first: HQ sees the network's, a station its own.",
    )
    async def imports(
        self,
        info: Info,
        first: First,
        after: After = None,
    ) -> relay.Connection[Import]:
        rows = await info.context.run(imports.list_imports, first=first, after=keyset_after(after))
        return connection(rows, first=first, node=Import.from_row, key=lambda r: (r.created_at.isoformat(), r.id))
