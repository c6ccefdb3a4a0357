"""A small OpenID Connect provider for the SSO tests, served over real HTTP on loopback by uvicorn.

It does what an OEM's identity provider does in the authorization-code flow: discovery, JWKS, an
authorize endpoint that signs in `person` at once (no login page) and redirects back with a code, and a
token endpoint that checks the client secret (HTTP Basic), the redirect URI and the PKCE verifier before
it returns an RS256-signed id token carrying the request's nonce. `tamper` makes it misbehave the way a
hostile or broken provider would.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey
from litestar import Litestar, Request, Response, get, post
from litestar.response import Redirect

CLIENT_ID = "dealernet-test"
CLIENT_SECRET = "idp-client-secret"


@dataclass
class Provider:
    issuer: str = ""
    person: dict[str, Any] = field(default_factory=dict)
    # "nonce" (echo another nonce), "audience" (token for another client), "key" (signed with a key not
    # in the JWKS), "expired", "hs256" (signed with the client secret as an HMAC key).
    tamper: str = ""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "idp-1"}))
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: int = 0

    def id_token(self, grant: dict[str, Any]) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": "someone-else" if self.tamper == "audience" else CLIENT_ID,
            "iat": now,
            "exp": now - 600 if self.tamper == "expired" else now + 300,
            "nonce": "replayed-nonce" if self.tamper == "nonce" else grant["nonce"],
            **grant["person"],
        }
        if self.tamper == "hs256":
            return jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(CLIENT_SECRET), algorithms=["HS256"])
        key = RSAKey.generate_key(2048, parameters={"kid": "idp-1"}) if self.tamper == "key" else self.key
        return jwt.encode({"alg": "RS256", "kid": "idp-1"}, claims, key)


def _app(provider: Provider) -> Litestar:
    @get("/.well-known/openid-configuration")
    async def discovery() -> dict[str, Any]:
        return {
            "issuer": provider.issuer,
            "authorization_endpoint": f"{provider.issuer}/authorize",
            "token_endpoint": f"{provider.issuer}/token",
            "jwks_uri": f"{provider.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "HS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    @get("/jwks")
    async def jwks() -> dict[str, Any]:
        return {"keys": [provider.key.as_dict(private=False)]}

    @get("/authorize")
    async def authorize(request: Request[Any, Any, Any]) -> Response[Any]:
        query = {k: str(v) for k, v in request.query_params.items()}
        provider.authorize_requests.append(query)
        back = query["redirect_uri"]
        if query.get("client_id") != CLIENT_ID or query.get("code_challenge_method") != "S256":
            return Redirect(f"{back}?{urlencode({'error': 'invalid_request', 'state': query.get('state', '')})}")
        code = secrets.token_urlsafe(16)
        provider.codes[code] = {
            "nonce": query.get("nonce", ""),
            "challenge": query.get("code_challenge", ""),
            "redirect_uri": back,
            "person": dict(provider.person),
        }
        return Redirect(f"{back}?{urlencode({'code': code, 'state': query['state']})}")

    @post("/token", status_code=200)
    async def token(request: Request[Any, Any, Any]) -> Response[Any]:
        provider.token_requests += 1
        form = await request.form()
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return Response({"error": "invalid_client"}, status_code=401)
        grant = provider.codes.pop(str(form.get("code")), None)
        if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
            return Response({"error": "invalid_grant"}, status_code=400)
        verifier = str(form.get("code_verifier") or "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if not verifier or challenge != grant["challenge"]:
            return Response({"error": "invalid_grant", "error_description": "PKCE verification failed"}, 400)
        return Response(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": provider.id_token(grant),
            }
        )

    return Litestar(route_handlers=[discovery, jwks, authorize, token])


@asynccontextmanager
async def running_provider() -> AsyncIterator[Provider]:
    """The provider on a free loopback port for the length of the block."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    provider = Provider(issuer=f"http://127.0.0.1:{port}")
    server = uvicorn.Server(uvicorn.Config(_app(provider), log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield provider
    finally:
        server.should_exit = True
        await task
        sock.close()
