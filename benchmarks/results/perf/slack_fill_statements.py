"""Time RaiseModal._fill_in in-process: statements, transactions, and where time goes."""
import os, sys, tempfile, time, statistics, secrets
from pathlib import Path
os.environ.setdefault("FLARE_ENV", "test")
import psycopg
from sqlalchemy import event
from slack_sdk import WebClient
from bot.config import Settings
from bot.demo import seed
from bot.composition import build_runtime
from bot.slack.raise_modal import RaiseModal, Form, Context
from store.crypto import generate_master_key_spec
from store.migrate import upgrade
from tests.slack.fake_api import FakeSlackAPI
TEAM, BOT = "T0FLARE", "xoxb-bench"
from bot.demo import SLACK_WORKSPACE as TEAM
admin = "postgresql://postgres@127.0.0.1:5432/postgres"
name = f"perf_fill_{secrets.token_hex(3)}"
with psycopg.connect(admin, autocommit=True) as c: c.execute(f'CREATE DATABASE "{name}"')
try:
    with tempfile.TemporaryDirectory() as tmp, FakeSlackAPI() as slack:
        slack.add_team(TEAM, token=BOT)
        settings = Settings(env="test", public_url="https://flare.bench",
            database_url=f"postgresql://postgres@127.0.0.1:5432/{name}",
            master_keys=generate_master_key_spec("bench"), var_dir=Path(tmp), run_worker_in_serve=False,
            slack_signing_secret="x"*32, slack_bot_token=BOT, slack_api_url=slack.url)
        rt = build_runtime(settings); upgrade(rt.engine); seed(rt)
        with rt.uow() as uow:
            for p in uow.directory.practitioners():
                p.preferred_platform = "slack"; p.slack_team_id, p.slack_user_id = TEAM, f"U{p.ref.upper()}"
            uow.commit()
        modal = RaiseModal(rt)
        client = WebClient(token=BOT, base_url=slack.url if slack.url.endswith("/") else slack.url + "/")
        log = []
        @event.listens_for(rt.engine, "before_cursor_execute")
        def _s(conn, cur, stmt, params, ctx, many): log.append(stmt)
        @event.listens_for(rt.engine, "begin")
        def _b(conn): log.append("BEGIN")
        def body(i):
            return {"team_id": TEAM, "user_id": "UAMARA", "trigger_id": f"t{i}", "text": "", "response_url": "",
                    "user": {"id": "UAMARA", "team_id": TEAM}}
        def fill(i):
            b = body(i)
            form = Form(client, b, Context(team=TEAM, response_url=""), f"ext{i}", typed="", prefill="")
            modal._fill_in(form, None)
        fill(0)
        log.clear(); fill(1)
        print("stmts", sum(1 for s in log if s != "BEGIN"), "tx", log.count("BEGIN"))
        if "-v" in sys.argv:
            for s in log: print("   ", s.replace("\n"," ")[:150])
        ts = []
        for i in range(40):
            t = time.perf_counter(); fill(i + 2); ts.append((time.perf_counter() - t) * 1000)
        print("fill ms p50 %.1f min %.1f" % (statistics.median(ts), min(ts)))
        import cProfile, pstats
        pr = cProfile.Profile(); pr.enable()
        for i in range(30): fill(100 + i)
        pr.disable(); st = pstats.Stats(pr); st.sort_stats("cumulative").print_stats(40)
        print(slack.requests[-1] if hasattr(slack, "requests") else "")
finally:
    with psycopg.connect(admin, autocommit=True) as c: c.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
