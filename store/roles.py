"""The PostgreSQL application role: everything Flare needs, and the audit trail append-only.

The owner role (the one that ran the migrations) runs this SQL. The application role it
makes may read and write Flare's tables, may INSERT audit events but not UPDATE, DELETE or
TRUNCATE them, and may move the chain's head only through `flare_audit_advance`, which
refuses a head that does not extend the chain (made by the migrations). A trigger refuses UPDATE,
DELETE and TRUNCATE of audit events to every role, the owner included, as a second layer.

The SQL is idempotent: run it again after every `flare db upgrade`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
SCRAM_ITERATIONS = 4096


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def scram_verifier(password: str, *, salt: bytes | None = None) -> str:
    """PostgreSQL's SCRAM-SHA-256 verifier for a password: what the server stores, not it."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, SCRAM_ITERATIONS)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"SCRAM-SHA-256${SCRAM_ITERATIONS}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


@dataclass(frozen=True)
class AppRole:
    role: str
    database: str
    schema: str
    password_verifier: str | None = None

    def __post_init__(self) -> None:
        if not ROLE_NAME.match(self.role):
            raise ValueError("a role name is lower-case letters, digits and _ (at most 63)")


def app_role_statements(spec: AppRole) -> list[str]:
    """The statements, in order; each one is safe to run again."""
    role, schema = _ident(spec.role), _ident(spec.schema)
    events, head = f"{schema}.audit_events", f"{schema}.audit_head"
    guard = f"{schema}.flare_audit_append_only()"
    login = [
        "DO $$ BEGIN "
        f"IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '{spec.role}') "
        f"THEN CREATE ROLE {role} LOGIN; END IF; END $$",
        f"ALTER ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
    ]
    if spec.password_verifier is not None:
        login.append(f"ALTER ROLE {role} PASSWORD '{spec.password_verifier}'")
    return [
        *login,
        f"GRANT CONNECT ON DATABASE {_ident(spec.database)} TO {role}",
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {role}",
        # The audit trail: append only; the head moves only through the checking function.
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {events} FROM {role}, PUBLIC",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {head} FROM {role}, PUBLIC",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {schema}.alembic_version FROM {role}",
        f"GRANT EXECUTE ON FUNCTION {schema}.flare_audit_head(), "
        f"{schema}.flare_audit_advance(bigint, varchar) TO {role}",
        f"CREATE OR REPLACE FUNCTION {guard} RETURNS trigger LANGUAGE plpgsql AS $fn$ "
        "BEGIN RAISE EXCEPTION 'flare: audit events are append-only (% refused)', TG_OP; "
        "END $fn$",
        f"REVOKE ALL ON FUNCTION {guard} FROM PUBLIC",
        f"DROP TRIGGER IF EXISTS audit_events_append_only ON {events}",
        f"CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON {events} "
        f"FOR EACH ROW EXECUTE FUNCTION {guard}",
        f"DROP TRIGGER IF EXISTS audit_events_no_truncate ON {events}",
        f"CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON {events} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {guard}",
    ]


def app_role_script(spec: AppRole) -> str:
    """The statements as a psql script, with what it is for."""
    header = [
        f"-- Flare: the application role {spec.role} for database {spec.database}.",
        "-- Run as the role that owns Flare's tables (the one that runs `flare db upgrade`),",
        "-- and again after every upgrade. It may INSERT audit events, never UPDATE, DELETE",
        "-- or TRUNCATE them, and moves the chain's head only through flare_audit_advance().",
    ]
    if spec.password_verifier is None:
        header.append(f"-- No password is set here; set one yourself, e.g. \\password {spec.role}")
    body = [statement + ";" for statement in app_role_statements(spec)]
    return "\n".join([*header, "BEGIN;", *body, "COMMIT;"]) + "\n"
