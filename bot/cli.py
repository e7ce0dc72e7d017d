"""The `flare` command: serve, worker, db, keys, directory, audit, demo."""

from __future__ import annotations

import contextlib
import os
import signal
import sys

import click

from bot.config import Settings, SettingsError, load_settings


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        click.echo(exc.line, err=True)
        sys.exit(2)


def _runtime(settings: Settings):  # type: ignore[no-untyped-def]
    from bot import logging as flare_logging
    from bot.composition import build_runtime
    from bot.operations.environment import ensure_reachable

    flare_logging.configure(json=settings.env == "production", level=settings.log_level)
    try:
        runtime = build_runtime(settings)
    except SettingsError as exc:
        click.echo(exc.line, err=True)
        sys.exit(2)
    ensure_reachable(runtime)
    return runtime


def _reachable(host: str) -> str:
    """A browser cannot open a wildcard bind address; loopback reaches it."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104


@click.group()
def main() -> None:
    """Flare: raise a concern from chat; only pointers ever reach chat."""


@main.command()
@click.option("--host", default=None, help="Address to bind (default FLARE_HOST or 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default FLARE_PORT or 8000).")
@click.option(
    "--forwarded-allow-ips",
    default=None,
    help="Proxies whose X-Forwarded-For is believed: addresses or networks, comma-separated "
    "(default FLARE_TRUSTED_PROXIES or loopback only).",
)
def serve(host: str | None, port: int | None, forwarded_allow_ips: str | None) -> None:
    """Serve the web app, the platform endpoints and (by default) the outbox worker."""
    overrides = {} if forwarded_allow_ips is None else {"trusted_proxies": forwarded_allow_ips}
    settings = _settings(**overrides)
    _serve(settings, _prepared(settings, host, port), host, port)


def _prepared(settings: Settings, host: str | None, port: int | None):  # type: ignore[no-untyped-def]
    """The runtime, with the schema upgraded and the demo seeded outside production."""
    from bot.demo import seed
    from bot.operations.environment import claim_database, upgrade_schema

    if settings.env == "demo" and "FLARE_PUBLIC_URL" not in os.environ:
        # Demo links must point at the address actually served (--port or FLARE_PORT alike),
        # or the playground's Open fails.
        bind_host, bind_port = host or settings.host, port or settings.port
        settings.public_url = f"http://{_reachable(bind_host)}:{bind_port}"
    runtime = _runtime(settings)
    claim_database(runtime)
    if settings.env != "production":
        upgrade_schema(runtime)
        if settings.env == "demo" and seed(runtime) is not None:
            click.echo("flare: demo data seeded (3 organisations, 6 practitioners, 3 clients)")
    return runtime


def _serve(settings: Settings, runtime, host: str | None, port: int | None) -> None:  # type: ignore[no-untyped-def]
    import uvicorn

    from bot.app import create_app, freeze_startup_objects
    from bot.metrics_listener import listen_for_metrics

    bind_host, bind_port = host or settings.host, port or settings.port
    app = create_app(settings, runtime)
    if settings.env == "demo":
        click.echo(f"flare: demo mode — open {settings.public_url}/playground  (Ctrl-C to stop)")
    try:
        listener = listen_for_metrics(runtime, bind_host, public_port=bind_port)
    except SettingsError as exc:
        click.echo(exc.line, err=True)
        sys.exit(2)
    # The app itself believes X-Forwarded-For from FLARE_TRUSTED_PROXIES only (bot/app.py);
    # uvicorn's own reading (and its FORWARDED_ALLOW_IPS variable) is switched off.
    config = uvicorn.Config(
        app,
        host=bind_host,
        port=bind_port,
        log_config=None,
        access_log=True,
        lifespan="on",
        proxy_headers=False,
    )
    server = uvicorn.Server(config)
    freeze_startup_objects()
    signal.signal(signal.SIGTERM, lambda *_: setattr(server, "should_exit", True))
    # uvicorn re-raises Ctrl-C after its graceful shutdown; that is a clean stop, exit 0.
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if listener is not None:
        listener.stop()


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations to FLARE_DATABASE_URL."""
    from bot.operations.environment import upgrade_schema

    runtime = _runtime(_settings())
    upgrade_schema(runtime, revision)
    click.echo(
        f"flare: database at {runtime.engine.url.render_as_string(hide_password=True)} "
        f"is at {revision}"
    )


@main.group()
def demo() -> None:
    """Demo data."""


@demo.command("seed")
@click.option("--force", is_flag=True, help="Seed even if organisations exist (updates by ref).")
def demo_seed(force: bool) -> None:
    """Load the demo organisations, practitioners, clients and networks."""
    from bot.demo import seed
    from bot.operations.environment import upgrade_schema

    settings = _settings()
    if settings.env == "production":
        click.echo(
            "flare: bad setting FLARE_ENV: demo data goes only into a demo or test database; "
            "set FLARE_ENV=demo",
            err=True,
        )
        sys.exit(2)
    runtime = _runtime(settings)
    upgrade_schema(runtime)
    report = seed(runtime, if_empty=not force)
    if report is None:
        click.echo("flare: demo data already present (use --force to refresh)")
    elif not report.ok:
        for line, problem in report.errors:
            click.echo(f"line {line}: {problem}", err=True)
        sys.exit(1)
    else:
        click.echo(f"flare: demo data seeded: {report.created}")


@demo.command("teams-playground")
@click.option("--port", default=None, type=int, help="Flare's port (default FLARE_PORT or 8000).")
@click.option("--playground-port", default=56150, show_default=True, help="The first Playground.")
def demo_teams_playground(port: int | None, playground_port: int) -> None:
    """Flare in demo mode with Microsoft 365 Agents Playground as two demo people's Teams."""
    from bot.teams.playground import playground_mode
    from bot.teams.playground_demo import PlaygroundProcesses, map_demo_people, seats

    settings = _settings()
    if settings.env != "demo" or not playground_mode(settings):
        click.echo(
            "flare: the Agents Playground needs FLARE_ENV=demo "
            "and no TEAMS_APP_ID/TEAMS_APP_PASSWORD",
            err=True,
        )
        sys.exit(2)
    runtime = _prepared(settings, None, port)
    chosen = seats(playground_port)
    map_demo_people(runtime.dependencies(), chosen)
    flare_port = port or settings.port
    playgrounds = PlaygroundProcesses(
        flare_url=f"http://127.0.0.1:{flare_port}", var_dir=settings.var_dir, chosen=chosen
    )
    try:
        playgrounds.start()
    except (FileNotFoundError, TimeoutError) as exc:
        playgrounds.stop()
        click.echo(f"flare: {exc}", err=True)
        sys.exit(2)
    for seat in chosen:
        click.echo(f"flare: Teams (Agents Playground) as {seat.ref} ({seat.role}): open {seat.url}")
    try:
        _serve(settings, runtime, "127.0.0.1", flare_port)
    finally:
        playgrounds.stop()


# Operator commands (directory import, keys, audit) live in bot/operations/.
from bot.operations import COMMANDS  # noqa: E402
from bot.operations.database import roles as _db_roles  # noqa: E402

for _command in COMMANDS:
    main.add_command(_command)
db.add_command(_db_roles)

# Slack: `flare slack manifest`.
from bot.slack.manifest import slack as _slack  # noqa: E402

main.add_command(_slack)

# Microsoft Teams app package (docs/teams.md).
from bot.teams.package import teams as _teams  # noqa: E402

main.add_command(_teams)

if __name__ == "__main__":
    main()
