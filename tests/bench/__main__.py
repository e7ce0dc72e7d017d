"""`python -m tests.bench`: run the benches and write their results (see tests/bench/__init__)."""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from tests.bench.ingress import flare_database
from tests.bench.results import RESULTS, BenchResult, write, write_summary

BENCHES = ("crypto", "ingress", "link", "delivery", "store")


def _sizes(tiny: bool, scale: float) -> dict[str, dict[str, object]]:
    if tiny:
        return {
            "crypto": {"seconds": 0.05, "rewrap_keys": 50},
            "ingress": {"concurrency": 4, "rounds": 1},
            "link": {"concurrency": 4, "requests": 8, "rounds": 1},
            "delivery": {
                "network": 4,
                "rounds": 1,
                "large_network": 6,
                "speed": 20.0,
                "burst": 2.0,
            },
            "store": {"scale": 0.00002, "samples": 3},
        }
    return {
        "crypto": {"seconds": 3.0, "rewrap_keys": 20000},
        "ingress": {"concurrency": 50, "rounds": 10},
        "link": {"concurrency": 20, "requests": 2000},
        "delivery": {"network": 20, "rounds": 20, "large_network": 200, "speed": 1.0},
        "store": {"scale": scale, "samples": 100},
    }


def run_bench(name: str, sizes: dict[str, object], tmp: Path, database_url: str) -> BenchResult:
    runners: dict[str, Callable[[], BenchResult]] = {}
    if name == "crypto":
        from tests.bench import crypto

        runners[name] = lambda: crypto.run(database_url=database_url, tmp=tmp, **sizes)  # type: ignore[arg-type]
    elif name == "ingress":
        from tests.bench import ingress

        runners[name] = lambda: ingress.run(**sizes)  # type: ignore[arg-type]
    elif name == "link":
        from tests.bench import link_page

        runners[name] = lambda: link_page.run(**sizes)  # type: ignore[arg-type]
    elif name == "delivery":
        from tests.bench import delivery

        runners[name] = lambda: delivery.run(**sizes)  # type: ignore[arg-type]
    elif name == "store":
        from tests.bench import store_scale

        runners[name] = lambda: store_scale.run(**sizes)  # type: ignore[arg-type]
    return runners[name]()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("--only", default=",".join(BENCHES), help="comma-separated benches")
    parser.add_argument("--tiny", action="store_true", help="toy sizes (what make test runs)")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="store size factor (1 = 1M clients, 10M events)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    # A child server process of one bench:
    parser.add_argument("--serve")
    parser.add_argument("--port", type=int)
    parser.add_argument("--api")
    parser.add_argument("--var", type=Path)
    parser.add_argument("--db")
    args = parser.parse_args()
    if args.serve:
        serve(args)
        return
    sizes = _sizes(args.tiny, args.scale)
    for name in args.only.split(","):
        if name not in BENCHES:
            parser.error(f"unknown bench {name!r}; choose from {', '.join(BENCHES)}")
        with tempfile.TemporaryDirectory() as tmp, flare_database(Path(tmp)) as url:
            write(run_bench(name, sizes[name], Path(tmp), url), args.out)
            write_summary(args.out)


def serve(args: argparse.Namespace) -> None:
    os.environ.setdefault("FLARE_ENV", "test")
    if args.serve == "flare":
        from tests.bench.ingress import serve_flare

        serve_flare(args.port, args.api, args.var, args.db)
    elif args.serve == "bare":
        from tests.bench.ingress import serve_bare

        serve_bare(args.port, args.api)
    else:
        from tests.bench import link_page

        link_page.serve(args.serve, args.port, args.var, args.db)


if __name__ == "__main__":
    main()
