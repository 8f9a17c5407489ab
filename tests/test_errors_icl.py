"Issue 14 for `shardbook.icl`: counts, task names, D, item-bank limits and sampling settings fail early."
import numpy as np, pytest, torch
from shardbook import icl as I
from shardbook.icl import SIX_TASKS, D1
from shardbook.models import is_cached, model_dir

def test_unknown_task_and_bad_d():
    with pytest.raises(ValueError, match=r"Unknown task\(s\) \['currency'\]"):
        I.build_prompt(["currency"], [1.], 4)
    with pytest.raises(ValueError, match="D sums to 3"): I.turn_taking(None, None, [.5] * 6, 6)
    with pytest.raises(ValueError, match="D has non-finite"):
        I.build_prompt(["upper"], [np.nan], 4)

@pytest.mark.parametrize("n, err", [(-1, ValueError), (2.5, TypeError)])
def test_bad_example_counts(n, err):
    with pytest.raises(err, match=f"n_examples must be an int >= 0, got {n}"):
        I.build_prompt(SIX_TASKS, D1, n)

def test_task_counts_negative():
    with pytest.raises(ValueError, match="n must be an int >= 0, got -3"):
        I.task_counts([.5, .5], -3)

@pytest.mark.parametrize("kw, msg", [(dict(temperature=0), "temperature must be a finite number > 0, got 0"),
                                     (dict(temperature=-1.), "temperature must be a finite number > 0"),
                                     (dict(temperature=float("nan")), "temperature must be a finite number"),
                                     (dict(max_tokens=0), "max_tokens must be a positive int, got 0"),
                                     (dict(n_turns=0), "n_turns must be a positive int, got 0"),
                                     (dict(n_runs=0), "n_runs must be a positive int, got 0"),
                                     (dict(n_turns=80), "6 examples and 80 turns need")])
def test_turn_taking_settings(kw, msg):
    with pytest.raises(ValueError, match=msg): I.turn_taking(None, None, D1, 6, **kw)

@pytest.mark.parametrize("kw, msg", [(dict(n_prompts=0), "n_prompts must be a positive int, got 0"),
                                     (dict(dists={}), "dists is empty"),
                                     (dict(n_examples=[]), "n_examples must be a non-empty list"),
                                     (dict(n_examples=6), "n_examples must be a non-empty list"),
                                     (dict(n_examples=[2, 200]), "200 examples plus a query need 201"),
                                     (dict(tasks=["capital", "capitol"]), "Unknown task")])
def test_calibration_fails_before_scoring(kw, msg):
    args = dict(dists=dict(D1=D1), n_examples=[2], n_prompts=1) | kw
    with pytest.raises(ValueError, match=msg): I.calibration(None, None, **args)

def test_top_lines_counts():
    with pytest.raises(ValueError, match="k must be a positive int, got 0"):
        I.top_lines(None, None, "x ->", 0)
    with pytest.raises(ValueError, match="max_tokens must be a positive int, got 0"):
        I.top_lines(None, None, "x ->", 2, max_tokens=0)

def test_turn_records_unknown_d():
    with pytest.raises(ValueError, match="Unknown D 'D4'; known: D1, D2, D3"):
        I.turn_records(None, None, "m", "D4")

def test_urns_for_needs_turn_zero():
    import pandas as pd
    with pytest.raises(ValueError, match="n_urns must be a positive int"):
        I.urns_for(pd.DataFrame(dict(turn=[0])), n_urns=0)
    with pytest.raises(ValueError, match="no turn-0 rows"):
        I.urns_for(pd.DataFrame(dict(turn=[1])))

class _AlwaysEos(torch.nn.Module):
    "A causal LM that always puts all its mass on the end-of-text token."
    def __init__(self, lm, eos):
        super().__init__()
        self.lm, self.eos = lm, eos
    def forward(self, *a, **k):
        out = self.lm(*a, **k)
        out.logits = torch.full_like(out.logits, -1e4)
        out.logits[..., self.eos] = 0
        return out

def test_answers_decoded_without_special_tokens():
    if not is_cached("smollm2-135m"): pytest.skip("smollm2-135m not fetched (for its tokenizer)")
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM
    tok = AutoTokenizer.from_pretrained(model_dir("smollm2-135m"))
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                      num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=2048)
    m = _AlwaysEos(LlamaForCausalLM(cfg).eval(), tok.eos_token_id)
    tt = I.turn_taking(m, tok, D1, 6, n_turns=2, n_runs=2, max_tokens=3)
    ans = tt[tt.turn > 0].answer
    assert (ans == "").all() and (tt[tt.turn > 0].task == "none").all(), ans.tolist()
