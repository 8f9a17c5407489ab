# Provenance: the background script that produced the committed slow-run rows of nbs/22_icl_claim.ipynb
# (same calls and seeds as its #| slow cell; run on 2026-11-21 from /tmp/c on the shared 2-core dev machine).
"""Background slow runs for Claim C: the same calls, with the same arguments, as the #| slow cell of nbs/22_icl_claim.ipynb.

Calibration runs in chunks of 25 prompts (seeds 0-24, 25-49, ...), which gives exactly the rows of
calibration(..., n_prompts=100, seed=0) once all four chunks are done, and is saved after every (chunk, n, D) point.
"""
import sys, time, torch, numpy as np, pandas as pd
torch.set_num_threads(1)
from shardbook.models import load_lm
from shardbook.icl import calibration, turn_records, DISTS
name, n_runs = sys.argv[1], int(sys.argv[2])
model, tok = load_lm(name)  # float32
out = f"/tmp/c/slow_{name}"
parts = []
for c in range(4):
    for n in (6, 24, 60):
        for k in DISTS:
            t0 = time.time()
            parts.append(calibration(model, tok, {k: DISTS[k]}, [n], n_prompts=25, seed=25 * c, topk=False))
            pd.concat(parts).to_csv(out + "_cal.csv", index=False)
            print(name, "chunk", c, k, n, f"{time.time()-t0:.0f}s", flush=True)
    if c == 0:
        t0 = time.time()
        turn_records(model, tok, name, n_examples=12, n_turns=30, n_runs=n_runs).to_csv(out + "_turns.csv", index=False)
        print(name, "turns", f"{time.time()-t0:.0f}s", flush=True)
