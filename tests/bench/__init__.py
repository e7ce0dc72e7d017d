"""`make bench`: Flare measured against baselines run on the same machine in the same run.

Each bench is a module with a `run(...)` that returns a `BenchResult`; `python -m
tests.bench` runs them (all, or `--only`), and writes benchmarks/results/<name>.json and .md.
`--tiny` runs every bench at toy sizes (tests/test_bench.py does, to keep the harness honest).
"""
