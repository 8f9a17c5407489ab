# Provenance: the background script that trains the GRPO checkpoints the `#| slow` cells of nbs/41_shards_lm.ipynb load
# (they call `run_grpo` with the same config and `ckpt_path`, so they find the finished checkpoint and do not retrain).
# Resumable: rerun the same command after an interruption and it continues from the last checkpoint.
# Run on 2026-11-21 on the 2-core dev machine, one torch thread per run, two runs side by side:
#   python tools/slow_runs/lm_grpo.py smollm2-135m --steps 256 --init-steps 64   # 1,415 s; 530 live of 1,024 episodes
#   python tools/slow_runs/lm_grpo.py smollm2-135m --steps 512 --init-steps 256 --every 32   # 1,819 s; 787 of 2,048
#   python tools/slow_runs/lm_grpo.py qwen2.5-0.5b --steps 64                     # 1,651 s; 74 of 256
# (the 64-step smollm2-135m checkpoint continued the everyday 12/16-step run in an earlier session)
import argparse, time, torch
from dataclasses import replace
from shardbook.lmrl import EVERYDAY, run_grpo, ckpt_path
from shardbook.models import load_lm

p = argparse.ArgumentParser()
p.add_argument("model"); p.add_argument("--steps", type=int, required=True)
p.add_argument("--init-steps", type=int, default=None, help="continue the run of the same config saved at this step count")
p.add_argument("--every", type=int, default=16, help="checkpoint every N steps (checkpoints hold every update: hundreds of MB)")
p.add_argument("--threads", type=int, default=1)
a = p.parse_args()
torch.set_num_threads(a.threads)
cfg = replace(EVERYDAY, model=a.model, steps=a.steps)
init = ckpt_path(replace(cfg, steps=a.init_steps)) if a.init_steps else None
model, tok = load_lm(cfg.model)
t = time.time()
run = run_grpo(model, tok, cfg, ckpt=ckpt_path(cfg), init=init, every=a.every, progress=True)
print(f"{cfg.model}: {run.step_i} steps, {sum(u is not None for u in run.updates)} live of {len(run.updates)} episodes, "
      f"wall {time.time() - t:.0f}s -> {ckpt_path(cfg)}", flush=True)
