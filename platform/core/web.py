"""The plain-HTTP endpoints' helpers (uploads, downloads beside GraphQL): the bearer token's scope, one unit of
work per request, problem answers with the API's error codes, file answers and ids in paths."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from html import escape
from typing import Annotated, Any, Protocol, TypeVar
from urllib.parse import quote

from litestar import MediaType, Request, Response, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.handlers import HTTPRouteHandler
from litestar.params import Body, FromQuery
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import storage
from dealernet.core.db import unstorable
from dealernet.core.errors import DomainError, Unauthenticated
from dealernet.core.ids import global_id
from dealernet.core.scope import AUTH_SCOPE, Scope
from dealernet.core.unit_of_work import new_unit_of_work

T = TypeVar("T")


class Authenticator(Protocol):
    """What the entry layer puts in `app.state.runtime` (core knows no tokens and no stations)."""

    async def authenticate(self, authorization: str | None) -> tuple[Scope | None, str | None]:
        """(scope, None) for a valid bearer token, (None, None) without one, (None, reason) for a bad one."""

    async def with_standing(self, session: AsyncSession, scope: Scope) -> Scope:
        """The scope with the station's standing now (suspended or terminated stations read, not submit)."""


# Plain-HTTP endpoints beside GraphQL answer domain errors with the same codes, as JSON.
PROBLEM_STATUS = {
    "VALIDATION": 400,
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "CONFLICT": 409,
    "RATE_LIMITED": 429,
    "UNAVAILABLE": 503,
}


async def bearer_scope(request: Request[Any, Any, State]) -> Scope | Response[dict[str, Any]]:
    """The bearer token's scope, or the 401 answer."""
    runtime: Authenticator = request.app.state.runtime
    scope, problem = await runtime.authenticate(request.headers.get("authorization"))
    if scope is None:
        return problem_response(Unauthenticated(problem or "log in first: send 'Authorization: Bearer <access token>'"))
    return scope


def problem_response(exc: DomainError) -> Response[dict[str, Any]]:
    body = {"code": exc.code, "message": exc.message, "fields": exc.api_fields()}
    return Response(body, status_code=PROBLEM_STATUS.get(exc.code, 500))


async def in_bearer_scope(
    request: Request[Any, Any, State], work: Callable[[AsyncSession, Scope, storage.Store], Awaitable[T]]
) -> T | Response[Any]:
    """`work` in the bearer token's scope as one transaction (committed when it returns), or the error answer:
    the plain-HTTP endpoints' unit of work."""
    runtime = request.app.state.runtime
    scope = await bearer_scope(request)
    if not isinstance(scope, Scope):
        return scope
    try:
        async with new_unit_of_work(runtime.sessionmaker, scope, queue=runtime.redis) as session:
            scope = await runtime.with_standing(session, scope)
            result = await work(session, scope, runtime.store)
    except DomainError as exc:
        return problem_response(exc)
    return result


def described_file(type_name: str, row: Any) -> dict[str, Any]:
    """What an upload answers: the stored file's global id, name, type, size and checksum."""
    return {
        "id": global_id(type_name, row.id),
        "filename": row.filename,
        "contentType": row.content_type,
        "size": row.size,
        "sha256": row.sha256,
    }


def file_response(filename: str, content_type: str, sha256: str, content: bytes) -> Response[Any]:
    """A stored file as a download: an ASCII fallback name and the real (often Chinese) one as RFC 6266's
    filename*, never sniffed, never cached by shared caches."""
    fallback = filename.encode("ascii", "ignore").decode().replace('"', "").replace("\\", "") or "file"
    headers = {
        "Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
        "Digest": f"sha-256={sha256}",
    }
    return Response(content, media_type=content_type, headers=headers)


# --- The pages mailed links open (until the web console serves them) -------------------------------------

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Dealernet</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222}}
label{{display:block;margin:1rem 0 .25rem}}input{{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}}
button{{margin-top:1.5rem;padding:.6rem 1.2rem;font:inherit}}.error{{color:#a40000}}.done{{color:#1a6b1a}}</style>
</head><body><h1>{title}</h1>{body}</body></html>"""


@dataclass
class LinkForm:
    """What a mailed link's page posts back: the link's token, the new password, the person's name."""

    token: str = ""
    password: str = ""
    display_name: str = ""


@dataclass(frozen=True)
class LinkPage:
    """A page a mailed link opens: a form to choose a password, and the use case its post completes (run as
    one anonymous unit of work, the login path's scope; it returns what to tell the person)."""

    path: str
    title: str
    intro: str
    min_password: int
    complete: Callable[[AsyncSession, LinkForm], Awaitable[str]]

    def form(self, token: str, *, error: str = "", status: int = 200) -> Response[str]:
        problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
        body = (
            f"<p>{escape(self.intro)}</p>{problem}"
            f'<form method="post" action="{escape(self.path)}">'
            f'<input type="hidden" name="token" value="{escape(token)}">'
            '<label for="display_name">Your name</label>'
            '<input id="display_name" name="display_name" autocomplete="name">'
            f'<label for="password">Password (at least {self.min_password} characters; your current one if you '
            "have an account)</label>"
            f'<input id="password" name="password" type="password" required minlength="{self.min_password}" '
            'autocomplete="new-password">'
            "<button type=submit>Confirm</button></form>"
        )
        return self._page(body, status)

    def done(self, message: str) -> Response[str]:
        return self._page(f'<p class="done" role="status">{escape(message)}</p>', 200)

    def _page(self, body: str, status: int) -> Response[str]:
        html = _PAGE.format(title=escape(self.title), body=body)
        return Response(html, media_type=MediaType.HTML, status_code=status)

    async def submit(self, request: Request[Any, Any, State], data: LinkForm) -> Response[str]:
        if any(unstorable(value) for value in (data.token, data.password, data.display_name)):
            return self.form("", error="the form holds a NUL character or invalid Unicode", status=400)
        runtime = request.app.state.runtime
        try:
            async with new_unit_of_work(runtime.sessionmaker, AUTH_SCOPE, queue=runtime.redis) as session:
                message = await self.complete(session, data)
        except DomainError as exc:
            reasons = "; ".join(exc.api_fields().values())
            error = f"{exc.message} ({reasons})" if reasons else exc.message
            return self.form(data.token, error=error, status=PROBLEM_STATUS.get(exc.code, 400))
        return self.done(message)


def link_handlers(page: LinkPage) -> list[HTTPRouteHandler]:
    """The page's two routes: GET shows the form, POST (form-encoded) completes it."""

    @get(page.path, summary=f"{page.title}: the page its mail links to", sync_to_thread=False)
    def show(token: FromQuery[str] = "") -> Response[str]:
        return page.form(token)

    @post(page.path, summary=f"{page.title} (the page's form post)", status_code=200)
    async def submit(
        request: Request[Any, Any, State], data: Annotated[LinkForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
    ) -> Response[str]:
        return await page.submit(request, data)

    return [show, submit]
