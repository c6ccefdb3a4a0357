"""The `dealernet` command: serve, worker, migrate, seed-demo, graphql-schema, demo."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Coroutine
from functools import partial
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer
import uvicorn
import uvloop
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import select

from dealernet import provision
from dealernet.core import bootstrap, outbox, storage
from dealernet.core.access import Role
from dealernet.core.db import create_engine, make_sessionmaker, scoped_session
from dealernet.core.embedded import Servers, resolve_database, resolve_servers, stop_redis
from dealernet.core.errors import DomainError
from dealernet.core.journal import ChainBreak, verify_chain
from dealernet.core.logs import configure_logging
from dealernet.core.mail import LogMailer
from dealernet.core.scope import Scope
from dealernet.core.settings import Settings, SettingsError, load_settings
from dealernet.core.unit_of_work import PENDING, new_unit_of_work
from dealernet.policy.models import Import
from dealernet.policy.service import imports
from dealernet.tenants.models import Membership, User
from dealernet.tenants.service.keys import rotate as rotate_keys
from dealernet.tenants.service.sign_in import claims_of, scope_for
from dealernet.worker import connect_queue, register_jobs

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
    from dealernet.network.demo import seed_demo_onboarding
    from dealernet.policy.demo import seed_demo_policy
    from dealernet.tenants.demo import DEMO_PASSWORD, seed_demo
    from dealernet.warranty.demo import seed_demo_warranty
    from dealernet.workshop.demo import seed_demo_workshop

    async with bootstrap.seed_session(settings, servers.postgres_admin_url) as session:
        network_id = await seed_demo(session)
        await seed_demo_policy(session, network_id)
        await seed_demo_onboarding(session, network_id, DEMO_PASSWORD, storage.open_store(settings))
        await seed_demo_workshop(session, network_id)
        await seed_demo_warranty(session, network_id)


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
    """Create the roles, the database and its extensions if missing, then run the migrations. Needs only the
    database: no Redis."""
    settings = _settings()
    try:
        admin_url = resolve_database(settings)
    except SettingsError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None

    async def run() -> None:
        await bootstrap.ensure_roles_and_database(admin_url, settings.database_name)
        await bootstrap.migrate(settings, admin_url, revision)
        if revision == "head":
            await provision.ensure_signing_key(settings, admin_url)

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


async def _operator_scope(settings: Settings, admin_url: str, email: str) -> Scope:
    """The scope of an HQ admin, by e-mail: an operator's command acts as that person (and is journaled so)."""
    async with bootstrap.seed_session(settings, admin_url) as session:
        membership = (
            await session.scalars(
                select(Membership)
                .join(User, User.id == Membership.user_id)
                .where(User.email == email.strip().lower(), User.is_active, Membership.role == Role.HQ_ADMIN.value)
            )
        ).first()
    if membership is None:
        typer.echo(f"{email} is not an active HQ admin", err=True)
        raise typer.Exit(2)
    return scope_for(claims_of(membership, second_factor=True))


async def _import_file(settings: Settings, servers: Servers, scope: Scope, path: Path, **kw: Any) -> Import:
    """Queue the import, run its job here (a worker elsewhere would wait on the row's lock and find it
    done) and show the job's progress from Redis as a bar."""
    engine = create_engine(bootstrap.app_url(settings, servers.postgres_admin_url), pool_size=2)
    redis = await connect_queue(servers.redis_url)
    sessionmaker = make_sessionmaker(engine)
    content = await asyncio.to_thread(path.read_bytes)
    try:
        # No queue: the job runs right here, below, with a progress bar.
        async with new_unit_of_work(sessionmaker, scope, queue=None) as session:
            started = await imports.start_import(session, scope, filename=path.name, content=content, **kw)
            jobs = list(session.info.get(PENDING, []))
            session.expunge(started.row)
        if started.duplicate:
            typer.echo(f"{path.name} was imported already (import {started.row.id}); nothing to do")
            return started.row
        env = outbox.JobEnv(settings=settings, mailer=LogMailer(), redis=redis)
        job = asyncio.create_task(outbox.run(sessionmaker, jobs[0], env))
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, transient=False) as bar:
            task = bar.add_task(f"checking {path.name}", total=None)
            while not job.done():
                found = await imports.read_progress(redis, started.row.id)
                if found:
                    bar.update(task, completed=found[0], total=found[1])
                await asyncio.sleep(0.2)
            job.result()
            found = await imports.read_progress(redis, started.row.id)
            if found:
                bar.update(task, completed=found[0], total=found[1])
        async with scoped_session(sessionmaker, scope) as session:
            done = await session.get(Import, started.row.id, populate_existing=True)
            assert done is not None
            session.expunge(done)
            return done
    finally:
        await redis.aclose()
        await engine.dispose()


@cli.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A .csv or .xlsx file")],
    kind: Annotated[str, typer.Option(help="parts (the catalogue) or prices (a draft price list)")],
    as_: Annotated[str, typer.Option("--as", help="The e-mail of the HQ admin the import is made as")],
    price_list: Annotated[str | None, typer.Option(help="The draft price list's id (prices)")] = None,
    valid_rows: Annotated[bool, typer.Option(help="Write the good rows even when some are bad")] = False,
) -> None:
    """Import a catalogue or price file with a progress bar; exit 1 when rows were rejected."""
    settings = _settings()
    servers = _servers(settings)

    async def run() -> Import:
        scope = await _operator_scope(settings, servers.postgres_admin_url, as_)
        return await _import_file(
            settings,
            servers,
            scope,
            path,
            kind=kind,
            publication_id=UUID(price_list) if price_list else None,
            mode=imports.VALID_ROWS if valid_rows else imports.ALL_OR_NOTHING,
        )

    try:
        done = asyncio.run(run())
    except DomainError as exc:
        detail = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
        typer.echo(f"{exc.code}: {exc.message}" + (f" ({detail})" if detail else ""), err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"{done.status}: {done.rows_total} rows, {done.rows_written} new or changed, {done.rows_rejected} rejected"
    )
    for problem in done.errors[:20]:
        typer.echo(f"  line {problem['line']}, {problem['column']}: {problem['reason']}", err=True)
    if done.rows_rejected:
        raise typer.Exit(1)


@cli.command()
def permissions() -> None:
    """Print the permission matrix (docs/permissions.md is this output)."""
    from dealernet.matrix import render_matrix

    sys.stdout.write(render_matrix())


@cli.command("graphql-schema")
def graphql_schema() -> None:
    """Print the GraphQL schema (SDL); `dealernet graphql-schema > schema.graphql` updates the committed one."""
    from dealernet.api import build_schema

    sys.stdout.write(build_schema(production=False).as_str() + "\n")


async def _run(settings: Settings, servers: Servers, *, api: bool, worker: bool, banner: str = "") -> None:
    from dealernet.app import create_app
    from dealernet.worker import make_worker, supervise

    tasks: list[asyncio.Task[object]] = []
    if worker:  # supervised: a Redis gap stops a worker, and a new one starts once Redis answers again
        make = partial(
            make_worker, settings, servers.redis_url, handle_signals=not api, admin_url=servers.postgres_admin_url
        )
        tasks.append(asyncio.create_task(supervise(make)))
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
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)


def _on_uvloop(main: Coroutine[Any, Any, None]) -> None:
    """The servers run on uvloop: libuv's socket I/O costs a fraction of asyncio's selector loop's, which spent a
    quarter of a compiled page's time in socket writes (bench/README, the compiled pages)."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)


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
        _on_uvloop(_run(settings, servers, api=True, worker=False))
    stop_redis()


@cli.command()
def worker() -> None:
    """Run the arq worker: background jobs and crons."""
    settings = _settings()
    servers = _servers(settings)
    with contextlib.suppress(KeyboardInterrupt):
        _on_uvloop(_run(settings, servers, api=False, worker=True))
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
        await provision.provision(settings, servers.postgres_admin_url)
        await _seed_demo(settings, servers)

    asyncio.run(prepare())
    with contextlib.suppress(KeyboardInterrupt):
        _on_uvloop(_run(settings, servers, api=True, worker=True, banner=demo_banner(settings)))
    stop_redis()
    typer.echo("stopped")


def main() -> None:
    register_jobs()
    cli()
