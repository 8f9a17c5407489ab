"""Resumable background slow runs for Claim C (nbs/22_icl_claim.ipynb): the calls of its `#| slow` cell, in pieces.

    OMP_NUM_THREADS=1 python tools/slow_runs/icl_resume.py qwen2.5-1.5b [--prompts 100] [--step 25] [--runs 16]

Per-prompt rows go to $SHARDBOOK_SLOW_DIR (default ~/.cache/shardbook/slow_runs)/icl_<model>_cal.csv, rewritten atomically
after every piece; a restarted run skips the seeds already there, so killing it loses at most one piece. Prompt j of a
(D, n) point uses seed j, so the union of pieces is exactly `calibration(..., n_prompts=N, seed=0)`. Pieces go breadth
first (every point to `step` prompts, then to 2*step, ...), so a run cut short leaves the same count at every point.
Turn-taking (`turn_records`, n_examples=12, 30 turns) runs once, after the first level, into icl_<model>_turns.csv.
Then `tools/slow_runs/icl_assemble_resumed.py` upserts the summaries into nbs/results.
"""
import argparse, os, time
from pathlib import Path
import pandas as pd, torch

def save(df, path:Path):
    tmp = path.with_suffix(".tmp"); df.to_csv(tmp, index=False); os.replace(tmp, path)

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model"); p.add_argument("--prompts", type=int, default=100); p.add_argument("--step", type=int, default=25)
    p.add_argument("--runs", type=int, default=16, help="turn-taking runs (0: none)")
    p.add_argument("--grid", default="6,24,60", help="in-context example counts")
    a = p.parse_args()
    from shardbook.models import load_lm
    from shardbook.icl import calibration, turn_records, DISTS
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    out = Path(os.environ.get("SHARDBOOK_SLOW_DIR", Path.home()/".cache/shardbook/slow_runs")); out.mkdir(parents=True, exist_ok=True)
    cal_f, turns_f = out/f"icl_{a.model}_cal.csv", out/f"icl_{a.model}_turns.csv"
    cal = pd.read_csv(cal_f) if cal_f.exists() else pd.DataFrame(columns=["D", "n_examples", "seed"])
    model, tok = load_lm(a.model)  # float32
    grid = [int(n) for n in a.grid.split(",")]
    for level in range(a.step, a.prompts + a.step, a.step):
        level = min(level, a.prompts)
        for n in grid:
            for k in DISTS:
                have = set(cal[(cal.D == k) & (cal.n_examples == n)].seed)
                todo = [s for s in range(level) if s not in have]
                if not todo: continue
                lo, t0 = todo[0], time.time()
                if todo != list(range(lo, level)): raise SystemExit(f"{k} n={n}: seeds have gaps; fix {cal_f} first")
                cal = pd.concat([cal, calibration(model, tok, {k: DISTS[k]}, [n], n_prompts=level - lo, seed=lo, topk=False)],
                                ignore_index=True)
                save(cal, cal_f)
                print(f"{a.model} {k} n={n} seeds {lo}-{level-1}: {time.time()-t0:.0f}s", flush=True)
        if a.runs and not turns_f.exists():
            t0 = time.time()
            save(turn_records(model, tok, a.model, n_examples=12, n_turns=30, n_runs=a.runs), turns_f)
            print(f"{a.model} turns ({a.runs} runs): {time.time()-t0:.0f}s", flush=True)

if __name__ == "__main__": main()
