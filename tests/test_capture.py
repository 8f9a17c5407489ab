"The TRL capture: the sum check for every loss type with KL on and off, two processes, resume, CUDA."
import json, os, shutil, subprocess, sys, warnings
from pathlib import Path
import pytest, torch, transformers
from datasets import Dataset
from trl import GRPOConfig, GRPOTrainer
from transformers import PrinterCallback
from shardbook.lmrl import tiny_llama, tiny_tokenizer
from shardbook.capture import EpisodeCapture

warnings.filterwarnings("ignore")
transformers.logging.set_verbosity_error()
HERE = Path(__file__).parent

def reward(completions, task, **_):
    return [float(len(c.split("e")[0]) % 3) + (t == "a") for c, t in zip(completions, task)]

@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory):
    "A tiny Llama saved to disk: TRL builds the KL term's reference model from the policy's path."
    d = tmp_path_factory.mktemp("tiny")
    tok = tiny_tokenizer()
    torch.manual_seed(0)
    tiny_llama(tok, n_layers=2).save_pretrained(d)
    tok.save_pretrained(d)
    return str(d)

def trainer(path, out, device="cpu", reward=reward, **kw):
    tok = tiny_tokenizer()
    ds = Dataset.from_list([dict(prompt=f"Q{i}: ", task="ab"[i % 2]) for i in range(16)])
    cfg = dict(per_device_train_batch_size=8, num_generations=4, max_completion_length=6, max_steps=3,
               learning_rate=1e-3, beta=0.0, report_to="none", save_strategy="no", gradient_checkpointing=False,
               max_grad_norm=0, bf16=False, use_cpu=device == "cpu", disable_tqdm=True, seed=0)
    t = GRPOTrainer(model=path, reward_funcs=reward, args=GRPOConfig(output_dir=str(out), **{**cfg, **kw}),
                    train_dataset=ds, processing_class=tok)
    t.remove_callback(PrinterCallback)
    return t

@pytest.mark.parametrize("loss_type", ["grpo", "dapo", "dr_grpo", "bnpo", "cispo"])
@pytest.mark.parametrize("beta", [0.0, 0.1])
def test_sum_check(tiny_path, tmp_path, loss_type, beta):
    "Per-completion updates sum to the trainer's batch gradient, with gradient accumulation, any loss."
    t = trainer(tiny_path, tmp_path, loss_type=loss_type, beta=beta, gradient_accumulation_steps=2)
    cap = EpisodeCapture(["model.layers.*.mlp.*", "model.layers.1.self_attn.*"], unit="completion", rank=None,
                         check_sum=True).attach(t)
    t.train()
    assert len(cap.sum_errors) == 3 and max(cap.sum_errors) < 1e-5, cap.sum_errors
    assert len(cap.episodes) == 3 * 16 and all(len(e["rows"]) == 1 for e in cap.episodes)
    assert sorted(e["rows"][0] for e in cap.episodes) == list(range(48))

def test_units_add_up(tiny_path, tmp_path):
    "Episode and step units are sums of the completion units of the same rows."
    ups = {}
    for unit in ("completion", "episode", "step"):
        t = trainer(tiny_path, tmp_path, max_steps=1)
        cap = EpisodeCapture("model.layers.*.mlp.*", unit=unit, rank=None).attach(t)
        t.train()
        ups[unit] = [u for u in cap.updates]
        n = {"completion": 8, "episode": 2, "step": 1}[unit]
        assert len(cap.episodes) == n
    lay = cap.layout
    dense = {k: torch.stack([torch.zeros(lay.numel) if u is None else u.to_flat(lay)[0] for u in v])
             for k, v in ups.items()}
    assert torch.allclose(dense["completion"].view(2, 4, -1).sum(1), dense["episode"], atol=1e-7)
    assert torch.allclose(dense["episode"].sum(0), dense["step"][0], atol=1e-7)

def _launch(out, mode):
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
           "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
           str(HERE/"trl_two_procs.py"), str(out), mode]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return [json.loads((out/f"{mode}-{p}.json").read_text()) for p in (0, 1)]

def test_two_processes_and_resume(tmp_path):
    "Two CPU processes (gloo): every row captured once, sums exact, and a resume loses nothing."
    full = _launch(tmp_path, "full")
    main, other = full
    assert main["world"] == 2 and other["proc"] == 1
    rows = sorted(r for rs in main["rows"] for r in rs)
    assert rows == list(range(4 * 12)), "each of 4 steps x 2 processes x 6 rows exactly once"
    assert all(len(rs) == 4 and rs == list(range(rs[0], rs[0] + 4)) for rs in main["rows"])
    assert other["rows"] == [] and other["sae_steps"] is None   # units live on the main process only
    assert len(main["sum_errors"]) == 4 and max(main["sum_errors"]) < 1e-5
    assert main["sae_steps"] == 4 and main["buffer_seen"] == sum(x is not None for x in main["sq_norms"])
    assert (tmp_path/"checkpoint-2"/"shardbook_capture.pt").exists()
    resumed = _launch(tmp_path, "resume")[0]
    for k in ("rows", "steps", "completions", "rewards", "buffer_seen", "sae_steps"):
        assert resumed[k] == main[k], k
    for a, b in zip(resumed["sq_norms"], main["sq_norms"]):
        assert (a is None and b is None) or a == pytest.approx(b, rel=1e-6)

def b_earns_nothing(completions, task, **_):
    "Task 'a' rewards vary within a group; task 'b' groups all get 0, so their advantages are 0."
    return [float(len(c) % 3) if t == "a" else 0. for c, t in zip(completions, task)]

def test_rows_keep_their_own_gradient(tiny_path, tmp_path):
    "After TRL shuffles and splits the batch, every row's update is its own: zero-advantage rows get none."
    t = trainer(tiny_path, tmp_path, reward=b_earns_nothing, gradient_accumulation_steps=2)
    cap = EpisodeCapture("model.layers.*.mlp.*", unit="completion", rank=None).attach(t)
    t.train()
    zero = [e["advantages"][0] == 0 for e in cap.episodes]
    assert any(zero) and not all(zero)
    assert [u is None for u in cap.updates] == zero
    assert all(u is None for e, u in zip(cap.episodes, cap.updates) if e["task"] == "b")

def test_kl_term_makes_zero_advantage_groups_live(tiny_path, tmp_path):
    "With a KL term a group with equal rewards still moves the policy (after step 1), so it is live."
    t = trainer(tiny_path, tmp_path, reward=b_earns_nothing, beta=0.5, learning_rate=1e-2)
    cap = EpisodeCapture("model.layers.*.mlp.*", rank=None).attach(t)
    t.train()
    flat = [e for e in cap.episodes if all(a == 0 for a in e["advantages"])]
    assert flat and all(not e["live"] for e in flat if e["step"] == 0)   # policy = reference
    assert any(e["live"] for e in flat if e["step"] > 0)

def test_attach_refuses_lm_head_and_bad_label(tiny_path, tmp_path):
    t = trainer(tiny_path, tmp_path)
    with pytest.raises(ValueError, match="fused kernel"): EpisodeCapture("lm_head").attach(t)
    with pytest.raises(ValueError, match="dataset column"): EpisodeCapture("*.mlp.*", label="x").attach(t)
    t.args.fp16 = True
    with pytest.raises(ValueError, match="fp16"): EpisodeCapture("*.mlp.*").attach(t)

@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda(tiny_path, tmp_path):
    "On CUDA the capture and the online SAE live on the trainer's device."
    t = trainer(tiny_path, tmp_path, device="cuda")
    cap = EpisodeCapture("model.layers.*.mlp.*", rank=4, check_sum=True, sae_latents=4, sae_k=1).attach(t)
    t.train()
    assert max(cap.sum_errors) < 1e-4
    assert next(cap.sae.parameters()).is_cuda
    assert all(u is None or u.tensors()[0].is_cuda for u in cap.updates)
