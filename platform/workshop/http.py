"""Plain HTTP beside GraphQL for a repair order's photos and documents:

    curl -H "Authorization: Bearer $TOKEN" -F file=@damage.jpg https://…/repair-orders/<id>/files
    curl -H "Authorization: Bearer $TOKEN" https://…/repair-order-files/<file id>

The upload answers 201 with the file's id (`RepairOrder.files` lists them); errors carry the GraphQL codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import storage
from dealernet.core.ids import uuid_of
from dealernet.core.scope import Scope
from dealernet.core.web import described_file, file_response, in_bearer_scope
from dealernet.workshop.service import repair_orders


@dataclass
class FileForm:
    file: UploadFile


@post(
    "/repair-orders/{repair_order_id:str}/files",
    summary="Attach a photo or document (PDF or image) to a repair order",
    request_max_body_size=storage.MAX_BYTES + 65_536,
)
async def upload_repair_order_file(
    request: Request[Any, Any, State],
    repair_order_id: FromPath[str],
    data: Annotated[FileForm, Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Response[dict[str, Any]]:
    content = await data.file.read()

    async def work(session: AsyncSession, scope: Scope, store: storage.Store) -> Response[Any]:
        row = await repair_orders.attach_file(
            session,
            scope,
            store,
            repair_order_id=uuid_of(repair_order_id, "RepairOrder", "repairOrderId"),
            filename=data.file.filename or "file",
            content=content,
        )
        return Response(described_file("RepairOrderFile", row), status_code=201)

    return await in_bearer_scope(request, work)


@get("/repair-order-files/{file_id:str}", summary="Download a repair order's file you may see")
async def download_repair_order_file(request: Request[Any, Any, State], file_id: FromPath[str]) -> Response[Any]:
    async def work(session: AsyncSession, scope: Scope, store: storage.Store) -> Response[Any]:
        row, content = await repair_orders.read_file(
            session, scope, store, file_id=uuid_of(file_id, "RepairOrderFile", "fileId")
        )
        return file_response(row.filename, row.content_type, row.sha256, content)

    return await in_bearer_scope(request, work)
