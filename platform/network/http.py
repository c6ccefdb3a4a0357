"""Plain HTTP for onboarding papers: the letter of intent and the certificate, as PDF, for HQ and the station they
were issued to."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.params import FromPath

from dealernet.errors import DomainError
from dealernet.network import acceptance, pipeline
from dealernet.scope import Scope
from dealernet.tenants.http import bearer_scope, path_id, problem_response


@get("/letters-of-intent/{letter_id:str}", summary="Download a letter of intent you may see")
async def download_letter(request: Request[Any, Any, State], letter_id: FromPath[str]) -> Response[Any]:
    runtime = request.app.state.runtime
    scope = await bearer_scope(request)
    if not isinstance(scope, Scope):
        return scope
    try:
        async with runtime.sessionmaker(info={"scope": scope}) as session:
            letter, pdf = await pipeline.read_letter(
                session, scope, runtime.store, letter_id=path_id(letter_id, "LetterOfIntent", "letterId")
            )
    except DomainError as exc:
        return problem_response(exc)
    headers = {
        "Content-Disposition": f'attachment; filename="{letter.number}.pdf"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }
    return Response(pdf, media_type="application/pdf", headers=headers)


@get("/certificates/{contract_id:str}", summary="Download a station's authorisation certificate")
async def download_certificate(request: Request[Any, Any, State], contract_id: FromPath[str]) -> Response[Any]:
    runtime = request.app.state.runtime
    scope = await bearer_scope(request)
    if not isinstance(scope, Scope):
        return scope
    try:
        async with runtime.sessionmaker(info={"scope": scope}) as session:
            contract, pdf = await acceptance.read_certificate(
                session, scope, runtime.store, contract_id=path_id(contract_id, "Contract", "contractId")
            )
    except DomainError as exc:
        return problem_response(exc)
    headers = {
        "Content-Disposition": f'attachment; filename="{contract.authorisation_number}.pdf"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }
    return Response(pdf, media_type="application/pdf", headers=headers)
