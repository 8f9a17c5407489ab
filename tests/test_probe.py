"Tests for `shardbook.probe`: the streamed fit against a direct solve, and the early errors. Tiny random models, no downloads."
import pandas as pd, pytest, torch
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast
from tokenizers import Tokenizer, models, pre_tokenizers
from shardbook.texts import Document
from shardbook.probe import (Stats, fit_probe, sse, ProbeCollector, Batch, check_model, prepare_windows, probe_lm,
                             next_token_targets, _batch, split_documents)

WORDS = "the a cat dog sat on mat ran to house big small red blue and then it was very happy".split()

def tiny_tokenizer(extra=0):
    vocab = {w: i for i, w in enumerate(["<unk>", "<pad>"] + WORDS + [f"w{i}" for i in range(extra)])}
    tk = Tokenizer(models.WordLevel(vocab, unk_token="<unk>")); tk.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=tk, unk_token="<unk>", pad_token="<pad>")

def tiny_model(vocab=len(WORDS) + 2, seed=0):
    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, max_position_embeddings=64)
    return LlamaForCausalLM(cfg).eval()

def docs(n=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [Document(f"d{i}", " ".join(WORDS[j] for j in torch.randint(len(WORDS), (int(torch.randint(20, 60, (1,), generator=g)),), generator=g)))
            for i in range(n)]

def lstsq_fit(X, Y):
    "Direct least squares with intercept on materialized data: (w, b)."
    A = torch.cat([X.double(), torch.ones(len(X), 1, dtype=torch.float64)], 1)
    sol = torch.linalg.lstsq(A, Y.double(), driver="gelsd").solution
    return sol[:-1], sol[-1]

def rel(a, b): return float((a - b).norm() / b.norm())

def test_stats_fit_matches_lstsq():
    "Streaming statistics in batches, with a shift, give the same fit as lstsq on all rows at once."
    g = torch.Generator().manual_seed(1)
    X = torch.randn(600, 10, generator=g) * torch.linspace(0.1, 5, 10) + 30  # offset: the shift must cope
    Y = X @ torch.randn(10, 2, generator=g) + torch.randn(600, 2, generator=g)
    s = Stats(10, 2, shift=X[:50].mean(0))
    for i in range(0, 600, 128): s.update(X[i:i+128], Y[i:i+128])
    p, (w, b) = fit_probe(s), lstsq_fit(X, Y)
    assert rel(p.w, w) < 1e-6 and rel(p.intercept, b) < 1e-6
    direct = ((p.predict(X) - Y.double())**2).sum(0)
    assert rel(sse(s, p), direct) < 1e-6

def _collect(model, tok, variant_rows):
    "Feed two training batches through a ProbeCollector (float64 products) and keep the materialized rows."
    w, split = prepare_windows(tok, docs(), length=16)
    col = ProbeCollector(3, 16, model.config.vocab_size, gram_dtype=torch.float64, pca_tokens=10**9)
    rows = {k: [] for k in variant_rows}; ys = []
    for s in range(0, 16, 8):
        b = _batch(model, None, w, list(range(s, s + 8)), {}, torch.Generator().manual_seed(0))
        col.observe("train", b); ys.append(b.y)
        for name, l in variant_rows: rows[name, l].append(col.features(b, name, l))
    return col, {k: torch.cat(v) for k, v in rows.items()}, torch.cat(ys)

def test_streamed_probe_stats_match_lstsq():
    "The collector's x_t and x_(t-1) statistics (one shared Gram matrix, boundary rows removed) fit like lstsq."
    model, tok = tiny_model(), tiny_tokenizer()
    keys = [("x_t", 1), ("x_t-1", 1), ("x_t", 2), ("x_t-1", 2), ("x_t-1", 0)]
    col, X, Y = _collect(model, tok, keys)
    for k in keys:
        s = col.stats["train", *k]
        assert s.n == len(X[k]) == len(Y)
        p, (w, b) = fit_probe(s), lstsq_fit(X[k], Y)
        fitted = X[k].double() @ w + b
        assert rel(p.predict(X[k]), fitted) < 1e-6, k
        # layer 0 holds only 22 distinct embeddings in 32 dimensions: the weights are not unique there, the fit is
        if k[1] > 0: assert rel(p.w, w) < 1e-6 and rel(p.intercept, b) < 1e-6, k

def test_targets_are_logit_and_logprob_of_next_token():
    logits = torch.randn(1, 4, 7); ids = torch.tensor([[1, 2, 3, 4]])
    y = next_token_targets(logits, ids)
    assert y.shape == (1, 3, 2)
    assert torch.allclose(y[0, 1, 0], logits[0, 1, 3]) and torch.allclose(y[0, 1, 1], logits[0, 1].log_softmax(-1)[3])

def test_model_without_hidden_states():
    class NoHidden(torch.nn.Module):
        def __init__(self): super().__init__(); self.lin = torch.nn.Linear(2, 2)
        def forward(self, input_ids): return self.lin(input_ids.float())
    with pytest.raises(TypeError, match="output_hidden_states"): check_model(NoHidden())

def test_vocab_mismatch():
    with pytest.raises(ValueError, match="tokenizer has .* tokens but the model"):
        check_model(tiny_model(), tiny_tokenizer(extra=40))

def test_empty_corpus():
    with pytest.raises(ValueError, match="empty"): probe_lm(tiny_model(), tiny_tokenizer(), [])

def test_all_documents_too_short():
    with pytest.raises(ValueError, match="shorter than"):
        probe_lm(tiny_model(), tiny_tokenizer(), [Document(f"s{i}", "the cat") for i in range(5)])

def test_short_documents_skipped_and_counted():
    model, tok = tiny_model(), tiny_tokenizer()
    df = probe_lm(model, tok, docs(9) + [Document("s1", "cat"), Document("s2", "the dog")], length=16,
                  random_control=False, pca_k=2, pca_tokens=20, buckets=8, n_boot=50)
    assert df.attrs["n_short"] == 2
    quad, lin = df[df.features == "pca2+quad"], df[df.features == "pca2"]
    assert not (quad.r2.values == lin.r2.values).all()  # the quadratic features are really different
    assert {"x_t", "x_t-1", "x_t, shuffled y", "|x_t|", "pca2", "pca2+quad", "position", "token ids"} <= set(df.features)
    assert df.r2.notna().all() and (df.ci_low <= df.ci_high).all()

def test_nan_activation_names_layer():
    model, tok = tiny_model(), tiny_tokenizer()
    def poison(mod, args, out):
        h = out[0] if isinstance(out, tuple) else out
        h[0, 0, 0] = float("nan")
    model.model.layers[0].register_forward_hook(poison)
    with pytest.raises(ValueError, match=r"hidden_states\[1\]"):
        probe_lm(model, tok, docs(), length=16, random_control=False, n_boot=10)

def test_split_is_by_document():
    w, split = prepare_windows(tiny_tokenizer(), docs(20), length=8)
    assert set(split) == set(w.doc_ids) and set(split.values()) == {"train", "val", "test"}
    with pytest.raises(ValueError, match="at least 3 documents"): split_documents(["a", "b"])

def test_token_id_counts_equal_dense_onehot():
    "The token-identity baseline's count-based statistics equal those of the dense one-hot design."
    model, tok = tiny_model(), tiny_tokenizer()
    w, _ = prepare_windows(tok, docs(), length=16)
    col = ProbeCollector(3, 16, model.config.vocab_size, buckets=8, pca_tokens=10**9)
    b = _batch(model, None, w, list(range(6)), {}, torch.Generator().manual_seed(0))
    col.observe("train", b)
    dense = Stats(16, 4).update(col.features(b, "token ids", None), b.y)
    s = col.stats["train", "token ids", None]
    for a in ("sx", "sy", "xx", "xy", "yy"): assert torch.allclose(getattr(s, a), getattr(dense, a)), a
    assert s.n == dense.n

def test_pending_gram_flush_is_exact():
    "Taking boundary rows out of the Gram sums every 3 windows or only at the end gives the same statistics."
    model, tok = tiny_model(), tiny_tokenizer()
    keys = [("x_t", 1), ("x_t-1", 1), ("x_t-1", 2)]
    col_end, _, _ = _collect(model, tok, keys)
    ProbeCollector.flush_rows = 3
    try: col_often, _, _ = _collect(model, tok, keys)
    finally: ProbeCollector.flush_rows = 256
    for k in keys:
        a, b = col_end.stats["train", *k], col_often.stats["train", *k]
        assert a.n == b.n and rel(a.xx, b.xx) < 1e-12 and rel(a.xy, b.xy) < 1e-12, k
    assert not col_end._pending and not col_often._pending  # reading `stats` flushed everything

def _cli_setup(tmp_path):
    "A tiny model saved to a folder (as `load_lm` reads it) and a folder of text files."
    model, tok = tiny_model(), tiny_tokenizer()
    model.save_pretrained(tmp_path/"tiny")
    tok.save_pretrained(tmp_path/"tiny")
    (tmp_path/"texts").mkdir()
    for d in docs(12): (tmp_path/"texts"/f"{d.id}.txt").write_text(d.text)
    return str(tmp_path/"tiny"), str(tmp_path/"texts"), tmp_path/"out"/"probe.csv"

def test_cli_entry_point_runs_and_resumes(tmp_path, monkeypatch):
    "`shardbook-probe` as pyproject registers it: a run from the command line, then a rerun that recomputes nothing."
    import os, re, subprocess, sys
    from pathlib import Path
    import shardbook.probe as P
    pyproject = (Path(__file__).parents[1]/"pyproject.toml").read_text()
    entry = re.search(r'^shardbook-probe = "([\w.]+):(\w+)"$', pyproject, re.M)  # under [project.scripts]
    assert entry, "pyproject.toml registers no shardbook-probe script"
    mod, fn = entry.groups()
    script = tmp_path/"shardbook-probe"  # what pip writes for a console script
    script.write_text(f"import sys\nfrom {mod} import {fn}\nif __name__ == '__main__': sys.exit({fn}())\n")
    model, texts, csv = _cli_setup(tmp_path)
    args = [model, "--corpus", texts, "--csv", str(csv), "--fractions", "0.5", "0.2", "0.3", "--no-random-control"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1]), "TQDM_DISABLE": "1"}
    out = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    table = csv.read_bytes()
    df = pd.read_csv(csv)
    assert list(df.columns) == P.PROBE_COLUMNS and set(df.model) == {model} and set(df.corpus) == {texts}
    assert "random x_t" not in set(df.features)                 # --no-random-control reached probe_lm
    # the rerun, with the same arguments: every (model, corpus) run is in the table, nothing is computed
    monkeypatch.setattr(P, "probe_model", lambda *a, **k: pytest.fail("recomputed a run already in the table"))
    assert P.probe_cli(model, csv=csv, corpus=texts, fractions=(0.5, 0.2, 0.3), random_control=False) == []
    assert csv.read_bytes() == table

def test_cli_force_recomputes_the_same_rows(tmp_path, capsys):
    "`force=True` reruns a stored run; seeded, it writes the same table; a second model is added beside the first."
    import shutil
    from shardbook.probe import probe_cli
    model, texts, csv = _cli_setup(tmp_path)
    kw = dict(csv=csv, corpus=texts, fractions=(0.5, 0.2, 0.3), random_control=False)
    assert probe_cli(model, **kw) == [model]
    table = csv.read_bytes()
    assert probe_cli(model, force=True, **kw) == [model] and csv.read_bytes() == table
    shutil.copytree(model, tmp_path/"tiny2")
    assert probe_cli(model, str(tmp_path/"tiny2"), **kw) == [str(tmp_path/"tiny2")]
    assert set(pd.read_csv(csv).model) == {model, str(tmp_path/"tiny2")}
    assert "skipped" in capsys.readouterr().out
