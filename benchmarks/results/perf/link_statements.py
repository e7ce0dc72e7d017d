"""Count SQL statements and transactions for GET /concerns/{id} and POST /l/{token}."""
import os, sys, tempfile, time, statistics
from pathlib import Path
os.environ.setdefault("FLARE_ENV", "test")
import psycopg, secrets
from sqlalchemy import event
from store.db import make_engine
from store.migrate import upgrade
from tests.web.conftest import make_world
from tests.web.flows import pointer_path, raise_concern, sign_in
admin = "postgresql://postgres@127.0.0.1:5432/postgres"
name = f"perf_link_{secrets.token_hex(3)}"
with psycopg.connect(admin, autocommit=True) as c: c.execute(f'CREATE DATABASE "{name}"')
verbose = "-v" in sys.argv
try:
    engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
    upgrade(engine)
    with tempfile.TemporaryDirectory() as tmp:
        world = make_world(engine, Path(tmp))
        amara = world.browser("amara"); sign_in(world, amara, "amara")
        cid = raise_concern(world, amara, "C-1001"); world.deliver()
        link = pointer_path(world, "chloe", cid)
        chloe = world.browser("chloe"); sign_in(world, chloe, "chloe")
        log = []
        @event.listens_for(engine, "before_cursor_execute")
        def _s(conn, cur, stmt, params, ctx, many): log.append(stmt)
        @event.listens_for(engine, "begin")
        def _b(conn): log.append("BEGIN")
        inter = chloe.get(link)
        log.clear()
        opened = chloe.submit(chloe.form(inter.text))
        print("POST /l:", opened.status_code, "stmts", sum(1 for s in log if s != "BEGIN"), "tx", log.count("BEGIN"))
        if verbose:
            for s in log: print("   ", s.replace("\n", " ")[-260:])
        for i in range(3):
            log.clear()
            r = chloe.get(f"/concerns/{cid}")
            print("GET /concerns:", r.status_code, len(r.text), "stmts", sum(1 for s in log if s != "BEGIN"), "tx", log.count("BEGIN"))
        if verbose:
            for s in log: print("   ", s.replace("\n", " ")[-260:])
        ts = []
        for i in range(60):
            t = time.perf_counter(); chloe.get(f"/concerns/{cid}"); ts.append((time.perf_counter() - t) * 1000)
        print("in-process GET ms p50 %.1f min %.1f" % (statistics.median(ts), min(ts)))
        if "-p" in sys.argv:
            import cProfile, pstats
            pr = cProfile.Profile(); pr.enable()
            for i in range(30): chloe.get(f"/concerns/{cid}")
            pr.disable(); pstats.Stats(pr).sort_stats("cumulative").print_stats(45)
    engine.dispose()
finally:
    with psycopg.connect(admin, autocommit=True) as c: c.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
