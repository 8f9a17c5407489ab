"""Run by tests/test_capture.py under `accelerate launch --multi_gpu --num_processes 2` with `use_cpu=True`
(two CPU processes, gloo): a tiny GRPO run with `EpisodeCapture`, fresh (`full`) or resumed from its step-2
checkpoint (`resume`). Each process writes what it captured to `<out>/<mode>-<process>.json`."""
import sys, json, warnings
import torch, transformers
from datasets import Dataset
from trl import GRPOConfig, GRPOTrainer
from transformers import PrinterCallback
from shardbook.lmrl import tiny_llama, tiny_tokenizer
from shardbook.capture import EpisodeCapture

warnings.filterwarnings("ignore")
transformers.logging.set_verbosity_error()
out, mode = sys.argv[1], sys.argv[2]
tok = tiny_tokenizer()
ds = Dataset.from_list([dict(prompt=f"Q{i}: ", task="abc"[i % 3]) for i in range(24)])

def reward(completions, task, **_):
    return [float(len(c.split("e")[0]) % 3) + (t == "a") for c, t in zip(completions, task)]

torch.manual_seed(0)
# 6 rows per process and groups of 4: the second group of every step straddles the two processes
args = GRPOConfig(output_dir=out, per_device_train_batch_size=6, num_generations=4, max_completion_length=6,
                  max_steps=4, learning_rate=1e-3, beta=0.0, report_to="none", save_strategy="steps",
                  save_steps=2, gradient_checkpointing=False, max_grad_norm=0, bf16=False, use_cpu=True,
                  disable_tqdm=True, seed=0)
trainer = GRPOTrainer(model=tiny_llama(tok, n_layers=2), reward_funcs=reward, args=args, train_dataset=ds,
                      processing_class=tok)
trainer.remove_callback(PrinterCallback)
cap = EpisodeCapture("model.layers.*.mlp.*", rank=None, check_sum=True, label="task", sae_latents=4,
                     sae_k=1).attach(trainer)
trainer.train(resume_from_checkpoint=f"{out}/checkpoint-2" if mode == "resume" else None)
res = dict(proc=cap.proc, world=cap.world, sum_errors=cap.sum_errors, rows=[e["rows"] for e in cap.episodes],
           steps=[e["step"] for e in cap.episodes], completions=[e["completions"] for e in cap.episodes],
           rewards=[e["rewards"] for e in cap.episodes], buffer_seen=cap.buffer.seen,
           sq_norms=[None if u is None else float(u.sq_norms()[0]) for u in cap.updates],
           sae_steps=cap.sae_trainer.step if cap.sae_trainer else None)
with open(f"{out}/{mode}-{cap.proc}.json", "w") as f: json.dump(res, f)
