"""Plain HTTP for onboarding papers: the letter of intent and the certificate, as PDF, for HQ and the station they
were issued to."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.errors import DomainError
from dealernet.network import acceptance, pipeline
from dealernet.scope import Scope
from dealernet.tenants.http import bearer_scope, path_id, problem_response


async def _pdf(
    request: Request[Any, Any, State],
    read: Callable[[AsyncSession, Scope, Any], Awaitable[tuple[str, bytes]]],
) -> Response[Any]:
    """The PDF `read(session, scope, store)` finds under the caller's scope (RLS decides), as a download."""
    runtime = request.app.state.runtime
    scope = await bearer_scope(request)
    if not isinstance(scope, Scope):
        return scope
    try:
        async with runtime.sessionmaker(info={"scope": scope}) as session:
            name, pdf = await read(session, scope, runtime.store)
    except DomainError as exc:
        return problem_response(exc)
    headers = {
        "Content-Disposition": f'attachment; filename="{name}.pdf"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }
    return Response(pdf, media_type="application/pdf", headers=headers)


@get("/letters-of-intent/{letter_id:str}", summary="Download a letter of intent you may see")
async def download_letter(request: Request[Any, Any, State], letter_id: FromPath[str]) -> Response[Any]:
    async def read(session: AsyncSession, scope: Scope, store: Any) -> tuple[str, bytes]:
        letter_uuid = path_id(letter_id, "LetterOfIntent", "letterId")
        letter, pdf = await pipeline.read_letter(session, scope, store, letter_id=letter_uuid)
        return letter.number, pdf

    return await _pdf(request, read)


@get("/certificates/{contract_id:str}", summary="Download a station's authorisation certificate")
async def download_certificate(request: Request[Any, Any, State], contract_id: FromPath[str]) -> Response[Any]:
    async def read(session: AsyncSession, scope: Scope, store: Any) -> tuple[str, bytes]:
        contract_uuid = path_id(contract_id, "Contract", "contractId")
        contract, pdf = await acceptance.read_certificate(session, scope, store, contract_id=contract_uuid)
        return contract.authorisation_number, pdf

    return await _pdf(request, read)
