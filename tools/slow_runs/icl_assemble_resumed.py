"""Upsert the background slow runs' rows (tools/slow_runs/icl_resume.py; icl_slow_run.py / icl_slow_plan.py / icl_assemble.py made the rows committed first) into nbs/results, with the same `summarise` /
`upsert_csv` calls as the `#| slow` cell of nbs/22_icl_claim.ipynb.

    python tools/slow_runs/icl_assemble_resumed.py gemma-3-270m qwen2.5-0.5b qwen2.5-1.5b

Every point of a model keeps the same number of prompts: seeds below the smallest count any of its points reached.
"""
import os, sys
from pathlib import Path
import pandas as pd
ROOT = Path(__file__).resolve().parents[2]
os.chdir(ROOT/"nbs")
from shardbook.icl import summarise
from shardbook.utils import upsert_csv
KL_CSV, TURNS_CSV = "results/icl_kl.csv", "results/icl_turns.csv"
SLOW = Path(os.environ.get("SHARDBOOK_SLOW_DIR", Path.home()/".cache/shardbook/slow_runs"))
for name in sys.argv[1:]:
    f = SLOW/f"icl_{name}_cal.csv"
    if not f.exists(): print(name, "no calibration rows yet"); continue
    cal = pd.read_csv(f)
    per = cal.groupby(["D", "n_examples"]).seed.apply(lambda s: next(i for i in range(len(s) + 1) if i not in set(s)))
    cal = cal[cal.seed < per.min()]  # a contiguous 0..N-1 at every point
    s = summarise(cal, name)
    upsert_csv(s, KL_CSV)
    print(s[["D", "n_examples", "n_prompts", "KL"]].to_string(index=False))
    t = SLOW/f"icl_{name}_turns.csv"
    if t.exists():
        t = pd.read_csv(t, keep_default_na=False)
        upsert_csv(t, TURNS_CSV, keys=("model",)); print(name, "turn rows", len(t))
