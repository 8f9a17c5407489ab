#!/usr/bin/env python
"""Bench: low-rank (L3D-style) versus dense parameter-space SAEs on the same RL updates, and the cost of
training an SAE online inside the RL loop.

Updates come from REINFORCE on the planted bandit with a wider policy (obs 64, two hidden layers of 256:
~84k parameters), captured per episode in factored form; the low-rank SAE reads the factors, the dense SAE
the same updates materialized. Memory is measured two ways: the training state (parameters, gradients,
Adam moments) and the peak resident memory of a fresh worker process while it builds, trains and evaluates
the SAE (peak RSS reset after loading the updates, minus the RSS at that point; training and evaluation both in batches
of 64 updates), plus the peak of live torch tensor memory over build + init + 10 steps + evaluation, from the torch
profiler's memory events (RSS also counts allocator caching and library workspaces, which dominate the small low-rank
SAE's RSS). Ratios are computed here.

    python bench/sae.py            # ~2-4 min on 2 cores
    python bench/sae.py --quick    # fewer steps
    python bench/sae.py --only overhead   # or --only memory
"""
import argparse, json, os, resource, subprocess, sys, tempfile, time
import numpy as np, torch, pandas as pd
from safetensors.torch import save_file, load_file

def _status_mib(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"): return int(line.split()[1]) / 1024

def _reset_peak():
    "Reset this process's peak RSS (VmHWM) so later peaks measure only what follows (Linux >= 4.0)."
    with open("/proc/self/clear_refs", "w") as f: f.write("5")

def bench_env(): 
    from shardbook.planted import PlantedBandit
    return PlantedBandit(K=4, obs_dim=64, horizon=8)

def bench_policy():
    from shardbook.planted import policy_net
    return policy_net(64, 5, hidden=256, depth=2, seed=0)

def normalized(fu):
    "Each update scaled to unit norm (drop zero updates)."
    n = fu.sq_norms().sqrt(); keep = (n > 1e-8).nonzero().flatten().tolist()
    return fu[keep].scale(1 / n[keep])

def make_updates(path, iters, episodes=32):
    from shardbook.planted import train_reinforce
    run = train_reinforce(bench_env, bench_policy(), iters=iters, episodes=episodes, lr=3e-3, seed=0, factored=True)
    fu = normalized(run.updates)
    ts = {f"U::{n}": u for n, (u, v) in fu.factors.items()} | {f"V::{n}": v for n, (u, v) in fu.factors.items()}
    ts |= {f"D::{n}": d for n, d in fu.dense.items()}
    save_file({k: t.contiguous() for k, t in ts.items()}, path, metadata={"layout": run.layout.to_json()})
    return len(fu), run.layout

def load_updates(path):
    from safetensors import safe_open
    from shardbook.updates import FactoredUpdate, Layout
    with safe_open(path, "pt") as f: lay = Layout.from_json(f.metadata()["layout"])
    ts = load_file(path)
    fac = {k[3:]: (ts[k], ts["V::" + k[3:]]) for k in ts if k.startswith("U::")}
    return FactoredUpdate(fac, {k[3:]: v for k, v in ts.items() if k.startswith("D::")}), lay

def worker(kind, path, n_latents, k, rank, steps, batch):
    "Train one SAE in this (fresh) process; print a JSON line of its measurements."
    torch.set_num_threads(1)
    from shardbook.sae import DenseSAE, LowRankSAE, SAETrainer, evaluate
    fu, lay = load_updates(path)
    data = fu.to_flat(lay) if kind == "dense" else fu
    mk = lambda L_, k_: DenseSAE(lay.numel, L_, k_) if kind == "dense" else LowRankSAE(lay, L_, k_, rank=rank)
    tiny = mk(2, 1).init_from_data(data[list(range(8))]); SAETrainer(tiny).fit(data, 2, 8); evaluate(tiny, data[list(range(8))])
    del tiny  # warm-up: page in the kernels both kinds use, so the peak below is the SAE's own
    import gc; gc.collect(); _reset_peak(); before = _status_mib("VmRSS")
    sae = mk(n_latents, k).init_from_data(data)
    tr = SAETrainer(sae, lr=3e-3)
    tr.fit(data, 2, batch)  # warm-up
    t0 = time.perf_counter(); tr.fit(data, steps, batch); dt = time.perf_counter() - t0
    ev = evaluate(sae, data, batch_size=batch)  # evaluated in training-size batches, the same for both kinds
    peak_extra = _status_mib("VmHWM") - before
    state = sum(p.numel() for p in sae.parameters()) * 4 * 4  # params, grads, two Adam moments (fp32)
    def build_train_eval():  # a fresh SAE of the same kind: build, initialize, 10 training steps, evaluate
        s = mk(n_latents, k).init_from_data(data); SAETrainer(s, lr=3e-3).fit(data, 10, batch); evaluate(s, data, batch_size=batch)
    tensor_peak = tensor_peak_mib(build_train_eval)
    print(json.dumps(dict(kind=kind, rank=rank if kind != "dense" else None, n_latents=n_latents, params=sae.n_params(),
                          state_mib=state / 2**20, peak_extra_mib=peak_extra, tensor_peak_mib=tensor_peak, fvu=ev["fvu"], l0=ev["l0"],
                          updates_per_s=steps * batch / dt)))

def tensor_peak_mib(fn)->float:
    """Peak MiB of live torch tensors allocated while `fn()` runs (torch profiler memory events: allocations by each op,
    frees as they happen), so allocator caching, library code and kernel workspaces outside torch do not count."""
    import itertools
    from torch.profiler import profile, ProfilerActivity
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof: fn()
    ev = sorted((e.time_range.start, e.cpu_memory_usage if e.name == "[memory]" else e.self_cpu_memory_usage) for e in prof.events())
    return max(itertools.accumulate(v for _, v in ev if v), default=0) / 2**20

def run_worker(*args):
    out = subprocess.run([sys.executable, __file__, "--worker", *map(str, args)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])

def online_overhead(iters, sae_every, batch=32, repeats=5):
    """Wall time of the RL loop alone versus with a low-rank SAE trained online (one step every `sae_every` RL steps):
    medians over `repeats` runs of each, alternated, so a slow spell of the machine hits both alike."""
    from shardbook.planted import train_reinforce
    from shardbook.updates import UpdateBuffer
    from shardbook.sae import LowRankSAE, SAETrainer
    torch.set_num_threads(1)
    def loop(online):
        pol = bench_policy(); sae = tr = buf = None; g = torch.Generator().manual_seed(0)
        def cb(fu, ctx, it):
            buf.add(normalized(fu), step=it)  # the batch's 32 episodes as one buffer item: one check, one copy
            if it % sae_every == 0: tr.train_step(buf.sample(max(1, batch // 32), g)[0])
        if online:
            from shardbook.updates import Layout, select_params
            lay = Layout.from_named(select_params(pol))
            sae = LowRankSAE(lay, 32, 4, rank=1); tr = SAETrainer(sae, lr=3e-3); buf = UpdateBuffer(8 * 2**20)
        t0 = time.perf_counter()
        train_reinforce(bench_env, pol, iters=iters, episodes=32, lr=3e-3, seed=1, factored=True, callback=cb if online else None, keep=False)
        return time.perf_counter() - t0
    loop(False); loop(True)  # warm-up
    ts = [(loop(False), loop(True)) for _ in range(repeats)]
    return float(np.median([b for b, _ in ts])), float(np.median([o for _, o in ts]))

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true"); p.add_argument("--worker", nargs=7)
    p.add_argument("--only", choices=["memory", "overhead"], help="run one of the two parts")
    a = p.parse_args()
    if a.worker:
        kind, path, L, k, r, steps, batch = a.worker
        return worker(kind, path, int(L), int(k), int(r), int(steps), int(batch))
    torch.set_num_threads(1)
    if a.only != "overhead": memory_table(a)
    if a.only != "memory": overhead_table(a)

def memory_table(a):
    steps = 60 if a.quick else 200
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "updates.safetensors")
        n, lay = make_updates(path, iters=8 if a.quick else 16)
        print(f"{n} unit-norm per-episode updates of {lay.numel} parameters ({len(lay)} tensors); SAEs with 32 latents, k=4")
        rows = [run_worker("dense", path, 32, 4, 0, steps, 64)] + [run_worker("lowrank", path, 32, 4, r, steps, 64) for r in (1, 2)]
    df = pd.DataFrame(rows)
    dense = df.iloc[0]
    df["state_vs_dense"] = df.state_mib / dense.state_mib
    df["peak_vs_dense"] = df.peak_extra_mib / dense.peak_extra_mib
    df["tensor_peak_vs_dense"] = df.tensor_peak_mib / dense.tensor_peak_mib
    df["fvu_vs_dense"] = df.fvu / dense.fvu
    pd.set_option("display.width", 200)
    print(df.round(4).to_string(index=False))
    for _, r in df.iloc[1:].iterrows():
        fvu_ok = r.fvu_vs_dense <= 1.10
        verdict = lambda ratio: "meets" if ratio <= 1 / 20 and fvu_ok else "misses"
        print(f"low-rank r={int(r['rank'])}, FVU {r.fvu:.3f} vs dense {dense.fvu:.3f} ({'within' if fvu_ok else 'not within'} 10%): "
              f"training state 1/{1 / r.state_vs_dense:.0f} of dense ({verdict(r.state_vs_dense)}), peak tensor memory "
              f"1/{1 / r.tensor_peak_vs_dense:.0f} ({verdict(r.tensor_peak_vs_dense)}), peak RSS above the loaded updates "
              f"1/{1 / r.peak_vs_dense:.0f} ({verdict(r.peak_vs_dense)}) of the <=1/20 target")

def overhead_table(a):
    rows = []
    for every in (2, 4, 8):
        base, onl = online_overhead(iters=8 if a.quick else 24, sae_every=every)
        rows.append(dict(sae_step_every=every, sae_samples_per_update=32 / (32 * every), rl_wall_s_median=base, rl_plus_sae_wall_s_median=onl, overhead=onl / base - 1))
    ov = pd.DataFrame(rows)
    print(ov.round(3).to_string(index=False))
    print("online SAE (low-rank r=1, 32 latents, one step on a stored batch of 32 episodes every N RL steps, buffer of 8 MiB): overhead "
          + ", ".join(f"N={r.sae_step_every}: {r.overhead:+.1%}" for r in ov.itertuples()) + " of the RL loop's wall time (target <= +25%)")

if __name__ == "__main__": sys.exit(main())
