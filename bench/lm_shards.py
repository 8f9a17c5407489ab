#!/usr/bin/env python
"""Bench for shards in LM RL fine-tuning (issue 6): memory and throughput, printed as tables.

1. Factored updates + low-rank SAE against dense updates + dense SAE on the same updates (synthetic rank-8 factored
   updates with the shapes of SmolLM2's MLP matrices), at the largest subset the dense one fits in a 4 GB budget.
2. Wall-time overhead of per-episode capture + online SAE on the GRPO loop: `GRPORun.step` against a plain GRPO
   step (same sampling, loss and optimizer, no hooks, no compression, no stats, no SAE), on a tiny Llama and on
   smollm2-135m.
3. Scale target: SAE training over updates of every linear matrix of SmolLM2 (30 layers, 106M parameters), synthetic
   factored updates, peak memory < 8 GB.

Each configuration runs in its own subprocess so that its peak resident memory (ru_maxrss) is its own.
    python bench/lm_shards.py            # everything (several minutes on 2 cores)
    python bench/lm_shards.py --quick    # smaller sizes
"""
import argparse, json, os, resource, subprocess, sys, time
import torch

D_MODEL, D_FF, N_LAYERS, D_KV = 576, 1536, 30, 192   # SmolLM2-135M

def shapes(n_layers, kinds=("mlp",)):
    "Weight shapes of SmolLM2's MLP (and attention) matrices in `n_layers` layers."
    out = {}
    for l in range(n_layers):
        if "mlp" in kinds:
            out |= {f"l{l}.gate": (D_FF, D_MODEL), f"l{l}.up": (D_FF, D_MODEL), f"l{l}.down": (D_MODEL, D_FF)}
        if "attn" in kinds:
            out |= {f"l{l}.q": (D_MODEL, D_MODEL), f"l{l}.k": (D_KV, D_MODEL), f"l{l}.v": (D_KV, D_MODEL), f"l{l}.o": (D_MODEL, D_MODEL)}
    return out

def synthetic(shp, n, rank=8, seed=0):
    "n synthetic factored updates (rank `rank` per matrix) as a FactoredUpdate."
    from shardbook.updates import FactoredUpdate
    g = torch.Generator().manual_seed(seed)
    return FactoredUpdate({k: (torch.randn(n, m, rank, generator=g) / m ** .5, torch.randn(n, q, rank, generator=g) / q ** .5)
                           for k, (m, q) in shp.items()})

def sae_job(kind, n_layers, kinds, n_latents, k, batch, steps):
    "Train an SAE for `steps` steps on synthetic updates; return throughput and peak memory."
    torch.set_num_threads(1)
    from shardbook.updates import Layout
    from shardbook.sae import LowRankSAE, DenseSAE, SAETrainer
    shp = shapes(n_layers, kinds); lay = Layout.from_named(shp)
    data = synthetic(shp, batch * 2)
    if kind == "dense":
        data = data.to_flat(lay)                    # the dense equivalent: the same updates, materialized
        sae = DenseSAE(lay.numel, n_latents, k, signed=True, layout=lay)
    else:
        sae = LowRankSAE(lay, n_latents, k, rank=1)
    tr = SAETrainer(sae, lr=1e-3)
    tr.fit(data, 1, batch)                          # warm-up (and the input scale)
    t0 = time.perf_counter(); tr.fit(data, steps, batch); dt = time.perf_counter() - t0
    return dict(kind=kind, params=lay.numel, sae_params=sae.n_params(), updates_per_s=steps * batch / dt,
                data_mb=(data.nbytes if hasattr(data, "nbytes") and not torch.is_tensor(data) else data.nelement() * 4) / 2 ** 20,
                peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)

def overhead_job(model_name, steps):
    "Seconds per GRPO step with capture + online SAE (GRPORun.step) and without (plain step)."
    torch.set_num_threads(1)
    from dataclasses import replace
    from shardbook.lmrl import (EVERYDAY, GRPORun, tiny_tokenizer, tiny_llama, sample_answers, answer_logprobs, group_advantages)
    if model_name == "tiny":
        tok = tiny_tokenizer(); model = tiny_llama(tok, n_layers=4, d=64, d_ff=256)
        cfg = replace(EVERYDAY, model="tiny", sae_latents=16, buffer_mb=4)
    else:
        from shardbook.models import load_lm
        model, tok = load_lm(model_name); cfg = replace(EVERYDAY, model=model_name)
    run = GRPORun(model, tok, cfg)
    run.step()                                      # warm-up
    t0 = time.perf_counter()
    for _ in range(steps): run.step()
    with_cap = (time.perf_counter() - t0) / steps
    def plain_step():
        ts, qs, prompts = run._pick()
        b = sample_answers(model, tok, prompts, cfg.group_size, cfg.max_new_tokens, cfg.temperature)
        R = torch.tensor([run.tasks[ts[e]].reward(a, qs[e][1]) for e, a in zip(b.episode.tolist(), b.texts)])
        adv = group_advantages(R, b.episode)
        lp = answer_logprobs(model, b); loss = -(adv * lp).sum() / len(lp)
        run.opt.zero_grad(); loss.backward(); run.opt.step()
    plain_step()
    t0 = time.perf_counter()
    for _ in range(steps): plain_step()
    plain = (time.perf_counter() - t0) / steps
    h = run.history[1:]
    parts = {k: sum(r[k] for r in h) / len(h) for k in ("t_sample", "t_backward", "t_opt", "t_sae")}
    return dict(model=model_name, s_per_step_capture=with_cap, s_per_step_plain=plain, ratio=with_cap / plain, **parts)

def sub(job, **kw):
    "Run a job in a fresh Python process; return its JSON result."
    code = f"import json, sys; sys.path.insert(0, {os.getcwd()!r}); from bench.lm_shards import *; print('@@' + json.dumps({job}(**{kw!r})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    lines = [l for l in out.stdout.splitlines() if l.startswith("@@")]
    if not lines: return dict(error=(out.stderr.strip().splitlines() or ["?"])[-1][:200], **{k: v for k, v in kw.items() if k in ("kind", "n_layers", "model_name")})
    return json.loads(lines[0][2:])

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--skip-lm", action="store_true", help="skip the smollm2 overhead measurement")
    a = p.parse_args()
    import pandas as pd
    pd.set_option("display.width", 200)
    steps = 3 if a.quick else 5
    # 1. dense vs factored, same updates; dense at the largest size that fits 4 GB (params + Adam + data)
    n_lat, k, batch = 32, 4, 8
    print(f"== 1. factored + low-rank SAE vs dense + dense SAE, same synthetic rank-8 updates ({n_lat} latents, k={k}, batch {batch})")
    rows = [sub("sae_job", kind=kind, n_layers=1, kinds=("mlp",), n_latents=n_lat, k=k, batch=batch, steps=steps) for kind in ("dense", "lowrank")]
    for nl in ([] if a.quick else [4, 30]):   # dense no longer fits the budget: low-rank only
        rows.append(sub("sae_job", kind="lowrank", n_layers=nl, kinds=("mlp",), n_latents=n_lat, k=k, batch=batch, steps=steps))
    t = pd.DataFrame(rows); print(t.round(2).to_string(index=False))
    if "updates_per_s" in t and t.updates_per_s.notna().all():
        for nl, g in t.groupby("params"):
            if set(g.kind) != {"dense", "lowrank"}: continue
            d, l = g[g.kind == "dense"].iloc[0], g[g.kind == "lowrank"].iloc[0]
            print(f"  {int(nl):,} params: SAE parameters dense/low-rank = {d.sae_params / l.sae_params:.0f}x, "
                  f"peak RSS dense/low-rank = {d.peak_rss_mb / l.peak_rss_mb:.1f}x, throughput low-rank/dense = {l.updates_per_s / d.updates_per_s:.1f}x")
    # 2. overhead on the RL loop
    print("\n== 2. wall time per GRPO step: capture + online SAE (GRPORun.step) vs plain GRPO step")
    rows = [sub("overhead_job", model_name="tiny", steps=steps)]
    if not a.skip_lm: rows.append(sub("overhead_job", model_name="smollm2-135m", steps=2 if a.quick else 3))
    print(pd.DataFrame(rows).round(3).to_string(index=False))
    # 3. scale target
    print("\n== 3. scale target: low-rank SAE over updates of all SmolLM2 linear matrices (synthetic rank-8 factored updates)")
    r = sub("sae_job", kind="lowrank", n_layers=N_LAYERS, kinds=("mlp", "attn"), n_latents=64 if a.quick else 128, k=8, batch=8, steps=2 if a.quick else 3)
    t = pd.DataFrame([r]); print(t.round(2).to_string(index=False))
    if "params" in r:
        dense_gb = 2 * r["params"] * (64 if a.quick else 128) * 4 / 2 ** 30
        print(f"  {r['params']:,} parameters per update (>= 1e8: {r['params'] >= 1e8}); peak RSS {r['peak_rss_mb'] / 1024:.2f} GB "
              f"(< 8 GB: {r['peak_rss_mb'] < 8 * 1024}); a dense SAE of the same width would need {dense_gb:.0f} GB for its weights alone")

if __name__ == "__main__": main()
