"Issue 14 for `shardbook.probe`: document splits, zero limits and counts refused before any work."
import pytest, torch
from shardbook import probe as P
from shardbook.texts import Document

IDS = [f"d{i}" for i in range(10)]

class Tok:
    pad_token_id, eos_token_id = 0, 1
    def __call__(self, t): return {"input_ids": list(range(2, 2 + len(t.split())))}

DOCS = [Document(f"e{i}", "a b c d e f g h i j") for i in range(6)]

@pytest.mark.parametrize("fr, msg", [((1, 0, 0), "the val share must be > 0, got 0.0"),
                                     ((0, 0, 0), "the train share must be > 0"),
                                     ((0.6, -0.1, 0.5), "the val share must be > 0, got -0.1"),
                                     ((0.5, 0.5, float("nan")), "the test share must be > 0, got nan"),
                                     ((0.5, 0.5), "three shares"),
                                     ((6, 1.5, 2.5), "must sum to 1, got 10")])
def test_bad_fractions(fr, msg):
    with pytest.raises(ValueError, match=msg.replace("(", r"\(")): P.split_documents(IDS, fr)

def test_fractions_not_numbers():
    with pytest.raises(TypeError, match="three numbers"): P.split_documents(IDS, "abc")

def test_good_fractions_unchanged():
    sp = P.split_documents(IDS, (0.6, 0.15, 0.25))
    assert sorted(sp.values()).count("train") == 6 and set(sp.values()) == {"train", "val", "test"}
    assert P.split_documents(IDS, (0.35, 0.1, 0.55))  # sums to 1 up to rounding

@pytest.mark.parametrize("v", [0, -5])
def test_max_tokens_zero_or_negative(v):
    with pytest.raises(ValueError, match=f"max_tokens must be a positive int or None \\(no limit\\), got {v}"):
        P.prepare_windows(Tok(), DOCS, 8, max_tokens=v)

def test_prepare_windows_checks_fractions_first():
    with pytest.raises(ValueError, match="the test share must be > 0"):
        P.prepare_windows(Tok(), DOCS, 8, fractions=(0.5, 0.5, 0))

@pytest.mark.parametrize("kw, msg", [(dict(batch_size=0), "batch_size must be a positive int, got 0"),
                                     (dict(n_boot=0), "n_boot must be a positive int, got 0"),
                                     (dict(pca_k=-1), "pca_k must be a positive int, got -1"),
                                     (dict(buckets=0), "buckets must be a positive int, got 0"),
                                     (dict(length=1), "length must be an int >= 2, got 1"),
                                     (dict(max_tokens=0), "max_tokens must be a positive int or None"),
                                     (dict(fractions=(1, 0, 0)), "the val share must be > 0")])
def test_probe_lm_checks_before_the_model(kw, msg):
    with pytest.raises(ValueError, match=msg.replace("(", r"\(")):
        P.probe_lm(None, None, DOCS, **kw)

def test_probe_model_checks_before_loading(monkeypatch):
    import shardbook.models
    monkeypatch.setattr(shardbook.models, "load_lm", lambda *a, **k: pytest.fail("loaded a model"))
    with pytest.raises(ValueError, match="max_docs must be a positive int or None"):
        P.probe_model("smollm2-135m", max_docs=0)
    with pytest.raises(ValueError, match="max_tokens must be a positive int or None"):
        P.probe_model("smollm2-135m", max_tokens=0)
    with pytest.raises(ValueError, match="the val share must be > 0"):
        P.probe_model("smollm2-135m", fractions=(1, 0, 0))

def test_results_ci_level():
    col = P.ProbeCollector(1, 4, 10)
    col.test = dict(n=torch.ones(1))
    with pytest.raises(ValueError, match="ci must be a level strictly between 0 and 1.*got 95"):
        col.results(ci=95)

def test_cli_checks_before_loading(monkeypatch, tmp_path):
    "The command refuses a missing model list, bad limits, an unknown corpus or a foreign table before any model loads."
    import shardbook.models
    from fastcore.script import CliError
    monkeypatch.setattr(shardbook.models, "load_lm", lambda *a, **k: pytest.fail("loaded a model"))
    csv = tmp_path/"probe.csv"
    with pytest.raises(CliError, match="at least one model"): P.probe_cli(csv=csv)
    with pytest.raises(ValueError, match="max_tokens must be a positive int or None"):
        P.probe_cli("smollm2-135m", csv=csv, max_tokens=0)
    with pytest.raises(ValueError, match="the val share must be > 0"):
        P.probe_cli("smollm2-135m", csv=csv, fractions=(1, 0, 0))
    with pytest.raises(ValueError, match="Unknown corpus 'no-such-corpus'"):
        P.probe_cli("smollm2-135m", csv=csv, corpus="no-such-corpus")
    (tmp_path/"texts").mkdir()
    for i in range(3): (tmp_path/"texts"/f"{i}.txt").write_text("a b c d")
    csv.write_text("model,corpus,score\nm,c,1\n")
    with pytest.raises(ValueError, match="not a probe table's .*give another --csv"):
        P.probe_cli("smollm2-135m", csv=csv, corpus=str(tmp_path/"texts"))
