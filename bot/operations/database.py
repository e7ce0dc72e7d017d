"""`flare db roles`: the PostgreSQL application role, with the audit trail append-only."""

from __future__ import annotations

import os

import click

from bot.operations.environment import fail, open_runtime


@click.command("roles")
@click.option(
    "--role",
    default="flare_app",
    show_default=True,
    help="The application role's name (lower-case letters, digits and _).",
)
@click.option(
    "--password-env",
    metavar="NAME",
    default=None,
    help="Set the role's password from this environment variable; only its SCRAM "
    "verifier is printed or sent, never the password.",
)
@click.option("--apply", is_flag=True, help="Run the SQL now, as FLARE_DATABASE_URL's role.")
def roles(role: str, password_env: str | None, apply: bool) -> None:
    """Print (or with --apply, run) the SQL for Flare's PostgreSQL application role.

    Run it as the role that owns the tables and runs `flare db upgrade`, and again after
    every upgrade; then run `flare serve` and `flare worker` as the application role.
    """
    from sqlalchemy import text

    from store.roles import AppRole, app_role_script, app_role_statements, scram_verifier

    verifier = None
    if password_env is not None:
        password = os.environ.get(password_env, "")
        if not password:
            fail(f"flare: --password-env names {password_env}, which is not set", code=2)
        verifier = scram_verifier(password)
    runtime = open_runtime(migrate=False)
    engine = runtime.engine
    if engine.dialect.name != "postgresql":
        fail("flare: `flare db roles` is for PostgreSQL; SQLite has no roles", code=2)
    with engine.connect() as conn:
        database, schema = conn.execute(text("SELECT current_database(), current_schema()")).one()
    try:
        spec = AppRole(role, str(database), str(schema), verifier)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--role") from None
    if not apply:
        click.echo(app_role_script(spec), nl=False)
        return
    with engine.begin() as conn:
        cursor = conn.connection.cursor()  # the driver's own: no placeholders to escape
        for statement in app_role_statements(spec):
            cursor.execute(statement)
    click.echo(
        f"flare: role {role} ready in {database}: it may INSERT audit events but not UPDATE, "
        "DELETE or TRUNCATE them"
    )
