# Provenance: the background script that produced the committed Austen rows of nbs/results/probe.csv (the `#| slow`
# cells of nbs/11_probe_claim.ipynb make the same probe_model calls). Run on 2026-11-21 on the 2-core dev machine:
#   python tools/slow_runs/probe_austen.py gemma-3-270m qwen2.5-1.5b smollm2-135m
# It writes to its own CSV (OUT); the rows were then upserted into nbs/results/probe.csv by (model, corpus).
# (gemma-3-270m and qwen2.5-1.5b first ran without the random-weights control; each was rerun with it, same split, and its rows
#  replaced. qwen2.5-1.5b's rerun: OMP_NUM_THREADS=2, 2026-11-21, session 3.)
import sys, time
from shardbook.probe import probe_model
from shardbook.utils import upsert_csv
OUT = "/tmp/probe_runs/austen.csv"
RUNS = {"gemma-3-270m": dict(max_tokens=105_000, fractions=(0.35, 0.1, 0.55), random_control=True),
        "smollm2-135m": dict(max_tokens=105_000, fractions=(0.35, 0.1, 0.55), random_control=True),
        "qwen2.5-1.5b": dict(max_tokens=90_000, fractions=(0.3, 0.1, 0.6), random_control=True)}
for name in sys.argv[1:]:
    t = time.time()
    df = probe_model(name, "austen", **RUNS[name])
    upsert_csv(df, OUT, keys=("model", "corpus"))
    print(name, f"wall {time.time()-t:.0f}s", df.attrs, flush=True)
