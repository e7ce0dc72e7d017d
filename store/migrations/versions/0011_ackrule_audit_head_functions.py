"""audit head: on PostgreSQL, moved only through functions that check the chain

`flare_audit_head()` locks (creating if needed) and returns the head; `flare_audit_advance`
moves it to a newer event only if every event since the old head links to the one before.
Both are SECURITY DEFINER, so an application role that may not UPDATE `audit_head` (see
`flare db roles`) can still append. SQLite has no roles: nothing to do there.

Revision ID: 0011
Revises: 0010
"""

from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

HEAD = """
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

ADVANCE = """
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


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    schema = bind.exec_driver_sql('SELECT current_schema()').scalar()
    quoted = '"' + str(schema).replace('"', '""') + '"'
    op.execute(HEAD.format(schema=quoted))
    op.execute(ADVANCE.format(schema=quoted))
    op.execute('REVOKE ALL ON FUNCTION flare_audit_head() FROM PUBLIC')
    op.execute('REVOKE ALL ON FUNCTION flare_audit_advance(bigint, varchar) FROM PUBLIC')


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('DROP FUNCTION IF EXISTS flare_audit_advance(bigint, varchar)')
    op.execute('DROP FUNCTION IF EXISTS flare_audit_head()')
