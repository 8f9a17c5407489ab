# Provenance: the background script that produced committed slow-run rows of nbs/11_probe_claim.ipynb
# (the same probe_model call as its #| slow cell; run on 2026-11-21 on the shared 2-core dev machine).
import time, sys
from shardbook.probe import probe_model
CSV = "/work/main/nbs/results/probe.csv"
runs = {"gemma-3-270m": dict(max_tokens=5000, fractions=(0.5, 0.15, 0.35), random_control=False),
        "qwen2.5-1.5b": dict(max_tokens=8000, fractions=(0.5, 0.15, 0.35), random_control=False)}
for name in sys.argv[1:]:
    t = time.time()
    df = probe_model(name, "lee", csv=CSV, **runs[name])
    print(name, "wall", time.time()-t, df.attrs, flush=True)
