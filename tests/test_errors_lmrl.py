"Bad inputs to `shardbook.lmrl` (issue 14): degenerate GRPO, foreign checkpoints, bad sizes."
import random
from dataclasses import replace
import pytest
import torch
from shardbook.lmrl import (RLConfig, changed_fractions, group_advantages,
                            make_prompt, make_tasks, run_grpo, sample_answers, tiny_llama,
                            tiny_tokenizer)

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def tok():
    return tiny_tokenizer()


def tiny_cfg(**kw):
    base = dict(model="tiny", steps=1, kinds=("mlp",), layers=(-1,), episodes_per_step=2, group_size=2,
                max_new_tokens=2, buffer_mb=0.1, sae_latents=4, sae_k=2, sae_batch=2)
    return RLConfig(**{**base, **kw})


def test_group_size_one_is_refused():
    with pytest.raises(ValueError, match="group_size must be an int >= 2, got 1: GRPO's advantage"):
        tiny_cfg(group_size=1)


def test_run_with_no_live_episode_raises(tok):
    with pytest.raises(ValueError, match="no episode of the 4 in 2 GRPO steps was live"):
        run_grpo(tiny_llama(tok), tok, tiny_cfg(temperature=1e-4, steps=2), progress=False)


def test_checkpoint_refuses_another_base_model(tmp_path, tok):
    p = tmp_path / "ck.pt"
    cfg = tiny_cfg()
    run_grpo(tiny_llama(tok, seed=0), tok, cfg, ckpt=p, progress=False)
    s = torch.load(p, weights_only=False)
    assert s["base"]["model"] == "tiny" and len(s["base"]["fingerprint"]) == 16
    other = tiny_llama(tok, seed=5)
    with pytest.raises(ValueError, match=r"made from base model 'tiny' \(weights fingerprint"):
        run_grpo(other, tok, replace(cfg, steps=2), ckpt=p, progress=False)
    del s["base"]                                  # a checkpoint from before issue 14: theta0 decides
    torch.save(s, p)
    with pytest.raises(ValueError, match="pass that base model, freshly loaded"):
        run_grpo(other, tok, replace(cfg, steps=2), ckpt=p, progress=False)
    r = run_grpo(tiny_llama(tok, seed=0), tok, replace(cfg, steps=2), ckpt=p, progress=False)
    assert r.step_i == 2


def test_config_fields():
    cases = [(dict(steps=-1), "steps must be an int >= 0, got -1"),
             (dict(episodes_per_step=0), "episodes_per_step must be a positive int, got 0"),
             (dict(temperature=0), "temperature must be a positive finite number, got 0"),
             (dict(lr=0.), "lr must be a positive finite number"),
             (dict(max_new_tokens=0), "max_new_tokens must be a positive int"),
             (dict(sae_rank=0), "sae_rank must be a positive int, got 0"),
             (dict(sae_k=40, sae_latents=32), "sae_k must be in 1..sae_latents=32, got 40"),
             (dict(capture_rank=0), "capture_rank must be a positive int, got 0"),
             (dict(buffer_mb=0), "buffer_mb must be a positive finite number, got 0"),
             (dict(sae_batch=0), "sae_batch must be a positive int"),
             (dict(tasks=()), "tasks is empty")]
    for kw, msg in cases:
        with pytest.raises(ValueError, match=msg):
            tiny_cfg(**kw)
    RLConfig(sae_latents=0, sae_k=0)               # no online SAE: its settings are unused


def test_run_arguments(tok):
    with pytest.raises(ValueError, match="n_eval=100 must leave 1 or more"):
        run_grpo(tiny_llama(tok), tok, tiny_cfg(n_eval=100), progress=False)
    with pytest.raises(ValueError, match="every must be a positive int, got 0"):
        run_grpo(tiny_llama(tok), tok, tiny_cfg(), ckpt="unused.pt", every=0, progress=False)
    with pytest.raises(ValueError, match="group_size must be a positive int, got 0"):
        sample_answers(tiny_llama(tok), tok, ["a ->"], group_size=0)
    with pytest.raises(ValueError, match="prompts is empty"):
        sample_answers(tiny_llama(tok), tok, [])


def test_helpers():
    with pytest.raises(ValueError, match=r"got \(3,\) and \(4,\)"):
        group_advantages(torch.ones(3), torch.tensor([0, 0, 1, 1]))
    with pytest.raises(ValueError, match="n_shot=100 but task 'capital' has only 35 pairs"):
        make_prompt(make_tasks()["capital"], "Italy", random.Random(0), n_shot=100)
    with pytest.raises(ValueError, match=r"only in new \['a'\], only in old \['b'\]"):
        changed_fractions({"a": torch.ones(2)}, {"b": torch.ones(2)})
    from shardbook.capture import EpisodeCapture
    with pytest.raises(ValueError, match="rank must be a positive int, got 0"):
        EpisodeCapture("*.mlp.*", rank=0)
    with pytest.raises(ValueError, match="sae_batch must be a positive int, got 0"):
        EpisodeCapture("*.mlp.*", sae_latents=4, sae_batch=0)
    with pytest.raises(ValueError, match="sae_k must be in 1..sae_latents=4, got 5"):
        EpisodeCapture("*.mlp.*", sae_latents=4, sae_k=5)
