"""Large network only, with per-deliver timing and the slack request timeline."""
import sys, time, json
from contextlib import ExitStack
from tests.bench import delivery as d
from tests.bench.rate_limits import RateLimits
from sqlalchemy import event
n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
with ExitStack() as stack:
    world = d._world(stack)
    rt = world.runtime
    stats = {"deliver_s": 0.0, "calls": 0, "stmts": 0, "claimed": 0, "deferred": 0, "sent": 0}
    counter = {"n": 0}
    hist = {}
    @event.listens_for(rt.engine, "before_cursor_execute")
    def _c(conn, cur, stmt, *a, **k):
        counter["n"] += 1
        key = " ".join(stmt.split()[:4])[:70]
        hist[key] = hist.get(key, 0) + 1
    orig = rt.deliver
    def timed(**kw):
        t = time.perf_counter(); r = orig(**kw); stats["deliver_s"] += time.perf_counter() - t
        stats["calls"] += 1; stats["claimed"] += r.claimed; stats["deferred"] += r.deferred; stats["sent"] += r.sent
        return r
    rt.deliver = timed
    orig_raise = d.raise_to_all
    def timed_raise(*a, **k):
        t = time.perf_counter(); c0 = counter["n"]; r = orig_raise(*a, **k)
        stats["raise_s"] = time.perf_counter() - t; stats["raise_stmts"] = counter["n"] - c0
        return r
    d.raise_to_all = timed_raise
    counter["n"] = 0
    hist.clear()
    large = d._large_network(world, n, RateLimits())
    stats["stmts"] = counter["n"]
    print(json.dumps({k: v for k, v in large.items() if k != "table"}), json.dumps(large["table"]))
    print(json.dumps(stats))
    for k, v in sorted(hist.items(), key=lambda kv: -kv[1])[:25]: print(v, k)
