"""`flare db roles`: prints the application role's SQL, with no secret in it, for PostgreSQL."""

from __future__ import annotations

import base64
import secrets

import pytest
from sqlalchemy import Engine, text

from store.roles import scram_verifier
from tests.cli.conftest import Flare


def test_roles_prints_the_sql_and_changes_nothing(
    flare: Flare, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    role = f"flare_app_{secrets.token_hex(4)}"
    result = flare("db", "roles", "--role", role)
    if engine.dialect.name == "sqlite":
        assert result.exit_code == 2
        assert "flare: `flare db roles` is for PostgreSQL; SQLite has no roles" in result.stderr
        return
    assert result.exit_code == 0, result.output
    sql = result.stdout
    assert f'REVOKE UPDATE, DELETE, TRUNCATE ON "public".audit_events FROM "{role}", PUBLIC;' in sql
    assert f'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON "public".audit_head FROM "{role}"' in sql
    assert "flare_audit_advance(bigint, varchar) TO" in sql
    assert "BEFORE UPDATE OR DELETE ON" in sql and "BEFORE TRUNCATE ON" in sql
    assert "PASSWORD" not in sql and f"\\password {role}" in sql
    with engine.connect() as conn:
        exists = conn.scalar(text("SELECT count(*) FROM pg_roles WHERE rolname = :r"), {"r": role})
    assert exists == 0  # printing applies nothing

    password = secrets.token_urlsafe(18)
    monkeypatch.setenv("FLARE_TEST_ROLE_PASSWORD", password)
    given = flare("db", "roles", "--role", role, "--password-env", "FLARE_TEST_ROLE_PASSWORD")
    assert given.exit_code == 0, given.output
    assert password not in given.output and "PASSWORD 'SCRAM-SHA-256$4096:" in given.stdout
    missing = flare("db", "roles", "--password-env", "FLARE_TEST_NOT_SET")
    assert missing.exit_code == 2 and "FLARE_TEST_NOT_SET, which is not set" in missing.stderr
    bad = flare("db", "roles", "--role", 'app"; DROP TABLE concerns; --')
    assert bad.exit_code == 2 and "--role" in bad.stderr


@pytest.mark.postgres
def test_the_password_verifier_is_the_one_postgresql_computes(pg_url: str) -> None:
    """PostgreSQL hashes a password with its own salt; ours, with that salt, is the same."""
    import psycopg

    role, password = f"flare_scram_{secrets.token_hex(4)}", secrets.token_urlsafe(18)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("SET password_encryption = 'scram-sha-256'")
        conn.execute(f"CREATE ROLE \"{role}\" PASSWORD '{password}'")
        try:
            row = conn.execute(
                "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (role,)
            ).fetchone()
        finally:
            conn.execute(f'DROP ROLE "{role}"')
    assert row is not None
    stored = str(row[0])
    salt = base64.b64decode(stored.split("$")[1].split(":")[1])
    assert scram_verifier(password, salt=salt) == stored
