# Provenance: the background script that produced the committed slow-run rows of nbs/22_icl_claim.ipynb
# (same calls and seeds as its #| slow cell; run on 2026-11-21 from /tmp/c on the shared 2-core dev machine).
"""Reduced slow runs (CPU budget): calibration on the given (D, n) points with `n_prompts` prompts, then turn-taking."""
import sys, time, json, torch, pandas as pd
torch.set_num_threads(1)
from shardbook.models import load_lm
from shardbook.icl import calibration, turn_records, DISTS
name, plan = sys.argv[1], json.loads(sys.argv[2])
model, tok = load_lm(name)  # float32
out = f"/tmp/c/plan_{name}"
parts = []
for k, n in plan["points"]:
    t0 = time.time()
    parts.append(calibration(model, tok, {k: DISTS[k]}, [n], n_prompts=plan["n_prompts"], seed=0, topk=False))
    pd.concat(parts).to_csv(out + "_cal.csv", index=False)
    print(name, k, n, f"{time.time()-t0:.0f}s", flush=True)
    if plan.get("turns_after") == [k, n]:
        t0 = time.time()
        turn_records(model, tok, name, n_examples=12, n_turns=30, n_runs=plan["n_runs"]).to_csv(out + "_turns.csv", index=False)
        print(name, "turns", f"{time.time()-t0:.0f}s", flush=True)
