"""The plain-HTTP side of identity: the OAuth2 token endpoint, the JWKS, and reading the bearer token."""

from __future__ import annotations

import base64
import binascii
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import unquote
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealernet.core.db import unstorable
from dealernet.core.errors import Conflict, NotFound, Unauthenticated, Unavailable, ValidationFailed
from dealernet.core.scope import AUTH_SCOPE, Scope
from dealernet.core.secrets import secret_box
from dealernet.core.unit_of_work import new_unit_of_work
from dealernet.core.web import LinkForm, LinkPage, link_handlers
from dealernet.tenants.service import directory, factors, partners, sign_in, sso, station_clients
from dealernet.tenants.service.directory import MIN_PASSWORD_LENGTH
from dealernet.tenants.service.keys import KeyStore
from dealernet.tenants.service.throttle import LoginThrottle, policy_of

T = TypeVar("T")
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
GRANTS = "password, refresh_token or client_credentials"
SSO_CALLBACK = "/auth/sso/callback"


async def authenticate(
    keys: KeyStore, sessionmaker: async_sessionmaker[AsyncSession], authorization: str | None
) -> tuple[Scope | None, str | None]:
    """(scope, None) for a valid bearer token, (None, None) without one, (None, reason) for a bad one."""
    if not authorization:
        return None, None
    kind, _, token = authorization.partition(" ")
    if kind.lower() != "bearer" or not token.strip():
        return None, "the Authorization header must be 'Bearer <access token>'"
    try:
        return sign_in.scope_for(await keys.verify(sessionmaker, token.strip())), None
    except (Unauthenticated, ValueError):
        return None, "invalid or expired token"


def _error(status: int, error: str, description: str) -> Response[dict[str, str]]:
    return Response({"error": error, "error_description": description}, status_code=status, headers=_NO_STORE)


def _throttle(request: Request[Any, Any, State]) -> LoginThrottle:
    runtime = request.app.state.runtime
    settings = runtime.settings
    return LoginThrottle(runtime.redis, policy_of(settings))


async def _throttled(
    request: Request[Any, Any, State], account: str, attempt: Callable[[], Awaitable[sign_in.TokenPair]]
) -> sign_in.TokenPair:
    """A credential check behind the failed-login throttle. A locked account still runs the check (same
    cost) and then fails like a wrong password."""
    throttle = _throttle(request)
    address = request.client.host if request.client else "unknown"
    try:
        await throttle.slow_down(account, address)
        allowed = await throttle.begin(account, address)  # counted before the check: a burst cannot race it
    except RedisError as exc:
        # Without its counters the throttle cannot tell a guess from a login: no check, and say so plainly
        # (a local count per process would let a burst spread over the processes get more than the limit).
        raise Unavailable("sign-in is unavailable for a moment; try again in a few seconds") from exc
    try:
        pair = await attempt()
        if not allowed:
            raise Unauthenticated(sign_in.BAD_CREDENTIALS)
    except factors.SecondFactorRequired:
        # The password was right; asking for the code is no failure, unless the account is locked.
        if not allowed:
            raise Unauthenticated(sign_in.BAD_CREDENTIALS) from None
        await throttle.not_a_failure(account, address)
        raise
    with contextlib.suppress(RedisError):  # the attempt stays counted until its window ends: no harm
        await throttle.succeeded(account, address)
    return pair


def _tenant(form: Any) -> UUID | None:
    value = form.get("tenant")
    if not value:
        return None
    try:
        return UUID(str(value))
    except ValueError:
        raise ValidationFailed("tenant must be a membership id") from None


def _client_credentials(request: Request[Any, Any, State], form: Any) -> tuple[str, str]:
    """client_id/client_secret from HTTP Basic (RFC 6749 2.3.1) or the form."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        client_id, _, secret = decoded.partition(":")
        return unquote(client_id), unquote(secret)
    return str(form.get("client_id") or ""), str(form.get("client_secret") or "")


async def _grant(
    request: Request[Any, Any, State], session: AsyncSession, form: Any
) -> sign_in.TokenPair | Response[Any]:
    runtime = request.app.state.runtime
    signer = await runtime.keys.current(runtime.sessionmaker)
    days = runtime.settings.refresh_token_days
    grant = form.get("grant_type")
    if grant == "password":
        username, password = form.get("username"), form.get("password")
        if not username or not password:
            return _error(400, "invalid_request", "username and password are required")
        tenant = _tenant(form)
        otp = str(form.get("otp") or "") or None
        box = secret_box(runtime.settings, factors.BOX_PURPOSE)
        return await _throttled(
            request,
            str(username),
            lambda: sign_in.login(
                session,
                email=str(username),
                password=str(password),
                signer=signer,
                refresh_days=days,
                tenant=tenant,
                otp=otp,
                box=box,
            ),
        )
    if grant == "refresh_token":
        if not form.get("refresh_token"):
            return _error(400, "invalid_request", "refresh_token is required")
        return await sign_in.refresh(
            session,
            refresh_token=str(form.get("refresh_token")),
            signer=signer,
            refresh_days=days,
            tenant=_tenant(form),
        )
    if grant == "client_credentials":
        client_id, secret = _client_credentials(request, form)
        if not client_id or not secret:
            return _error(400, "invalid_request", "client_id and client_secret are required")
        requested = str(form.get("scope") or "").split()
        if client_id.startswith(station_clients.PREFIX):  # a station's DMS: its token is the station's

            def grant() -> Awaitable[sign_in.TokenPair]:
                return station_clients.station_client_credentials(
                    session, client_id=client_id, secret=secret, signer=signer
                )
        else:

            def grant() -> Awaitable[sign_in.TokenPair]:
                return partners.client_credentials(
                    session, client_id=client_id, secret=secret, requested=requested, signer=signer
                )

        return await _throttled(request, f"client:{client_id}", grant)
    return _error(400, "unsupported_grant_type", f"grant_type must be {GRANTS}")


@post("/auth/token", status_code=200, summary=f"OAuth2 token endpoint ({GRANTS} grants)")
async def token_endpoint(request: Request[Any, Any, State]) -> Response[Any]:
    runtime = request.app.state.runtime
    form = await request.form()
    if any(isinstance(value, str) and unstorable(value) for value in form.values()):
        return _error(400, "invalid_request", "a NUL character or invalid Unicode in the request")
    try:
        async with new_unit_of_work(runtime.sessionmaker, AUTH_SCOPE, queue=runtime.redis) as session:
            try:
                pair = await _grant(request, session, form)
            except sign_in.RefreshTokenReused as exc:
                # Commit all the same: the family's revocation must stay.
                return _error(401, "invalid_grant", exc.message)
            if isinstance(pair, Response):
                raise _Refused(pair)
    except _Refused as refused:
        return refused.answer
    except factors.SecondFactorRequired as exc:
        return Response(
            {"error": "invalid_grant", "error_description": exc.message, "mfa_required": True},
            status_code=401,
            headers=_NO_STORE,
        )
    except Unauthenticated as exc:
        error = "invalid_client" if form.get("grant_type") == "client_credentials" else "invalid_grant"
        return _error(401, error, exc.message)
    except ValidationFailed as exc:
        error = "invalid_scope" if "scope" in exc.fields else "invalid_request"
        return _error(400, error, exc.message)
    except Unavailable as exc:
        answer = _error(503, "temporarily_unavailable", exc.message)
        answer.headers["Retry-After"] = str(exc.retry_after)
        return answer
    return Response(_token_body(pair), status_code=200, headers=_NO_STORE)


class _Refused(Exception):
    def __init__(self, answer: Response[Any]) -> None:
        self.answer = answer


def _token_body(pair: sign_in.TokenPair) -> dict[str, Any]:
    body: dict[str, Any] = {"access_token": pair.access_token, "token_type": "Bearer", "expires_in": pair.expires_in}
    if pair.refresh_token is not None:
        body["refresh_token"] = pair.refresh_token
    return body


@get("/auth/sso/{network:str}/{provider:str}", summary="Start single sign-on at the network's identity provider")
async def sso_begin(
    request: Request[Any, Any, State], network: FromPath[str], provider: FromPath[str]
) -> Response[Any]:
    runtime = request.app.state.runtime
    async with runtime.sessionmaker(info={"scope": AUTH_SCOPE}) as session:
        try:
            url = await sso.begin(
                session,
                runtime.redis,
                box=secret_box(runtime.settings, sso.BOX_PURPOSE),
                network_code=network,
                name=provider,
                redirect_uri=f"{runtime.settings.base_url}{SSO_CALLBACK}",
            )
        except NotFound as exc:
            return _error(404, "invalid_request", exc.message)
        except Unauthenticated as exc:
            return _error(502, "temporarily_unavailable", exc.message)
    return Redirect(url, status_code=302, headers=_NO_STORE)


@get(SSO_CALLBACK, summary="Where the identity provider sends the browser back: answers with our tokens")
async def sso_callback(request: Request[Any, Any, State]) -> Response[Any]:
    runtime = request.app.state.runtime
    query = request.query_params
    if query.get("error"):
        return _error(401, "access_denied", f"the identity provider said: {query.get('error')}")
    state, code = query.get("state"), query.get("code")
    if not state or not code:
        return _error(400, "invalid_request", "state and code are required")
    signer = await runtime.keys.current(runtime.sessionmaker)
    try:
        async with new_unit_of_work(runtime.sessionmaker, AUTH_SCOPE, queue=runtime.redis) as session:
            pair = await sso.finish(
                session,
                runtime.redis,
                box=secret_box(runtime.settings, sso.BOX_PURPOSE),
                state=state,
                code=code,
                signer=signer,
                refresh_days=runtime.settings.refresh_token_days,
            )
    except (Unauthenticated, NotFound, Conflict) as exc:
        return _error(401, "access_denied", exc.message)
    return Response(_token_body(pair), status_code=200, headers=_NO_STORE)


@get("/.well-known/jwks.json", summary="The public keys access tokens are signed with")
async def jwks(request: Request[Any, Any, State]) -> Response[dict[str, Any]]:
    runtime = request.app.state.runtime
    signer = await runtime.keys.current(runtime.sessionmaker)
    return Response(signer.jwks(), headers={"Cache-Control": "public, max-age=300"})


async def _accept(session: AsyncSession, form: LinkForm) -> str:
    accepted = await directory.accept_invitation(
        session, token=form.token, password=form.password, display_name=form.display_name
    )
    return f"{accepted.email} has joined: sign in with it."


INVITATION_PAGE = link_handlers(
    LinkPage(
        path="/accept-invitation",
        title="Accept your invitation",
        intro="Choose the password you will sign in with (or give your current one if you already have an "
        "account) to join with the role you were invited to.",
        min_password=MIN_PASSWORD_LENGTH,
        complete=_accept,
    )
)
