#!/usr/bin/env python
"""Bench: shardbook's SAEs against an established trainer, dictionary_learning's TopK trainer (Gao et al.), trained
side by side in one process on the same data, in the same batches and order.

Protocol (the same for every side): ReLU codes (shardbook `signed=False`), TopK with the same n_latents and k (so
L0 = k; the measured L0 is printed too), data pre-scaled to mean squared norm 1 for every side, a seeded 80/20
split, batch indices drawn once per seed and fed to every side, a learning-rate grid per side with the best rate
picked by TRAINING FVU, then train and held-out FVU as mean ± sd over seeds. FVU = Σ‖x − x̂‖² / Σ‖x − x̄‖², computed by
one function (`fvu`) from each side's reconstructions (shardbook's own `evaluate()` is printed beside it as a
check). Speed: training updates per second after 2 warm-up steps, one thread, same process; dead fraction:
latents that never fire on the training data. The anchor's dead-latent window (10M tokens by default, which never
triggers in a short run) is set to shardbook's `dead_after` (4096 updates), so both run AuxK alike.

Data sets:
  planted    unit-normalized per-episode updates of notebook 33's planted REINFORCE run (1,824 x 357)
  synthetic  non-negative sparse mixes of 32 rank-1-per-matrix directions, 5,000 parameters, 5% noise
  lm         per-episode updates of the LM GRPO run of notebook 40 (smollm2-135m, `--lm-steps` steps, live
             episodes only), restricted to one matrix (the last layer's mlp.down_proj, 884,736 parameters) so that a
             dense SAE fits; the run is loaded from the shardbook cache, or trained (minutes per 12 steps on a CPU)

The anchor is not part of shardbook: fetch https://github.com/saprmarks/dictionary_learning and pass its folder;
it needs `einops` (`pip install einops`, or `pip install -e '.[anchor]'`).

    python bench/sae_vs_anchor.py --anchor /path/to/dictionary_learning --data planted,synthetic  # ~12 min
    python bench/sae_vs_anchor.py --anchor ... --data planted,synthetic --quick    # a smoke run
    # LM: dense rows of 884,736 entries are ~1/940 in size, so the dense grid must be ~sqrt(357/d) smaller
    python bench/sae_vs_anchor.py --anchor ... --data lm --seeds 2 --steps 180 --lrs 3e-5,1e-4 \
        --lowrank-lrs 1e-3,3e-3 --init data      # ~25 min: ~2-3 s per dense step of 32 updates, one thread
"""
import argparse, importlib, math, sys, time, types
from pathlib import Path
import numpy as np, pandas as pd, torch

DEAD_AFTER = 4096

def load_anchor(path):
    "dictionary_learning's TopKTrainer from a checkout at `path`, without its package __init__ (it imports nnsight)."
    root = Path(path).expanduser().resolve() / "dictionary_learning"
    if not (root / "trainers" / "top_k.py").exists():
        sys.exit(f"--anchor {path}: no dictionary_learning/trainers/top_k.py there; pass the repository's folder")
    try: import einops  # noqa: F401
    except ImportError: sys.exit("the anchor needs einops: pip install einops (or pip install -e '.[anchor]')")
    for name, folder in [("dictionary_learning", root), ("dictionary_learning.trainers", root / "trainers")]:
        mod = types.ModuleType(name)
        mod.__path__ = [str(folder)]
        sys.modules[name] = mod
    return importlib.import_module("dictionary_learning.trainers.top_k").TopKTrainer

# ---------------------------------------------------------------------------------------------------- data

def planted_data():
    "Unit-normalized per-episode updates of notebook 33's planted run, flat, with their layout."
    from shardbook.planted import PlantedBandit, policy_net, train_reinforce, unit_updates
    run = train_reinforce(lambda: PlantedBandit(K=4), policy_net(5, 5, seed=0), iters=60, episodes=32, lr=0.01,
                          seed=0)
    X, _ = unit_updates(run.updates, run.contexts)
    return X, run.layout, None

def synthetic_data():
    "Non-negative sparse mixes of 32 rank-1-per-matrix directions in 5,000 parameters, with 5% noise."
    from shardbook.updates import Layout
    from shardbook.sae import synthetic_updates
    lay = Layout.from_named({"a": (50, 40), "b": (40, 50), "c": (10, 100)})
    X, _, _ = synthetic_updates(lay, n=4096, n_dirs=32, active=4, signed=False, noise=0.05, seed=0)
    return X, lay, None

def lm_data(steps):
    "Live per-episode updates of the everyday GRPO run continued to `steps`, on the last down_proj only."
    from dataclasses import replace
    from shardbook.models import load_lm
    from shardbook.lmrl import EVERYDAY, ckpt_path, run_grpo
    from shardbook.shards_lm import live_updates
    from shardbook.updates import FactoredUpdate, Layout
    cfg = replace(EVERYDAY, steps=steps)
    model, tok = load_lm(cfg.model)
    init = ckpt_path(EVERYDAY) if steps > EVERYDAY.steps else None
    run = run_grpo(model, tok, cfg, ckpt=ckpt_path(cfg), init=init)
    fu, _ = live_updates(run)
    name = [n for n in fu.factors if n.endswith("down_proj.weight")][-1]
    one = FactoredUpdate({name: fu.factors[name]}, {})
    lay = Layout.from_named({name: run.layout.by_name[name].shape})
    return one.to_flat(lay), lay, one

# ---------------------------------------------------------------------------------------------------- sides

def fvu(X, Xhat, mean):
    "Σ‖x − x̂‖² / Σ‖x − x̄‖², in float64 sums (the one FVU every side is scored with)."
    return float((X - Xhat).double().pow(2).sum() / (X - mean).double().pow(2).sum())

class Anchor:
    "dictionary_learning's TopK trainer, as its own training loop calls it."
    label = "anchor TopK (dictionary_learning)"
    def __init__(self, TopKTrainer, d, L, k, lr, steps, seed, warmup):
        self.tr = TopKTrainer(steps=steps, activation_dim=d, dict_size=L, k=k, layer=0, lm_name="bench", lr=lr,
                              warmup_steps=warmup, seed=seed, device="cpu")
        self.tr.dead_feature_threshold = DEAD_AFTER
        self.step = 0
    def train_step(self, x):
        self.tr.update(self.step, x)
        self.step += 1
    @torch.no_grad()
    def reconstruct(self, x):
        x_hat, f = self.tr.ae(x, output_features=True)
        return x_hat, f
    def evaluate(self, x): return None

class Shardbook:
    "A shardbook SAE and trainer with the library's defaults, ReLU codes; `init='data'` uses init_from_data."
    def __init__(self, kind, d, lay, L, k, lr, seed, warmup, init, train, train_fu=None):
        from shardbook.sae import DenseSAE, LowRankSAE, SAETrainer
        self.kind, self.fu = kind, train_fu
        if kind == "dense": self.sae = DenseSAE(d, L, k, signed=False, seed=seed, dead_after=DEAD_AFTER)
        else: self.sae = LowRankSAE(lay, L, k, rank=1, signed=False, seed=seed, dead_after=DEAD_AFTER)
        self.lay = lay
        if init == "data": self.sae.init_from_data(train, seed=seed)
        self.tr = SAETrainer(self.sae, lr=lr, seed=seed, warmup=warmup)
        self.label = f"shardbook {'DenseSAE' if kind == 'dense' else 'LowRankSAE r1'}" + (
            ", init from data" if init == "data" else "")
    def _in(self, x):
        from shardbook.updates import FactoredUpdate
        return FactoredUpdate.from_flat(x, self.lay) if self.kind == "lowrank" else x
    def train_step(self, x): self.tr.train_step(self._in(x))
    @torch.no_grad()
    def reconstruct(self, x):
        from shardbook.sae import codes
        C = codes(self.sae, self._in(x))
        dec, b = self.sae.decoder_flat(), self.sae.bias_flat()  # both SAE kinds
        return (C @ dec + b) / self.sae.x_scale, C
    def evaluate(self, x):
        from shardbook.sae import evaluate
        return evaluate(self.sae, self._in(x))["fvu"]

def run_side(make, Xtr, Xte, batches):
    "Train one side on the given batches; score it. Returns a dict of measurements."
    side = make()
    for b in batches[:2]: side.train_step(Xtr[b])
    t0 = time.perf_counter()
    for b in batches[2:]: side.train_step(Xtr[b])
    dt = time.perf_counter() - t0
    mean = Xtr.mean(0)
    out = dict(side=side.label, ups=(len(batches) - 2) * len(batches[0]) / dt)
    for split, X in [("train", Xtr), ("held-out", Xte)]:
        Xhat, C = zip(*(side.reconstruct(X[i:i + 256]) for i in range(0, len(X), 256)))
        C = torch.cat(C)
        out[f"{split} FVU"] = fvu(X, torch.cat(Xhat), mean if split == "train" else X.mean(0))
        if split == "train":
            out["L0"] = float((C != 0).float().sum(1).mean())
            out["dead frac"] = float((C != 0).sum(0).eq(0).float().mean())
            out["evaluate() FVU"] = side.evaluate(X)
    return out

def bench(name, X, lay, args, TopKTrainer, configs, lrs, steps, batch):
    "Every side on data `X`: lr grid, best by train FVU, seeds; one table row per side and config."
    g = torch.Generator().manual_seed(0)
    perm = torch.randperm(len(X), generator=g)
    ntr = int(0.8 * len(X))
    X = X * X[perm[:ntr]].pow(2).sum(1).mean().rsqrt()   # mean squared norm 1 on the training split, for all
    Xtr, Xte = X[perm[:ntr]].contiguous(), X[perm[ntr:]].contiguous()
    d = X.shape[1]
    rows = []
    for L, k in configs:
        makers = {"anchor": lambda lr, s: Anchor(TopKTrainer, d, L, k, lr, steps, s, args.warmup)}
        for init in args.init.split(","):
            makers[f"dense/{init}"] = (lambda i: lambda lr, s: Shardbook("dense", d, lay, L, k, lr, s, args.warmup, i,
                                                                         Xtr))(init)
        if name != "planted":
            makers["lowrank"] = lambda lr, s: Shardbook("lowrank", d, lay, L, k, lr, s, args.warmup, "random", Xtr)
        for key, make in makers.items():
            res = {}
            grid = args.lowrank_lrs if key == "lowrank" and args.lowrank_lrs else lrs
            for lr in grid:
                for s in range(args.seeds):
                    gb = torch.Generator().manual_seed(1000 + s)
                    batches = [torch.randint(ntr, (batch,), generator=gb) for _ in range(steps)]
                    torch.manual_seed(s)
                    res[(lr, s)] = run_side(lambda: make(lr, s), Xtr, Xte, batches)
                    print(f"  {name} {L}/{k} {res[(lr, s)]['side']} lr {lr:g} seed {s}: train FVU "
                          f"{res[(lr, s)]['train FVU']:.4f}", file=sys.stderr, flush=True)
            best = min(grid, key=lambda lr: np.mean([res[(lr, s)]["train FVU"] for s in range(args.seeds)]))
            df = pd.DataFrame([res[(best, s)] for s in range(args.seeds)])
            ms = lambda c: f"{df[c].mean():.4f} ± {df[c].std(ddof=1):.4f}" if len(df) > 1 else f"{df[c].mean():.4f}"
            rows.append({"data": name, "latents/k": f"{L}/{k}", "side": df.side[0], "best lr": best,
                         "train FVU": ms("train FVU"), "held-out FVU": ms("held-out FVU"),
                         "L0": round(df.L0.mean(), 2), "dead frac": round(df["dead frac"].mean(), 3),
                         "updates/s": round(df.ups.mean()), "_ho": df["held-out FVU"].tolist(),
                         "_tr": df["train FVU"].tolist(), "_ev": df["evaluate() FVU"].dropna().tolist()})
    return rows

def summary(rows):
    "Per data set and config: each shardbook side's held-out and train FVU minus the anchor's, and the speed ratio."
    lines = []
    for (data, lk), grp in pd.DataFrame(rows).groupby(["data", "latents/k"], sort=False):
        a = grp[grp.side.str.startswith("anchor")].iloc[0]
        for _, r in grp[~grp.side.str.startswith("anchor")].iterrows():
            dho = np.mean(r["_ho"]) - np.mean(a["_ho"])
            dtr = np.mean(r["_tr"]) - np.mean(a["_tr"])
            lines.append(f"{data} {lk}, {r.side}: held-out FVU {dho:+.4f}, train FVU {dtr:+.4f} vs the anchor "
                         f"({'at or below' if dho <= 0 else 'ABOVE'} it held out); speed x{r['updates/s'] / a['updates/s']:.2f}")
        for _, r in grp.iterrows():
            if r["_ev"]:
                lines.append(f"  check {data} {lk} {r.side}: evaluate() train FVU {np.mean(r['_ev']):.4f} vs bench "
                             f"{np.mean(r['_tr']):.4f}")
    return lines

def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--anchor", required=True, help="folder of a dictionary_learning checkout")
    p.add_argument("--data", default="planted,synthetic,lm")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--warmup", type=int, default=0, help="lr warmup steps, the same for every side")
    p.add_argument("--init", default="random,data", help="shardbook dense initialisations to run")
    p.add_argument("--lm-steps", type=int, default=64, help="GRPO steps of the LM run (12: the everyday run)")
    p.add_argument("--quick", action="store_true", help="1 seed, 1 learning rate, 100 steps")
    p.add_argument("--lrs", default=None, help="learning rates, comma-separated (default 1e-3,3e-3,1e-2)")
    p.add_argument("--lowrank-lrs", default=None, type=lambda v: [float(x) for x in v.split(",")],
                   help="a separate grid for the low-rank SAE (its factors are not 1/sqrt(d)-sized like dense rows)")
    p.add_argument("--steps", type=int, default=None, help="training steps (default 600; a third of it for lm)")
    p.add_argument("--out", default=None, help="also write the table as CSV here")
    args = p.parse_args()
    torch.set_num_threads(1)
    TopKTrainer = load_anchor(args.anchor)
    lrs, steps = ([3e-3], 100) if args.quick else ([1e-3, 3e-3, 1e-2], 600)
    if args.quick: args.seeds = 1
    if args.lrs: lrs = [float(v) for v in args.lrs.split(",")]
    if args.steps: steps = args.steps
    rows = []
    for name in args.data.split(","):
        if name == "planted": X, lay, _ = planted_data(); cfg, st, b = [(5, 2), (32, 4)], steps, 128
        elif name == "synthetic": X, lay, _ = synthetic_data(); cfg, st, b = [(32, 4)], steps, 128
        elif name == "lm": X, lay, _ = lm_data(args.lm_steps); cfg, st, b = [(32, 4)], steps // 3, 32  # 148 training updates
        else: sys.exit(f"unknown data set {name!r}: pass planted, synthetic and/or lm")
        print(f"{name}: {X.shape[0]} updates x {X.shape[1]} parameters", file=sys.stderr, flush=True)
        rows += bench(name, X, lay, args, TopKTrainer, cfg, lrs, st, b)
    df = pd.DataFrame(rows)
    show = df.drop(columns=[c for c in df if c.startswith("_")])
    pd.set_option("display.width", 200)
    print(show.to_string(index=False))
    print("\n".join(summary(rows)))
    if args.out: show.to_csv(args.out, index=False)

if __name__ == "__main__":
    main()
