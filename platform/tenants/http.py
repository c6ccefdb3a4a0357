"""The plain-HTTP side of identity: the OAuth2 token endpoint and reading the bearer token."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.errors import Unauthenticated
from dealernet.scope import AUTH_SCOPE, Scope
from dealernet.tenants import service
from dealernet.tenants.throttle import LoginThrottle, ThrottlePolicy
from dealernet.tenants.tokens import TokenSigner

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def authenticate(signer: TokenSigner, authorization: str | None) -> tuple[Scope | None, str | None]:
    """(scope, None) for a valid bearer token, (None, None) without one, (None, reason) for a bad one."""
    if not authorization:
        return None, None
    kind, _, token = authorization.partition(" ")
    if kind.lower() != "bearer" or not token.strip():
        return None, "the Authorization header must be 'Bearer <access token>'"
    try:
        return service.scope_for(signer.verify(token.strip())), None
    except (Unauthenticated, ValueError):
        return None, "invalid or expired token"


def _error(status: int, error: str, description: str) -> Response[dict[str, str]]:
    return Response({"error": error, "error_description": description}, status_code=status, headers=_NO_STORE)


def _throttle(request: Request[Any, Any, State]) -> LoginThrottle:
    runtime = request.app.state.runtime
    settings = runtime.settings
    return LoginThrottle(
        runtime.redis,
        ThrottlePolicy(
            window_seconds=settings.login_window_seconds,
            lock_after=settings.login_lock_after,
            address_lock_after=settings.login_address_lock_after,
        ),
    )


async def _throttled_login(
    request: Request[Any, Any, State], session: AsyncSession, username: str, password: str
) -> service.TokenPair:
    """The password grant behind the failed-login throttle. A locked account still verifies the password
    (same cost) and then fails like a wrong one."""
    runtime = request.app.state.runtime
    throttle = _throttle(request)
    address = request.client.host if request.client else "unknown"
    await throttle.slow_down(username, address)
    locked = await throttle.is_locked(username, address)
    try:
        pair = await service.login(
            session,
            email=username,
            password=password,
            signer=runtime.signer,
            refresh_days=runtime.settings.refresh_token_days,
        )
        if locked:
            raise Unauthenticated(service.BAD_CREDENTIALS)
    except Unauthenticated:
        await throttle.record_failure(username, address)
        raise
    await throttle.record_success(username)
    return pair


@post("/auth/token", status_code=200, summary="OAuth2 token endpoint (password and refresh_token grants)")
async def token_endpoint(request: Request[Any, Any, State]) -> Response[Any]:
    runtime = request.app.state.runtime
    form = await request.form()
    grant = form.get("grant_type")
    async with runtime.sessionmaker(info={"scope": AUTH_SCOPE}) as session:
        try:
            if grant == "password":
                username, password = form.get("username"), form.get("password")
                if not username or not password:
                    return _error(400, "invalid_request", "username and password are required")
                pair = await _throttled_login(request, session, str(username), str(password))
            elif grant == "refresh_token":
                if not form.get("refresh_token"):
                    return _error(400, "invalid_request", "refresh_token is required")
                pair = await service.refresh(
                    session,
                    refresh_token=str(form.get("refresh_token")),
                    signer=runtime.signer,
                    refresh_days=runtime.settings.refresh_token_days,
                )
            else:
                return _error(400, "unsupported_grant_type", "grant_type must be password or refresh_token")
            await session.commit()
        except service.RefreshTokenReused as exc:
            await session.commit()  # keep the family's revocation
            return _error(401, "invalid_grant", exc.message)
        except Unauthenticated as exc:
            await session.rollback()
            return _error(401, "invalid_grant", exc.message)
    body = {
        "access_token": pair.access_token,
        "token_type": "Bearer",
        "expires_in": pair.expires_in,
        "refresh_token": pair.refresh_token,
    }
    return Response(body, status_code=200, headers=_NO_STORE)
