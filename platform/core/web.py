"""The plain-HTTP endpoints' helpers (uploads, downloads beside GraphQL): the bearer token's scope, one unit of
work per request, problem answers with the API's error codes, file answers and ids in paths."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from html import escape
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import storage
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


def link_page(
    title: str, intro: str, action: str, token: str, *, min_password: int, error: str = "", status: int = 200
) -> Response[str]:
    """The form a mailed link opens: choose a password (and a name); posts to `action` with the token."""
    problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    body = (
        f"<p>{escape(intro)}</p>{problem}"
        f'<form method="post" action="{escape(action)}">'
        f'<input type="hidden" name="token" value="{escape(token)}">'
        '<label for="display_name">Your name</label>'
        '<input id="display_name" name="display_name" autocomplete="name">'
        f'<label for="password">Password (at least {min_password} characters; your current one if you have an '
        "account)</label>"
        f'<input id="password" name="password" type="password" required minlength="{min_password}" '
        'autocomplete="new-password">'
        "<button type=submit>Confirm</button></form>"
    )
    return Response(_PAGE.format(title=escape(title), body=body), media_type=MediaType.HTML, status_code=status)


def done_page(title: str, message: str) -> Response[str]:
    body = f'<p class="done" role="status">{escape(message)}</p>'
    return Response(_PAGE.format(title=escape(title), body=body), media_type=MediaType.HTML)


async def complete_link(
    request: Request[Any, Any, State], work: Callable[[AsyncSession], Awaitable[str]]
) -> tuple[str | None, str, int]:
    """Run a mailed link's use case as one anonymous unit of work (the login path's scope): (done message,
    "", 200) or (None, the reason in words, its HTTP status)."""
    runtime = request.app.state.runtime
    try:
        async with new_unit_of_work(runtime.sessionmaker, AUTH_SCOPE, queue=runtime.redis) as session:
            return await work(session), "", 200
    except DomainError as exc:
        reasons = "; ".join(f"{reason}" for reason in exc.api_fields().values())
        return (
            None,
            exc.message + (f" ({reasons})" if reasons and reasons != exc.message else ""),
            PROBLEM_STATUS.get(exc.code, 400),
        )
