"""Bench: scoring all six task answers of a prompt with a shared prompt prefix vs the anchor's way.

The anchor (edixiong/task-superposition, `get_probs`) runs one forward pass over prompt + answer for each answer.
`shardbook.icl.score_answers` runs the prompt once, repeats its KV cache and teacher-forces all answers in one
batch. Both are timed in this process on the same prompts, interleaved, and must agree to 1e-5 in probability.

    .venv/bin/python bench/icl.py [--model smollm2-135m] [--n-examples 60] [--prompts 5]
"""
import argparse, time
import numpy as np, pandas as pd, torch
from shardbook.models import load_lm
from shardbook.icl import SIX_TASKS, D1, build_prompt, score_answers, score_naive

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="smollm2-135m"); ap.add_argument("--n-examples", type=int, default=60)
    ap.add_argument("--prompts", type=int, default=5); ap.add_argument("--repeats", type=int, default=2)
    a = ap.parse_args()
    model, tok = load_lm(a.model)
    prs = [build_prompt(SIX_TASKS, D1, a.n_examples, seed=s) for s in range(a.prompts)]
    score_answers(model, tok, prs[0]["text"], prs[0]["answers"])  # warm-up
    t = {"shared prefix (shardbook)": [], "one pass per answer (anchor)": []}
    err = 0.
    for _ in range(a.repeats):
        for pr in prs:
            t0 = time.perf_counter(); f = score_answers(model, tok, pr["text"], pr["answers"]); t1 = time.perf_counter()
            n = score_naive(model, tok, pr["text"], pr["answers"]); t2 = time.perf_counter()
            t["shared prefix (shardbook)"].append(t1 - t0); t["one pass per answer (anchor)"].append(t2 - t1)
            err = max(err, np.abs(np.exp(f) - np.exp(n)).max())
    n_tok = np.mean([len(tok(p["text"]).input_ids) for p in prs])
    base = np.median(t["one pass per answer (anchor)"])
    df = pd.DataFrame([dict(method=k, median_s_per_prompt=np.median(v), speedup=base / np.median(v)) for k, v in t.items()])
    print(f"{a.model}, float32, {a.n_examples}-example prompts (~{n_tok:.0f} tokens), 6 answers, "
          f"{a.prompts} prompts x {a.repeats} repeats, torch threads {torch.get_num_threads()}")
    print(df.round(3).to_string(index=False))
    print(f"max |P_shared - P_anchor| = {err:.1e}")

if __name__ == "__main__": main()
