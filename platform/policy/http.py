"""Plain HTTP beside GraphQL for files (docs/architecture.md): the bulk import upload, and bulletin attachments
(upload to a draft bulletin, download by whoever may see the bulletin).

    curl -H "Authorization: Bearer $TOKEN" -F kind=prices -F priceListId=<id> -F file=@prices.xlsx \\
         https://…/imports

answers 202 with the import's id (follow it with the GraphQL `node` or `imports` fields), or 200 with the
earlier import when the same file was imported already. Errors carry the GraphQL codes: 400 VALIDATION
(with field reasons), 401 UNAUTHENTICATED, 403 FORBIDDEN, 404 NOT_FOUND, 409 CONFLICT.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import storage
from dealernet.core.ids import global_id, uuid_of
from dealernet.core.scope import Scope
from dealernet.core.web import described_file, file_response, in_bearer_scope
from dealernet.policy.service import documents, imports


@dataclass
class ImportForm:
    kind: str
    file: UploadFile
    mode: str = imports.ALL_OR_NOTHING
    priceListId: str | None = field(default=None)


@post(
    "/imports",
    summary="Upload a catalogue, price, vehicle register or (a station's DMS) repair-order file to import",
    request_max_body_size=imports.MAX_BYTES + 65_536,
)
async def upload_import(
    request: Request[Any, Any, State],
    data: Annotated[ImportForm, Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Response[dict[str, Any]]:
    content = await data.file.read()

    async def start(session: AsyncSession, scope: Scope, store: object) -> imports.Started:
        return await imports.start_import(
            session,
            scope,
            kind=data.kind,
            filename=data.file.filename or "upload",
            content=content,
            publication_id=uuid_of(data.priceListId, "Publication", "priceListId") if data.priceListId else None,
            mode=data.mode,
        )

    started = await in_bearer_scope(request, start)
    if isinstance(started, Response):
        return started
    row = started.row
    body = {
        "id": global_id("Import", row.id),
        "status": row.status,
        "duplicate": started.duplicate,
        "filename": row.filename,
    }
    return Response(body, status_code=200 if started.duplicate else 202)


@dataclass
class AttachmentForm:
    file: UploadFile


@post(
    "/bulletins/{bulletin_id:str}/attachments",
    summary="Attach a PDF or image to a draft bulletin",
    request_max_body_size=storage.MAX_BYTES + 65_536,
)
async def upload_attachment(
    request: Request[Any, Any, State],
    bulletin_id: FromPath[str],
    data: Annotated[AttachmentForm, Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Response[dict[str, Any]]:
    content = await data.file.read()

    async def work(session: AsyncSession, scope: Scope, store: storage.Store) -> Response[Any]:
        row = await documents.attach_to_bulletin(
            session,
            scope,
            store,
            publication_id=uuid_of(bulletin_id, "Publication", "bulletinId"),
            filename=data.file.filename or "file",
            content=content,
        )
        return Response(described_file("BulletinAttachment", row), status_code=201)

    return await in_bearer_scope(request, work)


@get("/attachments/{attachment_id:str}", summary="Download a bulletin attachment you may see")
async def download_attachment(request: Request[Any, Any, State], attachment_id: FromPath[str]) -> Response[Any]:
    async def work(session: AsyncSession, scope: Scope, store: storage.Store) -> Response[Any]:
        attachment = uuid_of(attachment_id, "BulletinAttachment", "attachmentId")
        row, content = await documents.read_attachment(session, scope, store, attachment_id=attachment)
        return file_response(row.filename, row.content_type, row.sha256, content)

    return await in_bearer_scope(request, work)
