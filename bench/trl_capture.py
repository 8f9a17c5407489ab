"""Overhead of shardbook's per-episode capture plus online SAE on a plain TRL `GRPOTrainer` step.

Both runs train `lmrl.EVERYDAY`'s parameter subset (the MLP matrices of SmolLM2-135M's last 4 layers) with the same
TRL settings (`lmrl.trl_args`), the same prompts and seeds, in one process: a plain `GRPOTrainer`, and the same trainer
with `capture.EpisodeCapture` attached (rank-8 episodes, a 32-latent online SAE, as `run_trl` runs it). The capture does
not change training, so both runs sample the same answers; the table gives the median wall time per optimizer step of
each (measured between TRL's `on_step_begin` and `on_step_end`), their ratio, and the memory one captured episode holds.
Runs alternate (plain, captured, captured, plain) to cancel drift on a shared machine.

    python bench/trl_capture.py [--steps 8] [--model smollm2-135m] [--threads 1]
"""
import argparse, statistics, tempfile, time, warnings
import torch, transformers
from transformers import TrainerCallback, PrinterCallback
from trl import GRPOTrainer
from shardbook.lmrl import (EVERYDAY, TRLRun, trl_args, task_reward, grpo_dataset, select_linears,
                            set_trainable, stop_ids, _checked_tasks)
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

def plain(cfg, out):
    "A plain GRPOTrainer on the same subset, prompts, rewards and settings as `TRLRun`, no capture."
    model, tok = load_lm(cfg.model)
    set_trainable(model, select_linears(model, cfg.kinds, cfg.layers))
    if tok.pad_token is None: tok.pad_token = tok.eos_token
    model.generation_config.eos_token_id = stop_ids(tok)
    tasks = _checked_tasks(cfg)
    t = GRPOTrainer(model=model, reward_funcs=task_reward(tasks), train_dataset=grpo_dataset(tasks, cfg),
                    args=trl_args(cfg, out, every=10 ** 6, report_to="none", progress=False), processing_class=tok)
    t.remove_callback(PrinterCallback)
    return t, None

def captured(cfg, out):
    model, tok = load_lm(cfg.model)
    run = TRLRun(model, tok, cfg, out, every=10 ** 6, report_to="none", progress=False)
    return run.trainer, run.capture

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--model", default=EVERYDAY.model)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg = replace(EVERYDAY, model=a.model, steps=a.steps)
    times, caps = {"plain": [], "captured": []}, []
    for name in ("plain", "captured", "captured", "plain"):
        with tempfile.TemporaryDirectory() as d:
            trainer, cap = (plain if name == "plain" else captured)(cfg, d)
            cb = StepTimes()
            trainer.add_callback(cb)
            trainer.args.save_strategy = "no"
            trainer.train()
        times[name] += cb.times[1:]          # the first step warms caches up
        if cap is not None: caps.append(cap)
    p, c = statistics.median(times["plain"]), statistics.median(times["captured"])
    mib = statistics.mean(h["capture/MiB_per_unit"] for h in caps[0].history if h["capture/live"])
    print(f"{cfg.model}, subset {cfg.kinds} layers {cfg.layers}, {cfg.episodes_per_step} episodes x "
          f"{cfg.group_size} answers per step, {a.steps} steps per run (first dropped), {a.threads} thread(s)\n")
    print("| run | median s / step | steps timed |")
    print("|---|---|---|")
    print(f"| plain GRPOTrainer | {p:.3f} | {len(times['plain'])} |")
    print(f"| + EpisodeCapture (rank {cfg.capture_rank}) + online SAE ({cfg.sae_latents} latents) | {c:.3f} | "
          f"{len(times['captured'])} |")
    print(f"| **ratio** | **{c / p:.3f}x** | |")
    print(f"\nmemory per captured episode (rank-{cfg.capture_rank} factors, float32): {mib:.3f} MiB; "
          f"the dense update would be {sum(m.weight.numel() for m in caps[0].mods.values()) * 4 / 2**20:.1f} MiB")

if __name__ == "__main__":
    main()
