"""Flare's schema, in one step

Revision ID: 0001
Revises:
Create Date: 2026-11-28

The whole history before any production database existed, squashed into one revision
(it was 0001 → 0008 → 0002 → 0006 → 0009 → 0010 → 0011 → 0012). It builds what
`store.models` declares, in the models' order, with the same table, column, constraint
and index names, and on PostgreSQL also:

- the organisations → practitioners duty-contact foreign key, added once both tables
  exist (CREATE TABLE leaves out a use_alter key; SQLite keeps it inline);
- `flare_audit_head()` and `flare_audit_advance(seq, hash)`: the audit head moves only
  through these SECURITY DEFINER functions, which check the chain, so an application role
  that may not UPDATE `audit_head` (`flare db roles`) can still append. EXECUTE is revoked
  from PUBLIC; `flare db roles` grants it to the application role. SQLite has no roles.

The partial indexes (retention and reminder sweeps, measured by `make bench`) exist on
both databases: each holds only rows a sweep can still pick, so it stays small.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# UTC on both databases; store.models.UTCDateTime wraps this type without changing its DDL.
TIMESTAMP = sa.DateTime(timezone=True)
# audit sequence numbers: BIGSERIAL on PostgreSQL, SQLite's rowid alias on SQLite.
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

RETAINED = sa.text("shredded_at IS NULL AND status IN ('closed', 'not_shared')")
RETAINED_UNCLOSED = sa.text(
    "shredded_at IS NULL AND closed_at IS NULL AND status IN ('closed', 'not_shared')"
)
SHREDDED = sa.text("shredded_at IS NOT NULL")
OPEN = sa.text("state = 'open'")

AUDIT_HEAD = """
CREATE OR REPLACE FUNCTION flare_audit_head()
RETURNS TABLE (head_seq bigint, head_hash varchar)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, {schema}, pg_temp
AS $fn$
BEGIN
    INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, repeat('0', 64))
        ON CONFLICT (id) DO NOTHING;
    RETURN QUERY SELECT h.seq::bigint, h.hash::varchar FROM audit_head h WHERE h.id = 1
        FOR UPDATE;
END
$fn$
"""

AUDIT_ADVANCE = """
CREATE OR REPLACE FUNCTION flare_audit_advance(new_seq bigint, new_hash varchar)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, {schema}, pg_temp
AS $fn$
DECLARE
    at_seq bigint;
    at_hash varchar;
    event record;
BEGIN
    SELECT h.seq, h.hash INTO at_seq, at_hash FROM audit_head h WHERE h.id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'flare: the audit chain has no head';
    END IF;
    IF new_seq <= at_seq THEN
        RAISE EXCEPTION 'flare: the audit head only moves forward (it is at %)', at_seq;
    END IF;
    FOR event IN
        SELECT e.seq, e.prev_hash, e.hash FROM audit_events e
        WHERE e.seq > at_seq AND e.seq <= new_seq ORDER BY e.seq
    LOOP
        IF event.seq <> at_seq + 1 OR event.prev_hash <> at_hash THEN
            RAISE EXCEPTION 'flare: audit event % does not extend the chain', event.seq;
        END IF;
        at_seq := event.seq;
        at_hash := event.hash;
    END LOOP;
    IF at_seq <> new_seq OR at_hash <> new_hash THEN
        RAISE EXCEPTION 'flare: the audit head must name the newest event of the chain';
    END IF;
    UPDATE audit_head SET seq = new_seq, hash = new_hash WHERE id = 1;
END
$fn$
"""

DUTY_CONTACT_FK = "fk_organisations_duty_contact_id_practitioners"


def _id() -> sa.Column[str]:
    return sa.Column("id", sa.String(length=32), nullable=False)


def _pk(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    """`table.column` references `target.id`, named by the models' convention."""
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def _index(table: str, column: str) -> None:
    """A plain index on one column, named ix_<table>_<column> as the models' `index=True`."""
    op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def upgrade() -> None:
    _keys_and_audit()
    _directory()
    _clients()
    _concerns()
    _delivery()
    _platforms()
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_only()


def _keys_and_audit() -> None:
    op.create_table(
        "data_keys",
        _id(),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("master_kid", sa.String(length=32), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("shredded_at", TIMESTAMP, nullable=True),
        _pk("data_keys"),
    )
    _index("data_keys", "master_kid")

    op.create_table(
        "system_keys",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("data_key_id", sa.String(length=32), nullable=False),
        _fk("system_keys", "data_key_id", "data_keys"),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_system_keys")),
    )
    _index("system_keys", "data_key_id")

    op.create_table(
        "audit_events",
        sa.Column("seq", SEQ, nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("action", sa.String(length=48), nullable=False),
        sa.Column("actor_id", sa.String(length=32), nullable=True),
        sa.Column("concern_id", sa.String(length=32), nullable=True),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_events")),
    )
    _index("audit_events", "action")
    _index("audit_events", "concern_id")

    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", SEQ, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        _pk("audit_head"),
    )

    op.create_table(
        "inbound_events",
        _id(),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        _pk("inbound_events"),
        sa.UniqueConstraint("platform", "key", name=op.f("uq_inbound_events_platform_key")),
    )
    _index("inbound_events", "received_at")


def _directory() -> None:
    op.create_table(
        "organisations",
        _id(),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("duty_contact_id", sa.String(length=32), nullable=True),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        # Inline on SQLite; on PostgreSQL added below, once practitioners exists.
        sa.ForeignKeyConstraint(
            ["duty_contact_id"], ["practitioners.id"], name=op.f(DUTY_CONTACT_FK), use_alter=True
        ),
        _pk("organisations"),
        sa.UniqueConstraint("ref", name=op.f("uq_organisations_ref")),
    )

    op.create_table(
        "practitioners",
        _id(),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("organisation_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("job_title", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("preferred_platform", sa.String(length=16), nullable=False),
        sa.Column("slack_team_id", sa.String(length=32), nullable=True),
        sa.Column("slack_user_id", sa.String(length=32), nullable=True),
        sa.Column("slack_dm_channel", sa.String(length=32), nullable=True),
        sa.Column("teams_tenant_id", sa.String(length=64), nullable=True),
        sa.Column("teams_aad_object_id", sa.String(length=64), nullable=True),
        sa.Column("teams_conversation", sa.JSON(), nullable=True),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        _fk("practitioners", "organisation_id", "organisations"),
        _pk("practitioners"),
        sa.UniqueConstraint("email", name=op.f("uq_practitioners_email")),
        sa.UniqueConstraint("ref", name=op.f("uq_practitioners_ref")),
        sa.UniqueConstraint(
            "slack_team_id",
            "slack_user_id",
            name=op.f("uq_practitioners_slack_team_id_slack_user_id"),
        ),
        sa.UniqueConstraint(
            "teams_tenant_id",
            "teams_aad_object_id",
            name=op.f("uq_practitioners_teams_tenant_id_teams_aad_object_id"),
        ),
    )
    _index("practitioners", "organisation_id")

    if op.get_bind().dialect.name != "sqlite":
        op.create_foreign_key(
            op.f(DUTY_CONTACT_FK), "organisations", "practitioners", ["duty_contact_id"], ["id"]
        )

    op.create_table(
        "declared_workspaces",
        _id(),
        sa.Column("organisation_id", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        _fk("declared_workspaces", "organisation_id", "organisations"),
        _pk("declared_workspaces"),
        sa.UniqueConstraint(
            "organisation_id",
            "provider",
            "workspace_id",
            name=op.f("uq_declared_workspaces_organisation_id_provider_workspace_id"),
        ),
    )
    _index("declared_workspaces", "organisation_id")
    op.create_index(
        "ix_declared_workspaces_lookup",
        "declared_workspaces",
        ["provider", "workspace_id"],
        unique=False,
    )


def _clients() -> None:
    op.create_table(
        "clients",
        _id(),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("data_key_id", sa.String(length=32), nullable=False),
        sa.Column("label_ct", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        _fk("clients", "data_key_id", "data_keys"),
        _pk("clients"),
        sa.UniqueConstraint("reference", name=op.f("uq_clients_reference")),
    )
    _index("clients", "data_key_id")

    op.create_table(
        "client_identifiers",
        _id(),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("value_ct", sa.LargeBinary(), nullable=False),
        sa.Column("blind", sa.String(length=64), nullable=False),
        _fk("client_identifiers", "client_id", "clients"),
        _pk("client_identifiers"),
        sa.UniqueConstraint("kind", "blind", name=op.f("uq_client_identifiers_kind_blind")),
    )
    _index("client_identifiers", "blind")
    _index("client_identifiers", "client_id")

    op.create_table(
        "memberships",
        _id(),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("practitioner_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        _fk("memberships", "client_id", "clients"),
        _fk("memberships", "practitioner_id", "practitioners"),
        _pk("memberships"),
        sa.UniqueConstraint(
            "client_id", "practitioner_id", name=op.f("uq_memberships_client_id_practitioner_id")
        ),
    )
    _index("memberships", "client_id")
    _index("memberships", "practitioner_id")


def _concerns() -> None:
    op.create_table(
        "concerns",
        _id(),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("raiser_id", sa.String(length=32), nullable=False),
        sa.Column("submission_key", sa.String(length=128), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("lawful_basis", sa.String(length=32), nullable=False),
        sa.Column("family_informed", sa.String(length=32), nullable=False),
        sa.Column("data_key_id", sa.String(length=32), nullable=True),
        sa.Column("rationale_ct", sa.LargeBinary(), nullable=True),
        sa.Column("family_reason_ct", sa.LargeBinary(), nullable=True),
        sa.Column("narrowing_reason_ct", sa.LargeBinary(), nullable=True),
        sa.Column("protected_ct", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("acknowledge_by", TIMESTAMP, nullable=True),
        sa.Column("acknowledged_at", TIMESTAMP, nullable=True),
        sa.Column("acknowledged_by_id", sa.String(length=32), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("escalate_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("closed_at", TIMESTAMP, nullable=True),
        sa.Column("shredded_at", TIMESTAMP, nullable=True),
        _fk("concerns", "acknowledged_by_id", "practitioners"),
        _fk("concerns", "client_id", "clients"),
        _fk("concerns", "data_key_id", "data_keys"),
        _fk("concerns", "raiser_id", "practitioners"),
        _pk("concerns"),
        sa.UniqueConstraint("submission_key", name=op.f("uq_concerns_submission_key")),
    )
    for column in (
        "acknowledge_by",
        "client_id",
        "created_at",
        "data_key_id",
        "escalate_at",
        "raiser_id",
        "status",
    ):
        _index("concerns", column)
    _partial_index("ix_concerns_retention_closed", "concerns", "closed_at", RETAINED)
    _partial_index("ix_concerns_retention_unclosed", "concerns", "created_at", RETAINED_UNCLOSED)
    _partial_index("ix_concerns_shredded", "concerns", "shredded_at", SHREDDED)

    op.create_table(
        "concern_entries",
        _id(),
        sa.Column("concern_id", sa.String(length=32), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("body_ct", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        _fk("concern_entries", "author_id", "practitioners"),
        _fk("concern_entries", "concern_id", "concerns"),
        _pk("concern_entries"),
    )
    _index("concern_entries", "author_id")
    _index("concern_entries", "concern_id")

    op.create_table(
        "follow_ups",
        _id(),
        sa.Column("concern_id", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=False),
        sa.Column("created_by_id", sa.String(length=32), nullable=False),
        sa.Column("note_ct", sa.LargeBinary(), nullable=True),
        sa.Column("due_at", TIMESTAMP, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("done_at", TIMESTAMP, nullable=True),
        _fk("follow_ups", "concern_id", "concerns"),
        _fk("follow_ups", "created_by_id", "practitioners"),
        _fk("follow_ups", "owner_id", "practitioners"),
        _pk("follow_ups"),
    )
    _index("follow_ups", "concern_id")
    _index("follow_ups", "due_at")
    _index("follow_ups", "owner_id")
    _partial_index("ix_follow_ups_open_due", "follow_ups", "due_at", OPEN)


def _partial_index(name: str, table: str, column: str, where: sa.TextClause) -> None:
    """An index holding only the rows a sweep can still pick (on both databases)."""
    op.create_index(name, table, [column], postgresql_where=where, sqlite_where=where)


def _delivery() -> None:
    op.create_table(
        "deliveries",
        _id(),
        sa.Column("concern_id", sa.String(length=32), nullable=False),
        sa.Column("recipient_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("message_ref", sa.JSON(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("delivered_at", TIMESTAMP, nullable=True),
        sa.Column("opened_at", TIMESTAMP, nullable=True),
        sa.Column("viewed_at", TIMESTAMP, nullable=True),
        sa.Column("last_viewed_at", TIMESTAMP, nullable=True),
        sa.Column("acknowledged_at", TIMESTAMP, nullable=True),
        _fk("deliveries", "concern_id", "concerns"),
        _fk("deliveries", "recipient_id", "practitioners"),
        _pk("deliveries"),
        sa.UniqueConstraint(
            "concern_id", "recipient_id", name=op.f("uq_deliveries_concern_id_recipient_id")
        ),
    )
    _index("deliveries", "concern_id")
    _index("deliveries", "recipient_id")

    op.create_table(
        "links",
        _id(),
        sa.Column("delivery_id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        _fk("links", "delivery_id", "deliveries"),
        _pk("links"),
        sa.UniqueConstraint("token_hash", name=op.f("uq_links_token_hash")),
    )
    _index("links", "delivery_id")

    op.create_table(
        "outbox",
        _id(),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("recipient_id", sa.String(length=32), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("concern_id", sa.String(length=32), nullable=True),
        sa.Column("delivery_id", sa.String(length=32), nullable=True),
        sa.Column("updates_id", sa.String(length=32), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=False),
        sa.Column("lease_until", TIMESTAMP, nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("message_ref", sa.JSON(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("sent_at", TIMESTAMP, nullable=True),
        _fk("outbox", "concern_id", "concerns"),
        _fk("outbox", "delivery_id", "deliveries"),
        _fk("outbox", "recipient_id", "practitioners"),
        _pk("outbox"),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_idempotency_key")),
    )
    _index("outbox", "concern_id")
    _index("outbox", "delivery_id")
    op.create_index("ix_outbox_due", "outbox", ["state", "next_attempt_at"], unique=False)
    _index("outbox", "recipient_id")


def _platforms() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("practitioner_id", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("issuer", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("last_seen_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        _fk("web_sessions", "practitioner_id", "practitioners"),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_web_sessions")),
    )
    _index("web_sessions", "practitioner_id")

    op.create_table(
        "platform_secrets",
        _id(),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("scope", sa.String(length=128), nullable=False),
        sa.Column("data_key_id", sa.String(length=32), nullable=False),
        sa.Column("value_ct", sa.LargeBinary(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        _fk("platform_secrets", "data_key_id", "data_keys"),
        _pk("platform_secrets"),
        sa.UniqueConstraint("platform", "scope", name=op.f("uq_platform_secrets_platform_scope")),
    )
    _index("platform_secrets", "data_key_id")

    op.create_table(
        "playground_messages",
        _id(),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("recipient_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=True),
        sa.Column("concern_id", sa.String(length=32), nullable=True),
        sa.Column("can_acknowledge", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=True),
        _fk("playground_messages", "recipient_id", "practitioners"),
        _pk("playground_messages"),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_playground_messages_idempotency_key")),
    )
    _index("playground_messages", "recipient_id")

    op.create_table(
        "teams_activities",
        _id(),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("recipient_id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=512), nullable=False),
        sa.Column("service_url", sa.String(length=300), nullable=False),
        sa.Column("activity_id", sa.String(length=256), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        _fk("teams_activities", "recipient_id", "practitioners"),
        _pk("teams_activities"),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_teams_activities_idempotency_key")),
    )
    _index("teams_activities", "recipient_id")


def _postgresql_only() -> None:
    """The audit head's checking functions, pinned to the schema they were created in."""
    schema = op.get_bind().exec_driver_sql("SELECT current_schema()").scalar()
    quoted = '"' + str(schema).replace('"', '""') + '"'
    op.execute(AUDIT_HEAD.format(schema=quoted))
    op.execute(AUDIT_ADVANCE.format(schema=quoted))
    op.execute("REVOKE ALL ON FUNCTION flare_audit_head() FROM PUBLIC")
    op.execute("REVOKE ALL ON FUNCTION flare_audit_advance(bigint, varchar) FROM PUBLIC")


# Children before parents: every table is dropped after the ones that reference it.
TABLES_IN_DROP_ORDER = (
    "teams_activities",
    "playground_messages",
    "platform_secrets",
    "web_sessions",
    "outbox",
    "links",
    "deliveries",
    "follow_ups",
    "concern_entries",
    "concerns",
    "memberships",
    "client_identifiers",
    "clients",
    "declared_workspaces",
    "practitioners",
    "organisations",
    "inbound_events",
    "audit_head",
    "audit_events",
    "system_keys",
    "data_keys",
)


def downgrade() -> None:
    """Everything upgrade made, gone; dropping a table drops its indexes."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS flare_audit_advance(bigint, varchar)")
        op.execute("DROP FUNCTION IF EXISTS flare_audit_head()")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f(DUTY_CONTACT_FK), "organisations", type_="foreignkey")
    for table in TABLES_IN_DROP_ORDER:
        op.drop_table(table)
