"""Plain HTTP beside GraphQL for the statements as files:

    curl -H "Authorization: Bearer $TOKEN" https://…/settlements/<id>/statement.pdf    (or .xlsx)
    curl -H "Authorization: Bearer $TOKEN" https://…/recovery-statements/<id>/statement.xlsx

A station downloads its own settlements, a supplier its own recovery statements, HQ its network's.
"""

from __future__ import annotations

import hashlib
from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import storage
from dealernet.core.errors import NotFound
from dealernet.core.ids import uuid_of
from dealernet.core.scope import Scope
from dealernet.core.web import file_response, in_bearer_scope
from dealernet.warranty.service import statements

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {"pdf": ("application/pdf", statements.pdf), "xlsx": (XLSX, statements.xlsx)}


def _file(statement: statements.Statement, extension: str) -> Response[Any]:
    content_type, render = FORMATS[extension]
    content = render(statement)
    return file_response(f"{statement.number}.{extension}", content_type, hashlib.sha256(content).hexdigest(), content)


def _format(file: str) -> str:
    """statement.pdf or statement.xlsx: the format asked for."""
    name, _, extension = file.partition(".")
    if name != "statement" or extension not in FORMATS:
        raise NotFound("a statement is statement.pdf or statement.xlsx", fields={"file": "statement.pdf or .xlsx"})
    return extension


@get(
    "/settlements/{settlement_id:str}/{file:str}",
    summary="Download a settlement statement (pdf or xlsx)",
)
async def download_settlement(
    request: Request[Any, Any, State], settlement_id: FromPath[str], file: FromPath[str]
) -> Response[Any]:
    async def read(session: AsyncSession, scope: Scope, store: storage.Store) -> Response[Any]:
        kind = _format(file)
        found = uuid_of(settlement_id, "Settlement", "settlementId")
        return _file(await statements.settlement_statement(session, scope, settlement_id=found), kind)

    return await in_bearer_scope(request, read)


@get(
    "/recovery-statements/{statement_id:str}/{file:str}",
    summary="Download a supplier's recovery statement (pdf or xlsx)",
)
async def download_recovery_statement(
    request: Request[Any, Any, State], statement_id: FromPath[str], file: FromPath[str]
) -> Response[Any]:
    async def read(session: AsyncSession, scope: Scope, store: storage.Store) -> Response[Any]:
        kind = _format(file)
        found = uuid_of(statement_id, "RecoveryStatement", "statementId")
        return _file(await statements.recovery_statement(session, scope, statement_id=found), kind)

    return await in_bearer_scope(request, read)
