"""The `dealernet` command: serve, worker, migrate, seed-demo, graphql-schema, demo."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import Annotated

import typer
import uvicorn

from dealernet import bootstrap
from dealernet.audit.service import ChainBreak, verify_chain
from dealernet.embedded import Servers, resolve_servers, stop_redis
from dealernet.logs import configure_logging
from dealernet.settings import Settings, SettingsError, load_settings
from dealernet.tenants.keys import rotate as rotate_keys

cli = typer.Typer(
    help="Dealernet: the OEM after-sales service network platform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _settings() -> Settings:
    try:
        settings = load_settings()
    except SettingsError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    configure_logging(settings)
    return settings


def _servers(settings: Settings) -> Servers:
    try:
        return resolve_servers(settings)
    except SettingsError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


async def _seed_demo(settings: Settings, servers: Servers) -> None:
    from dealernet.tenants.demo import seed_demo

    async with bootstrap.seed_session(settings, servers.postgres_admin_url) as session:
        await seed_demo(session)


def _refuse_demo_in_production(settings: Settings) -> None:
    if settings.is_production or not settings.demo_seed:
        typer.echo(
            "the demo network is for development and test only (DEALERNET_ENV=production refuses it)",
            err=True,
        )
        raise typer.Exit(2)


@cli.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="head, a revision, or -N / base to go down")] = "head",
) -> None:
    """Create the roles and the database if missing, then run the migrations."""
    settings = _settings()
    servers = _servers(settings)

    async def run() -> None:
        await bootstrap.ensure_roles_and_database(servers.postgres_admin_url, settings.database_name)
        await bootstrap.migrate(settings, servers.postgres_admin_url, revision)
        if revision == "head":
            await bootstrap.ensure_signing_key(settings, servers.postgres_admin_url)

    asyncio.run(run())
    typer.echo(f"database {settings.database_name} migrated to {revision}")


@cli.command("seed-demo")
def seed_demo_command() -> None:
    """Seed the demo network (idempotent; refused in production)."""
    settings = _settings()
    _refuse_demo_in_production(settings)
    servers = _servers(settings)
    asyncio.run(_seed_demo(settings, servers))
    typer.echo("demo network seeded")


keys = typer.Typer(help="Token signing keys.", no_args_is_help=True)
journal = typer.Typer(help="The change journal.", no_args_is_help=True)
cli.add_typer(keys, name="keys")
cli.add_typer(journal, name="journal")


@keys.command("rotate")
def keys_rotate() -> None:
    """Retire the signing key and create the next; tokens signed before stay valid until they expire."""
    settings = _settings()
    servers = _servers(settings)

    async def run() -> tuple[list[str], str]:
        async with bootstrap.seed_session(settings, servers.postgres_admin_url) as session:
            return await rotate_keys(session, settings)

    retired, kid = asyncio.run(run())
    typer.echo(
        f"new signing key {kid}; retired {', '.join(retired) or 'none'} (they verify for "
        f"{settings.access_token_seconds} s more). API processes pick the new key up within a minute."
    )


@journal.command("verify")
def journal_verify() -> None:
    """Recompute every network's hash chain; exit 1 and name the first broken row of each network."""
    settings = _settings()
    servers = _servers(settings)

    async def run() -> tuple[int, list[ChainBreak]]:
        async with bootstrap.seed_session(settings, servers.postgres_admin_url) as session:
            checked, breaks = await verify_chain(session)
            return checked, list(breaks)

    checked, breaks = asyncio.run(run())
    for found in breaks:
        typer.echo(f"TAMPERED network {found.network_id} at seq {found.seq}: {found.reason}", err=True)
    typer.echo(f"{checked} journal rows checked, {len(breaks)} broken chain(s)")
    if breaks:
        raise typer.Exit(1)


@cli.command()
def permissions() -> None:
    """Print the permission matrix (docs/permissions.md is this output)."""
    from dealernet.graphql.matrix import render_matrix

    sys.stdout.write(render_matrix())


@cli.command("graphql-schema")
def graphql_schema() -> None:
    """Print the GraphQL schema (SDL); `dealernet graphql-schema > schema.graphql` updates the committed one."""
    from dealernet.graphql.schema import build_schema

    sys.stdout.write(build_schema(production=False).as_str() + "\n")


async def _run(settings: Settings, servers: Servers, *, api: bool, worker: bool, banner: str = "") -> None:
    from dealernet.app import create_app
    from dealernet.worker import make_worker

    tasks: list[asyncio.Task[object]] = []
    arq_worker = (
        make_worker(settings, servers.redis_url, handle_signals=not api, admin_url=servers.postgres_admin_url)
        if worker
        else None
    )
    if arq_worker is not None:
        tasks.append(asyncio.create_task(arq_worker.async_run()))
    try:
        if api:
            config = uvicorn.Config(
                create_app(settings),
                host=settings.host,
                port=settings.port,
                log_config=None,
                lifespan="on",
                proxy_headers=False,
            )
            server = uvicorn.Server(config)
            if banner:
                tasks.append(asyncio.create_task(_print_when_started(server, banner)))
            await server.serve()
        elif tasks:
            await tasks[0]
    finally:
        for task in tasks:
            task.cancel()
        if arq_worker is not None:
            await arq_worker.close()


async def _print_when_started(server: uvicorn.Server, banner: str) -> None:
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
        await asyncio.sleep(0.05)
    typer.echo(banner)


@cli.command()
def serve() -> None:
    """Serve the API (expects a migrated database; see `migrate`)."""
    settings = _settings()
    servers = _servers(settings)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(settings, servers, api=True, worker=False))
    stop_redis()


@cli.command()
def worker() -> None:
    """Run the arq worker: background jobs and crons."""
    settings = _settings()
    servers = _servers(settings)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(settings, servers, api=False, worker=True))
    stop_redis()


def demo_banner(settings: Settings) -> str:
    from dealernet.tenants.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_LOGINS, DEMO_PASSWORD

    url = f"http://{settings.host}:{settings.port}"
    logins = "\n".join(f"  {login.email:<34} {login.who}" for login in DEMO_LOGINS)
    return (
        f"\nDealernet is serving on {url}\n"
        f"  GraphiQL:  {url}/graphql\n"
        f"  Token:     POST {url}/auth/token (grant_type=password&username=...&password=...)\n"
        f"  Health:    {url}/health   Ready: {url}/ready   Metrics: {url}/metrics\n\n"
        f"Demo logins (password {DEMO_PASSWORD!r}):\n{logins}\n"
        f"Partner API client: client_id {DEMO_CLIENT_ID!r}, client_secret {DEMO_CLIENT_SECRET!r} "
        "(grant_type=client_credentials)\n\nCtrl-C stops the API, the worker and the "
        "embedded servers.\n"
    )


@cli.command()
def demo() -> None:
    """Everything in one: servers, roles, migrations, the demo network, the API and a worker."""
    settings = _settings()
    _refuse_demo_in_production(settings)
    servers = _servers(settings)

    async def prepare() -> None:
        await bootstrap.bootstrap(settings, servers.postgres_admin_url)
        await _seed_demo(settings, servers)

    asyncio.run(prepare())
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(settings, servers, api=True, worker=True, banner=demo_banner(settings)))
    stop_redis()
    typer.echo("stopped")


def main() -> None:
    cli()
