"""Tests for `shardbook.lmrl` (RL on an LM with factored shard capture) on a tiny random Llama.

Failure paths, exactness of the factored capture, resume-after-interrupt equality, and the TRL callback in a tiny CPU run.
"""
import random, sys, tempfile
from dataclasses import replace
import pytest, torch
from shardbook.lmrl import (make_tasks, make_prompt, tiny_tokenizer, tiny_llama, select_linears, set_trainable,
                            sample_answers, answer_logprobs, group_advantages, episode_updates, changed_fractions,
                            RLConfig, run_grpo, Interrupted)
from shardbook.updates import truncate
from shardbook.updates import LinearFactorCapture

torch.set_num_threads(1)

@pytest.fixture(scope="module")
def tok(): return tiny_tokenizer()

def tiny_cfg(**kw):
    base = dict(model="tiny", steps=4, kinds=("mlp", "attn"), layers=(-1,), episodes_per_step=4, group_size=3,
                buffer_mb=0.1, sae_latents=8, sae_k=2, sae_batch=4)
    return RLConfig(**{**base, **kw})

def test_rewards_and_tasks():
    t = make_tasks()
    assert t["capital"].reward(" Paris\n", "Paris") == 1.0
    assert 0 < t["capital"].reward(" Pari", "Paris") < 0.5
    assert t["upper"].reward(" apple", "APPLE") < 0.5          # case matters for uppercase
    assert t["next"].reward(" 19", "18") == 0.25 and t["next"].reward(" nineteen", "18") == 0.0
    with pytest.raises(ValueError, match="unknown task"): make_tasks(["capitol"])
    p = make_prompt(t["capital"], "Italy", random.Random(0), n_shot=2)
    assert p.endswith("Italy ->") and p.count("\n") == 2 and "Italy -> Rome" not in p

def test_select_linears_errors(tok):
    m = tiny_llama(tok)
    with pytest.raises(ValueError, match="unknown kind"): select_linears(m, "ffn")
    with pytest.raises(ValueError, match="out of range"): select_linears(m, "mlp", layers=[7])
    assert len(select_linears(m, "all")) == 14 and len(select_linears(m, "attn", layers=[0])) == 4
    params = set_trainable(m, select_linears(m, "mlp", layers=[-1]))
    assert [n for n, p in m.named_parameters() if p.requires_grad] == list(params)

def test_group_advantages():
    ep = torch.tensor([0, 0, 1, 1, 1])
    adv = group_advantages(torch.tensor([1., 0., 2., 2., 2.]), ep)
    assert torch.allclose(adv, torch.tensor([.5, -.5, 0., 0., 0.]))
    s = group_advantages(torch.tensor([1., 0., 1., 2., 3.]), ep, scale_std=True)
    assert torch.allclose(s[2:], torch.tensor([-1., 0., 1.]), atol=1e-3)

def test_factored_capture_equals_dense_per_episode_gradient(tok):
    m = tiny_llama(tok, seed=1); torch.manual_seed(0)
    tasks = make_tasks(); rng = random.Random(1)
    b = sample_answers(m, tok, [make_prompt(t, t.pairs[3][0], rng) for t in tasks.values()], group_size=3, max_new_tokens=4)
    lin = select_linears(m, "all", layers=[0, 1]); params = set_trainable(m, lin)
    adv = torch.randn(len(b.texts))
    with LinearFactorCapture(m, list(lin)) as cap:
        lp = answer_logprobs(m, b); (-(adv * lp).sum()).backward()
    eps, kept = episode_updates(cap.updates(), b.episode)
    assert abs(kept - 1) < 1e-9
    for e in range(4):
        for p in params.values(): p.grad = None
        (-(adv * answer_logprobs(m, b) * (b.episode == e)).sum()).backward()
        for n, p in params.items():
            U, V = eps[e].factors[n]
            torch.testing.assert_close(U[0] @ V[0].T, -p.grad, atol=1e-5, rtol=1e-4)

def test_episode_truncation():
    "The settings `episode_updates` compresses with: exact rank found, zero updates give rank 0 and energy 1."
    g = torch.Generator().manual_seed(0)
    U, V = torch.randn(30, 6, generator=g), torch.randn(20, 6, generator=g)
    kw = dict(rtol=1e-7, dtype=torch.float64, energy=True)
    U2, V2, k = truncate((U, V), 2, **kw)
    assert U2.shape == (30, 2) and V2.shape == (20, 2) and 0 < k < 1
    Ue, Ve, ke = truncate((U, V), **kw)
    torch.testing.assert_close(Ue @ Ve.T, U @ V.T, atol=1e-4, rtol=1e-4)
    Z, Zv, kz = truncate((torch.zeros(5, 3), torch.zeros(4, 3)), **kw)
    assert Z.shape[1] == 0 and kz == 1.0

def test_changed_fractions():
    old = {"w": torch.zeros(4)}
    new = {"w": torch.tensor([0., 1e-7, 1e-3, 1.])}
    f = changed_fractions(new, old, tols=(0., 1e-6))
    assert f["fp32>0"] == 0.75 and f["fp32>1e-06"] == 0.5
    base = {"w": torch.ones(4)}
    assert changed_fractions({"w": torch.ones(4) + 1e-4}, base)["bf16!="] == 0.0   # below bf16 resolution at 1.0

def test_resume_after_interrupt_equals_straight_run(tok):
    cfg = tiny_cfg()
    straight = run_grpo(tiny_llama(tok), tok, cfg, progress=False)
    with tempfile.TemporaryDirectory() as d:
        with pytest.raises(Interrupted):
            run_grpo(tiny_llama(tok), tok, cfg, ckpt=f"{d}/r.pt", every=2, interrupt_at=3, progress=False)
        resumed = run_grpo(tiny_llama(tok), tok, cfg, ckpt=f"{d}/r.pt", every=2, progress=False)
        with pytest.raises(ValueError, match="different config"):
            run_grpo(tiny_llama(tok), tok, replace(cfg, lr=1e-2), ckpt=f"{d}/r.pt", progress=False)
        with pytest.raises(ValueError, match="past cfg.steps"):
            run_grpo(tiny_llama(tok), tok, replace(cfg, steps=2), ckpt=f"{d}/r.pt", progress=False)
    for n in straight.params: assert torch.equal(straight.params[n], resumed.params[n]), n
    for (k, a), b in zip(straight.sae.state_dict().items(), resumed.sae.state_dict().values()): assert torch.equal(a, b), k
    assert [e["answer"] for e in straight.episodes] == [e["answer"] for e in resumed.episodes]
    assert straight.trainer.step == resumed.trainer.step and len(straight.buffer) == len(resumed.buffer)
    for u, v in zip(straight.updates, resumed.updates):
        assert (u is None) == (v is None)
        if u is not None: assert all(torch.equal(a[0], b[0]) for a, b in zip(u.factors.values(), v.factors.values()))

def test_run_without_sae_and_exact_capture(tok):
    r = run_grpo(tiny_llama(tok), tok, tiny_cfg(steps=2, sae_latents=0, capture_rank=None), progress=False)
    assert r.sae is None and len(r.history) == 2 and len(r.episodes) == 8
    assert all(0 <= h["step bf16!="] <= 1 for h in r.history) and abs(r.history[0]["kept"] - 1) < 1e-6

def test_grpo_cli_trains_and_resumes_in_its_folder(tmp_path, monkeypatch, capsys):
    "`shardbook-grpo tiny --steps 2 --out DIR`, then `--steps 3 --init-steps 2`: the second run continues the first."
    from fastcore.script import parse_cli
    from shardbook import lmrl
    done = []
    step = lmrl.GRPORun.step
    monkeypatch.setattr(lmrl.GRPORun, "step", lambda self: done.append(self.step_i) or step(self))
    def cli(*argv):
        monkeypatch.setattr(sys, "argv", ["shardbook-grpo", *argv])
        pargs, kwargs, _ = parse_cli(lmrl.grpo_cli.__wrapped__)
        return lmrl.grpo_cli(*pargs, **kwargs)
    short = cli("tiny", "--steps", "2", "--out", str(tmp_path), "--every", "1", "--engine", "loop")
    assert done == [0, 1]
    cfg = replace(lmrl.EVERYDAY, model="tiny")
    assert lmrl.ckpt_path(replace(cfg, steps=2), tmp_path).exists()
    longer = cli("tiny", "--steps", "3", "--init-steps", "2", "--out", str(tmp_path), "--engine", "loop")
    assert done == [0, 1, 2]                                  # only the third step ran: it resumed
    assert longer.episodes[:len(short.episodes)] == short.episodes and longer.step_i == 3
    assert lmrl.ckpt_path(replace(cfg, steps=3), tmp_path).exists()
    cli("tiny", "--steps", "3", "--out", str(tmp_path), "--engine", "loop")   # finished: nothing to do
    assert done == [0, 1, 2]
    assert "tiny: 3 steps" in capsys.readouterr().out
    with pytest.raises(ValueError, match="--steps"): lmrl.grpo_cli("tiny", out=str(tmp_path))
    with pytest.raises(ValueError, match="engine must be"): lmrl.grpo_cli("tiny", steps=1, engine="x")

def test_checkpoint_written_before_the_step_capture_loads(tok, tmp_path):
    "A checkpoint's format is `state()`'s dict; one written without the `capture` entry loads and continues."
    r = run_grpo(tiny_llama(tok), tok, tiny_cfg(steps=2), ckpt=tmp_path/"a.pt", progress=False)
    s = torch.load(tmp_path/"a.pt", weights_only=False)
    assert set(s) == {"cfg", "base", "step", "params", "opt", "theta0", "history", "episodes", "updates", "buffer",
                      "rng", "torch_rng", "gen", "sae", "trainer"}
    longer = run_grpo(tiny_llama(tok), tok, tiny_cfg(steps=3), ckpt=tmp_path/"b.pt", init=tmp_path/"a.pt",
                      progress=False)
    assert longer.capture.step == 3 and longer.history[:2] == r.history[:2]

def test_trl_run_resumes_and_loads(tok, tmp_path):
    "Through TRL: an interrupted run resumes to the straight run's episodes; a finished run loads without training."
    from shardbook.lmrl import run_trl, paths_agree
    cfg = tiny_cfg(steps=4, capture_rank=4)
    kw = dict(every=2, progress=False, report_to="none")
    straight = run_trl(tiny_llama(tok), tok, cfg, tmp_path/"a", **kw)
    with pytest.raises(Interrupted): run_trl(tiny_llama(tok), tok, cfg, tmp_path/"b", interrupt_at=3, **kw)
    assert sorted(p.name for p in (tmp_path/"b").glob("checkpoint-*")) == ["checkpoint-2"]
    resumed = run_trl(tiny_llama(tok), tok, cfg, tmp_path/"b", **kw)
    loaded = run_trl(tiny_llama(tok), tok, cfg, tmp_path/"b", **kw)
    for r in (resumed, loaded):
        assert [e["answer"] for e in r.episodes] == [e["answer"] for e in straight.episodes]
        assert len(r.history) == 4 and r.step_i == 4 and r.sae_trainer.step == straight.sae_trainer.step
    with pytest.raises(ValueError, match="different config"):
        run_trl(tiny_llama(tok), tok, tiny_cfg(steps=4, lr=1e-3), tmp_path/"b", **kw)
    with pytest.raises(ValueError, match="past cfg.steps"):
        run_trl(tiny_llama(tok), tok, replace(cfg, steps=1), tmp_path/"b", **kw)

def test_paths_agree_on_a_fixed_batch(tok, tmp_path):
    "The hand-written loop's per-episode updates equal TRL's on the same batch (float32 rounding only)."
    from shardbook.lmrl import paths_agree
    cfg = tiny_cfg()
    rewards = torch.rand(cfg.episodes_per_step * cfg.group_size, generator=torch.Generator().manual_seed(1))
    gaps = paths_agree(tiny_llama(tok), tok, cfg, tmp_path, rewards=rewards)
    assert len(gaps) == cfg.episodes_per_step and 0 < gaps.rel_gap.max() < 1e-5
    with pytest.raises(ValueError, match="equal rewards"):
        paths_agree(tiny_llama(tok), tok, cfg, tmp_path, rewards=torch.ones(len(rewards)))
