"""Retention's outbox delete at 1x and 10x outbox size: the OR (main) against the split (perf).

Run from a worktree: `PYTHONPATH=. .venv/bin/python benchmarks/results/perf/retention_outbox_delete.py` (needs
PostgreSQL on 127.0.0.1:5432; makes and drops its own database). Output: retention_outbox_delete.txt.
"""
import secrets, time, statistics, sys
import psycopg
from sqlalchemy import delete, select, or_
from sqlalchemy.dialects import postgresql
from store.db import make_engine
from store.migrate import upgrade
from store.models import OutboxMessage, Delivery
admin = "postgresql://postgres@127.0.0.1:5432/postgres"
name = f"perf_ret_{secrets.token_hex(3)}"
with psycopg.connect(admin, autocommit=True) as c: c.execute(f'CREATE DATABASE "{name}"')
url = f"postgresql://postgres@127.0.0.1:5432/{name}"
def sql(stmt):
    return str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
def old(cid):
    deliveries = select(Delivery.id).where(Delivery.concern_id == cid)
    return [sql(delete(OutboxMessage).where(or_(OutboxMessage.concern_id == cid, OutboxMessage.delivery_id.in_(deliveries))))]
def new(cid):
    deliveries = select(Delivery.id).where(Delivery.concern_id == cid)
    return [sql(delete(OutboxMessage).where(OutboxMessage.concern_id == cid)),
            sql(delete(OutboxMessage).where(OutboxMessage.delivery_id.in_(deliveries)))]
try:
    e = make_engine(url); upgrade(e); e.dispose()
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("INSERT INTO organisations (id, ref, name, kind, policy, retention_days, created_at) VALUES ('o', 'o', 'O', 'school', '{}', 365, now())")
        c.execute("INSERT INTO practitioners (id, ref, organisation_id, name, job_title, preferred_platform, is_admin, active, created_at) VALUES ('p', 'p', 'o', 'P', '', 'slack', false, true, now())")
        c.execute("INSERT INTO data_keys (id, purpose, master_kid, wrapped, created_at) VALUES ('k', 'x', 'm', '\\x00', now())")
        c.execute("INSERT INTO clients (id, reference, data_key_id, label_ct, created_at) VALUES ('c', 'C', 'k', '\\x00', now())")
        total = 0
        for label, n in (("1x", 20000), ("10x", 180000)):
            c.execute(f"""INSERT INTO concerns (id, client_id, raiser_id, submission_key, category, severity, lawful_basis, family_informed, status, escalation_level, created_at)
                SELECT 'c' || g, 'c', 'p', 's' || g, 'neglect', 'high', 'public_task', 'yes', 'closed', 0, now() FROM generate_series({total}, {total + n - 1}) g""")
            c.execute(f"""INSERT INTO deliveries (id, concern_id, recipient_id, role, platform, created_at)
                SELECT 'd' || g, 'c' || g, 'p', 'member', 'slack', now() FROM generate_series({total}, {total + n - 1}) g""")
            c.execute(f"""INSERT INTO outbox (id, idempotency_key, recipient_id, platform, kind, concern_id, delivery_id, detail, state, attempts, next_attempt_at, created_at)
                SELECT 'x' || g || '_' || k, 'i' || g || '_' || k, 'p', 'slack', 'new_concern', 'c' || g, 'd' || g, '{{}}', 'sent', 1, now(), now()
                FROM generate_series({total}, {total + n - 1}) g, generate_series(1, 3) k""")
            total += n
            c.execute("ANALYZE")
            size = c.execute("SELECT count(*) FROM outbox").fetchone()[0]
            for vname, variant in (("OR (main)", old), ("split (perf)", new), ("OR (main)", old), ("split (perf)", new)):
                ts = []
                c.execute("BEGIN")
                for i in range(20):
                    cid = f"c{(i * 7919) % total}"
                    t = time.perf_counter()
                    for q in variant(cid): c.execute(q)
                    ts.append((time.perf_counter() - t) * 1000)
                c.execute("ROLLBACK")
                print(f"{label} outbox={size}: {vname}: 20 concerns {sum(ts):.1f} ms (median {statistics.median(ts):.2f} ms)")
            if label == "10x":
                for q in old("c5") + new("c5"):
                    plan = c.execute("EXPLAIN " + q).fetchall()
                    print("  " + q[:90]); print("\n".join("     " + r[0] for r in plan[:8]))
finally:
    with psycopg.connect(admin, autocommit=True) as c: c.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
