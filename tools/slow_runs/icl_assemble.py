# Provenance: the background script that produced the committed slow-run rows of nbs/22_icl_claim.ipynb
# (same calls and seeds as its #| slow cell; run on 2026-11-21 from /tmp/c on the shared 2-core dev machine).
"Upsert the background slow runs' rows into nbs/results (same `summarise`/`upsert_csv` calls as the slow cell)."
import os, sys, pandas as pd
os.chdir("/work/main/nbs")
from shardbook.icl import summarise
from shardbook.utils import upsert_csv
KL_CSV, TURNS_CSV = "results/icl_kl.csv", "results/icl_turns.csv"
srcs = {"gemma-3-270m": ["/tmp/c/slow_gemma-3-270m_cal.csv"],
        "qwen2.5-0.5b": ["/tmp/c/plan_qwen2.5-0.5b_cal.csv"],
        "qwen2.5-1.5b": ["/tmp/c/slow_qwen15_D1n6.csv", "/tmp/c/plan_qwen2.5-1.5b_cal.csv"]}
turns = {"gemma-3-270m": "/tmp/c/slow_gemma-3-270m_turns.csv", "qwen2.5-0.5b": "/tmp/c/plan_qwen2.5-0.5b_turns.csv",
         "qwen2.5-1.5b": "/tmp/c/plan_qwen2.5-1.5b_turns.csv"}
for name, fs in srcs.items():
    fs = [f for f in fs if os.path.exists(f)]
    if not fs: print(name, "no calibration rows yet"); continue
    cal = pd.concat([pd.read_csv(f) for f in fs])
    if name == "qwen2.5-1.5b": cal = cal[(cal.D == "D1") & (cal.seed < 10)]
    if name == "gemma-3-270m":  # keep only complete chunks of 25 prompts, the same count at every point
        per = cal.groupby(["D", "n_examples"]).size()
        full = (per.min() // 25) * 25 if len(per) == 9 else 0
        full = full or 0
        cal = cal[cal.seed < full] if full else cal
    s = summarise(cal, name)
    upsert_csv(s, KL_CSV)
    print(s[["D", "n_examples", "n_prompts"]].to_string(index=False))
    if os.path.exists(turns[name]):
        t = pd.read_csv(turns[name], keep_default_na=False)
        upsert_csv(t, TURNS_CSV, keys=("model",)); print(name, "turn rows", len(t))
