"""Plain HTTP for onboarding files: the letter of intent and the certificate, as PDF, for HQ and the station
they were issued to; the documents an applicant hands in (营业执照, 税务登记证, site photos) and HQ's site
visit photos — uploaded as multipart forms, downloaded by whoever row-level security lets see them.

    curl -H "Authorization: Bearer $TOKEN" -F kind=BUSINESS_LICENCE -F file=@licence.pdf …/application/documents
    curl -H "Authorization: Bearer $HQ" -F caption=Workshop -F file=@bay.jpg …/applications/<id>/visit-photos
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
from dealernet.core.web import LinkForm, LinkPage, described_file, file_response, in_bearer_scope, link_handlers
from dealernet.network import rules
from dealernet.network.service import acceptance, documents, pipeline, profile, registration
from dealernet.tenants.service.directory import MIN_PASSWORD_LENGTH


def _pdf(name: str, pdf: bytes) -> Response[Any]:
    headers = {
        "Content-Disposition": f'attachment; filename="{name}.pdf"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }
    return Response(pdf, media_type="application/pdf", headers=headers)


@get("/letters-of-intent/{letter_id:str}", summary="Download a letter of intent you may see")
async def download_letter(request: Request[Any, Any, State], letter_id: FromPath[str]) -> Response[Any]:
    async def read(session: AsyncSession, scope: Scope, store: storage.Store) -> Response[Any]:
        letter_uuid = uuid_of(letter_id, "LetterOfIntent", "letterId")
        letter, pdf = await pipeline.read_letter(session, scope, store, letter_id=letter_uuid)
        return _pdf(letter.number, pdf)

    return await in_bearer_scope(request, read)


@get("/certificates/{contract_id:str}", summary="Download a station's authorisation certificate")
async def download_certificate(request: Request[Any, Any, State], contract_id: FromPath[str]) -> Response[Any]:
    async def read(session: AsyncSession, scope: Scope, store: storage.Store) -> Response[Any]:
        contract_uuid = uuid_of(contract_id, "Contract", "contractId")
        contract, pdf = await acceptance.read_certificate(session, scope, store, contract_id=contract_uuid)
        return _pdf(contract.authorisation_number, pdf)

    return await in_bearer_scope(request, read)


@dataclass
class DocumentForm:
    kind: str
    file: UploadFile


@post(
    "/application/documents",
    summary="Hand in a document with your application: kind BUSINESS_LICENCE, TAX_REGISTRATION, SITE_PHOTO or OTHER",
    request_max_body_size=storage.MAX_BYTES + 65_536,
)
async def hand_in_document(
    request: Request[Any, Any, State], data: Annotated[DocumentForm, Body(media_type=RequestEncodingType.MULTI_PART)]
) -> Response[Any]:
    content = await data.file.read()

    async def work(session: AsyncSession, scope: Scope, store: storage.Store) -> Response[Any]:
        row = await documents.hand_in(
            session, scope, store, kind=data.kind, filename=data.file.filename or "file", content=content
        )
        kind = rules.DocumentKind(row.kind).name  # as GraphQL's StationDocument.kind names it
        return Response({**described_file("StationDocument", row), "kind": kind}, status_code=201)

    return await in_bearer_scope(request, work)


@get("/documents/{document_id:str}", summary="Download a station's document you may see")
async def download_document(request: Request[Any, Any, State], document_id: FromPath[str]) -> Response[Any]:
    async def work(session: AsyncSession, scope: Scope, store: storage.Store) -> Response[Any]:
        document_uuid = uuid_of(document_id, "StationDocument", "documentId")
        row, content = await documents.read_document(session, scope, store, document_id=document_uuid)
        return file_response(row.filename, row.content_type, row.sha256, content)

    return await in_bearer_scope(request, work)


@dataclass
class PhotoForm:
    file: UploadFile
    caption: str = ""


@post(
    "/applications/{application_id:str}/visit-photos",
    summary="HQ: add a photo to an applicant's site visit",
    request_max_body_size=storage.MAX_BYTES + 65_536,
)
async def add_visit_photo(
    request: Request[Any, Any, State],
    application_id: FromPath[str],
    data: Annotated[PhotoForm, Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Response[Any]:
    content = await data.file.read()

    async def work(session: AsyncSession, scope: Scope, store: storage.Store) -> Response[Any]:
        row = await documents.add_visit_photo(
            session,
            scope,
            store,
            application_id=uuid_of(application_id, "Application", "applicationId"),
            filename=data.file.filename or "photo",
            content=content,
            caption=data.caption,
        )
        return Response({**described_file("SiteVisitPhoto", row), "caption": row.caption}, status_code=201)

    return await in_bearer_scope(request, work)


@get("/visit-photos/{photo_id:str}", summary="HQ: download a site visit photo")
async def download_visit_photo(request: Request[Any, Any, State], photo_id: FromPath[str]) -> Response[Any]:
    async def work(session: AsyncSession, scope: Scope, store: storage.Store) -> Response[Any]:
        photo_uuid = uuid_of(photo_id, "SiteVisitPhoto", "photoId")
        row, content = await documents.read_visit_photo(session, scope, store, photo_id=photo_uuid)
        return file_response(row.filename, row.content_type, row.sha256, content)

    return await in_bearer_scope(request, work)


@post(
    "/profile-changes/{change_id:str}/evidence",
    summary="Attach evidence (evidence_before, evidence_after) to a recorded profile change",
    request_max_body_size=storage.MAX_BYTES + 65_536,
)
async def attach_evidence(
    request: Request[Any, Any, State],
    change_id: FromPath[str],
    data: Annotated[DocumentForm, Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Response[Any]:
    content = await data.file.read()

    async def work(session: AsyncSession, scope: Scope, store: storage.Store) -> Response[Any]:
        row = await profile.attach_evidence(
            session,
            scope,
            store,
            change_id=uuid_of(change_id, "ProfileChange", "changeId"),
            kind=data.kind,
            filename=data.file.filename or "evidence",
            content=content,
        )
        kind = rules.DocumentKind(row.kind).name  # as GraphQL's StationDocument.kind names it
        return Response({**described_file("StationDocument", row), "kind": kind}, status_code=201)

    return await in_bearer_scope(request, work)


async def _verify(session: AsyncSession, form: LinkForm) -> str:
    registered = await registration.verify(
        session, token=form.token, password=form.password, display_name=form.display_name
    )
    return f"{registered.email} is confirmed: sign in with it to fill in your application."


REGISTRATION_PAGE = link_handlers(
    LinkPage(
        path="/verify-registration",
        title="Confirm your registration",
        intro="Choose the password you will sign in with (or give your current one if you already have an "
        "account): your company's application then opens as a draft, with you as its manager.",
        min_password=MIN_PASSWORD_LENGTH,
        complete=_verify,
    )
)
