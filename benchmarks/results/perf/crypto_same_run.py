"""Crypto, main's store/crypto.py against this branch's, in one process, interleaved.

Run from the perf worktree with main's file at MAIN (default /tmp/perf_base/store/crypto.py):
`PYTHONPATH=. .venv/bin/python benchmarks/results/perf/crypto_same_run.py`.
Each figure: median µs per typical concern (tests/bench/crypto's seal and open) and its ratio
to raw AES-256-GCM of the same bytes, all measured in alternating chunks.
"""
import importlib.util, os, sys, statistics, time
import store.crypto as branch
from tests.bench import crypto as bench

path = os.environ.get("MAIN", "/tmp/perf_base/store/crypto.py")
spec = importlib.util.spec_from_file_location("crypto_main", path)
main = importlib.util.module_from_spec(spec); sys.modules["crypto_main"] = main; spec.loader.exec_module(main)

def flare(mod):
    ring = mod.KeyRing.parse(mod.generate_master_key_spec("bench"))
    key_id, row_id = "k" * 32, "r" * 32
    kid, wrapped = ring.wrap(mod.new_data_key(), key_id=key_id)
    cipher = mod.FieldCipher(ring.unwrap(kid, wrapped, key_id=key_id), "concerns", row_id)
    sealed = {n: cipher.seal(n, t) for n, t in bench.TYPICAL.items()}
    def seal():
        data_key = mod.new_data_key(); ring.wrap(data_key, key_id=key_id)
        fields = mod.FieldCipher(data_key, "concerns", row_id)
        return [fields.seal(n, t) for n, t in bench.TYPICAL.items()]
    def open_():
        fields = mod.FieldCipher(ring.unwrap(kid, wrapped, key_id=key_id), "concerns", row_id)
        return [fields.open(n, b) for n, b in sealed.items()]
    return seal, open_

fns = {"main": flare(main), "perf": flare(branch), "raw": bench._raw()}
for i, op in enumerate(("seal", "open")):
    times = {k: [] for k in fns}
    for f in fns.values():
        for _ in range(200): f[i]()
    for _ in range(30):
        for name, f in fns.items():
            n, t = 0, time.perf_counter()
            while (el := time.perf_counter() - t) < 0.05:
                for _ in range(20): f[i]()
                n += 20
            times[name].append(el / n * 1e6)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"{op}: main {med['main']:.2f} µs ({med['main']/med['raw']:.2f}x raw), "
          f"perf {med['perf']:.2f} µs ({med['perf']/med['raw']:.2f}x raw), raw {med['raw']:.2f} µs")
