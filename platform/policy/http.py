"""The plain-HTTP upload of a bulk import file (DESIGN.md: file upload beside GraphQL).

    curl -H "Authorization: Bearer $TOKEN" -F kind=prices -F priceListId=<id> -F file=@prices.xlsx \\
         https://…/imports

answers 202 with the import's id (follow it with the GraphQL `node` or `imports` fields), or 200 with the
earlier import when the same file was imported already. Errors carry the GraphQL codes: 400 VALIDATION
(with field reasons), 401 UNAUTHENTICATED, 403 FORBIDDEN, 404 NOT_FOUND, 409 CONFLICT.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any
from uuid import UUID

from litestar import Request, Response, post
from litestar.datastructures import State, UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from strawberry import relay

from dealernet import outbox
from dealernet.errors import DomainError, Unauthenticated, ValidationFailed
from dealernet.policy import imports
from dealernet.tenants.http import authenticate

_STATUS = {"VALIDATION": 400, "UNAUTHENTICATED": 401, "FORBIDDEN": 403, "NOT_FOUND": 404, "CONFLICT": 409}


@dataclass
class ImportForm:
    kind: str
    file: UploadFile
    mode: str = imports.ALL_OR_NOTHING
    priceListId: str | None = field(default=None)


def _publication_id(value: str | None) -> UUID | None:
    """A Publication global id (or a bare uuid)."""
    if not value:
        return None
    try:
        gid = relay.GlobalID.from_id(value)
        if gid.type_name != "Publication":
            raise ValueError(value)
        return UUID(gid.node_id)
    except ValueError:
        try:
            return UUID(value)
        except ValueError:
            raise ValidationFailed("not a price list id", fields={"priceListId": "invalid id"}) from None


def _error(exc: DomainError) -> Response[dict[str, Any]]:
    body = {"code": exc.code, "message": exc.message, "fields": exc.fields}
    return Response(body, status_code=_STATUS.get(exc.code, 500))


@post(
    "/imports", summary="Upload a catalogue or price file to import", request_max_body_size=imports.MAX_BYTES + 65_536
)
async def upload_import(
    request: Request[Any, Any, State],
    data: Annotated[ImportForm, Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Response[dict[str, Any]]:
    runtime = request.app.state.runtime
    scope, problem = await authenticate(runtime.keys, runtime.sessionmaker, request.headers.get("authorization"))
    if scope is None:
        return _error(Unauthenticated(problem or "log in first: send 'Authorization: Bearer <access token>'"))
    content = await data.file.read()
    try:
        async with runtime.sessionmaker(info={"scope": scope}) as session:
            started = await imports.start_import(
                session,
                scope,
                kind=data.kind,
                filename=data.file.filename or "upload",
                content=content,
                publication_id=_publication_id(data.priceListId),
                mode=data.mode,
            )
            await session.commit()
            pending = session.info.pop(outbox.PENDING, [])
    except DomainError as exc:
        return _error(exc)
    if pending and runtime.redis is not None:
        await outbox.enqueue(runtime.redis, pending)
    row = started.row
    body = {
        "id": str(relay.GlobalID("Import", str(row.id))),
        "status": row.status,
        "duplicate": started.duplicate,
        "filename": row.filename,
    }
    return Response(body, status_code=200 if started.duplicate else 202)
