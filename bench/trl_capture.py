"""Overhead of shardbook's per-episode capture plus online SAE on a plain TRL `GRPOTrainer` step.

All runs train `lmrl.EVERYDAY`'s parameter subset (the MLP matrices of SmolLM2-135M's last 4 layers) with the same
TRL settings (`lmrl.trl_args`), the same prompts and seeds, in one process:
- a plain `GRPOTrainer` (the baseline);
- the same trainer with `lmrl.episode_capture(EVERYDAY)` attached: per-episode rank-8 factored updates, the buffer and a
  32-latent online SAE (2 SAE steps per RL step): the issue's "per-episode capture plus online SAE";
- `lmrl.TRLRun`, what the notebooks run: the capture plus the per-step changed-fraction diagnostic (`StepCapture`
  comparing the whole subset before and after every step, for the sparsity analysis).
The capture does not change training, so all runs sample the same answers. The table gives the median wall time per
optimizer step (between TRL's `on_step_begin` and `on_step_end`), the ratio to the plain trainer, and the memory one
captured episode holds. Runs alternate (plain, capture, TRLRun, TRLRun, capture, plain) to cancel drift.

    python bench/trl_capture.py [--steps 8] [--model smollm2-135m] [--threads 1]
"""
import argparse, statistics, tempfile, time, warnings
import torch, transformers
from transformers import TrainerCallback
from shardbook.lmrl import (EVERYDAY, TRLRun, trl_args, grpo_trainer, select_linears, set_trainable,
                            episode_capture, _checked_tasks)
from shardbook.models import load_lm
from dataclasses import replace

warnings.filterwarnings("ignore")
transformers.logging.set_verbosity_error()
transformers.logging.disable_progress_bar()

class StepTimes(TrainerCallback):
    "Wall time of every optimizer step."
    def __init__(self): self.times, self.t0 = [], None
    def on_step_begin(self, args, state, control, **kw): self.t0 = time.perf_counter()
    def on_step_end(self, args, state, control, **kw): self.times.append(time.perf_counter() - self.t0)

def plain(cfg, out, capture=False):
    "A plain GRPOTrainer on the same subset, prompts, rewards and settings as `TRLRun`; `capture`: attach one."
    model, tok = load_lm(cfg.model)
    linears = select_linears(model, cfg.kinds, cfg.layers)
    set_trainable(model, linears)
    t = grpo_trainer(model, tok, cfg, _checked_tasks(cfg),
                     trl_args(cfg, out, every=10 ** 6, report_to="none", progress=False))
    return t, episode_capture(cfg, linears).attach(t) if capture else None

def trlrun(cfg, out):
    model, tok = load_lm(cfg.model)
    run = TRLRun(model, tok, cfg, out, every=10 ** 6, report_to="none", progress=False)
    return run.trainer, run.capture

MAKERS = {"plain": plain, "capture": lambda cfg, out: plain(cfg, out, capture=True), "TRLRun": trlrun}

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--model", default=EVERYDAY.model)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg = replace(EVERYDAY, model=a.model, steps=a.steps)
    times, caps = {k: [] for k in MAKERS}, []
    for name in ("plain", "capture", "TRLRun", "TRLRun", "capture", "plain"):
        with tempfile.TemporaryDirectory() as d:
            trainer, cap = MAKERS[name](cfg, d)
            cb = StepTimes()
            trainer.add_callback(cb)
            trainer.args.save_strategy = "no"
            trainer.train()
        times[name] += cb.times[1:]          # the first step warms caches up
        if cap is not None: caps.append(cap)
    med = {k: statistics.median(v) for k, v in times.items()}
    p = med["plain"]
    mib = statistics.mean(h["capture/MiB_per_unit"] for h in caps[0].history if h["capture/live"])
    print(f"{cfg.model}, subset {cfg.kinds} layers {cfg.layers}, {cfg.episodes_per_step} episodes x "
          f"{cfg.group_size} answers per step, {a.steps} steps per run (first dropped), {a.threads} thread(s)\n")
    names = {"plain": "plain GRPOTrainer",
             "capture": f"+ EpisodeCapture (rank {cfg.capture_rank}) + online SAE ({cfg.sae_latents} latents)",
             "TRLRun": "TRLRun (capture + per-step changed fractions)"}
    print("| run | median s / step | steps timed | ratio to plain |")
    print("|---|---|---|---|")
    for k, v in med.items(): print(f"| {names[k]} | {v:.3f} | {len(times[k])} | {v / p:.3f}x |")
    print(f"\nmemory per captured episode (rank-{cfg.capture_rank} factors, float32): {mib:.3f} MiB; "
          f"the dense update would be {sum(m.weight.numel() for m in caps[0].mods.values()) * 4 / 2**20:.1f} MiB")

if __name__ == "__main__":
    main()
