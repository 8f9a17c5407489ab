"""Device-agnostic tensor creation (issue 15).

1. A CPU check that needs no GPU: every torch tensor factory in `shardbook/*.py` names a device
   (`device=...`), or its function is in `ALLOWED` with the reason it may create on the default
   device (CPU); and every `.numpy()` follows `.cpu()`. A tensor that will meet another one is made
   where that one lives: `torch.zeros(n, device=x.device)`, `x.new_zeros(n)`, `torch.zeros_like(x)`.
   Draws from a CPU `torch.Generator` stay on CPU (the same numbers on every device) and are moved
   with `.to(x.device)`.
2. The core non-SAE paths on a device, compared with CPU. They run on CUDA when there is one, or
   anywhere with `SHARDBOOK_TEST_DEVICE=cpu` (or `cuda:1`, ...); on CPU they compare CPU with CPU,
   which checks the tests themselves. The `dev` fixture and the `moved`, `assert_on` and
   `assert_close` helpers are meant for the SAE's device tests too.
"""
import ast, copy, os
from pathlib import Path
import numpy as np, pytest, torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
# the *_like factories and x.new_* inherit x's device (and dtype): they need no device=
FACTORIES = {"zeros", "ones", "empty", "full", "arange", "linspace", "eye", "randn", "rand",
             "randint", "randperm", "tensor", "as_tensor"}
SKIP = set()
ALLOWED = {  # (module, function) -> why it may create tensors on the default device (CPU)
    ("texts", "token_windows"):
        "a CPU dataset of token ids from Python lists; batches move to the model (probe._batch)",
    ("updates", "_write_chunk"):
        "step and label metadata saved beside the updates DiskStore.add queued on CPU",
    ("updates", "sample"):  # UpdateBuffer.sample, a @patch method
       
        "CPU generator draw, turned into Python indices with .tolist() on the same line",
    ("probe", "_batch"):
        "CPU generator draw (shuffled targets), moved with .to(y.device); a CPU batch by design",
    ("shards_lm", "random_direction"):
        "CPU generator draw (the same direction on every device); intervene moves it to p.device",
    ("sae", "_setup"):  # SAEBase._setup, a @patch method
        "constructor: buffers start on CPU and move with sae.to(device)",
    ("sae", "DenseSAE.__init__"):
        "constructor: weights drawn from a CPU generator (the same SAE on every machine), then sae.to(device)",
    ("sae", "LowRankSAE.__init__"):
        "constructor: weights drawn from a CPU generator (the same SAE on every machine), then sae.to(device)",
    ("sae", "init_from_data"):  # DenseSAE's and LowRankSAE's, @patch methods
        "CPU generator draw, moved with .to(X.device) on the next line or turned into Python indices",
    ("updates", "_pad_cols"): "CPU generator draw (padding noise), moved with .to(t.device) on the same line",
    ("sae", "fit"):  # SAETrainer.fit, a @patch method
        "CPU generator draw, turned into Python indices with .tolist()",
    ("sae", "synthetic_updates"): "a CPU data generator (seeded, the same data everywhere): move its output",
    ("scores", "multilabel_f1"):
        "torch.as_tensor(M) keeps a tensor where it is (an array goes to CPU); A follows M.device",
}

def _modules():
    return sorted(p for p in (ROOT / "shardbook").glob("*.py") if p.name not in SKIP)

def _scan_source(src:str):
    "(line, function, call): factory calls without `device=`; `.numpy()` calls not after `.cpu()`."
    factories, numpys = [], []
    def visit(node, scope):
        for ch in ast.iter_child_nodes(node):
            if isinstance(ch, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                visit(ch, scope + [ch.name])
                continue
            if isinstance(ch, ast.Call) and isinstance(ch.func, ast.Attribute):
                f, where, kws = ch.func, ".".join(scope) or "<module>", {k.arg for k in ch.keywords}
                torch_call = isinstance(f.value, ast.Name) and f.value.id == "torch"
                if torch_call and f.attr in FACTORIES and "device" not in kws:
                    factories.append((ch.lineno, where, f"torch.{f.attr}"))
                inner = f.value.func if isinstance(f.value, ast.Call) else None
                after_cpu = isinstance(inner, ast.Attribute) and inner.attr == "cpu"
                if f.attr == "numpy" and not after_cpu and "force" not in kws:
                    numpys.append((ch.lineno, where, ".numpy()"))
            visit(ch, scope)
    visit(ast.parse(src), [])
    return factories, numpys

def test_tensor_factories_name_a_device():
    "Fails listing file:line:function for every factory call without `device=` outside `ALLOWED`."
    bad, used = [], set()
    for p in _modules():
        for line, fn, call in _scan_source(p.read_text())[0]:
            if (p.stem, fn) in ALLOWED: used.add((p.stem, fn))
            else: bad.append(f"shardbook/{p.name}:{line}:{fn}: {call}(...) without device=")
    assert not bad, ("tensors created on the default device (CPU), not where the inputs they "
                     "meet live: pass device=x.device (or use x.new_zeros, torch.zeros_like), or "
                     "add the function to ALLOWED with the reason:\n" + "\n".join(bad))
    stale = sorted(set(ALLOWED) - used)
    assert not stale, f"ALLOWED entries without a device-less factory call (remove them): {stale}"

def test_numpy_only_after_cpu():
    "`.numpy()` fails on a CUDA tensor: every call is `.cpu().numpy()` (free on CPU)."
    bad = [f"shardbook/{p.name}:{line}:{fn}: {call}"
           for p in _modules() for line, fn, call in _scan_source(p.read_text())[1]]
    assert not bad, "use .cpu().numpy():\n" + "\n".join(bad)

def test_scanner_finds_what_it_should():
    "The scanner flags a device-less factory and a bare .numpy() by scope, and passes the rest."
    src = ("import torch\n"
           "class A:\n"
           "    def f(self, x):\n"
           "        g = lambda: torch.zeros(3)\n"
           "        return (torch.ones(2, device=x.device), x.new_zeros(2), x.numpy(),\n"
           "                x.cpu().numpy())\n")
    fac, nps = _scan_source(src)
    assert fac == [(4, "A.f", "torch.zeros")] and nps == [(5, "A.f", ".numpy()")]

# ------------------------------------------------------------------------------------------------
# On a device. SHARDBOOK_TEST_DEVICE=cpu runs this section on CPU (CPU against CPU).

_DEV = os.environ.get("SHARDBOOK_TEST_DEVICE") or ("cuda" if torch.cuda.is_available() else None)
on_device = pytest.mark.skipif(_DEV is None,
                               reason="no CUDA device (SHARDBOOK_TEST_DEVICE=cpu: run on CPU)")

@pytest.fixture
def dev()->torch.device:
    "The device under test: 'cuda' when there is one, or $SHARDBOOK_TEST_DEVICE."
    return torch.device(_DEV)

def moved(x, dev):
    "`x` on `dev`: tensors, modules (a deep copy), FactoredUpdates, and dicts/lists/tuples of them."
    from shardbook.updates import FactoredUpdate
    if isinstance(x, torch.Tensor): return x.to(dev)
    if isinstance(x, nn.Module): return copy.deepcopy(x).to(dev)
    if isinstance(x, FactoredUpdate): return x.map(lambda t: t.to(dev))
    if isinstance(x, dict): return {k: moved(v, dev) for k, v in x.items()}
    if isinstance(x, (list, tuple)): return type(x)(moved(v, dev) for v in x)
    return x

def _tensors(x):
    from shardbook.updates import FactoredUpdate
    if isinstance(x, torch.Tensor): return [x]
    if isinstance(x, FactoredUpdate): return x.tensors()
    if isinstance(x, dict): return [t for v in x.values() for t in _tensors(v)]
    if isinstance(x, (list, tuple)): return [t for v in x for t in _tensors(v)]
    return []

def assert_on(x, dev):
    "Every tensor in `x` lives on `dev` (the computation really ran there)."
    dev = torch.device(dev)
    for t in _tensors(x):
        assert t.device.type == dev.type, t.device
        assert dev.index is None or t.device.index == dev.index, t.device

def assert_close(got, want, tol:float=1e-4):
    "Tensors (FactoredUpdates, dicts, lists) equal up to `tol` times the largest |entry| (or 1)."
    a, b = _tensors(got), _tensors(want)
    assert len(a) == len(b) and len(a) > 0
    for x, y in zip(a, b):
        x, y = x.detach().cpu(), y.detach().cpu()
        assert x.shape == y.shape and x.dtype == y.dtype, (x.shape, y.shape, x.dtype, y.dtype)
        if not (x.is_floating_point() or x.is_complex()):
            assert torch.equal(x, y)
            continue
        if not x.numel(): continue
        scale = max(float(y.abs().max()), 1.)
        assert float((x.double() - y.double()).abs().max()) <= tol * scale

def _mlp(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))

@on_device
def test_factor_capture_and_factored_ops(dev):
    from shardbook.updates import (LinearFactorCapture, FactoredUpdate, Layout, select_params,
                                   per_sample_grads)
    g = torch.Generator().manual_seed(0)
    obs, w = torch.randn(4, 3, 3, generator=g), torch.randn(4, 3, generator=g)
    def capture(net, obs, w):
        with LinearFactorCapture(net) as cap: (w * net(obs)[..., 0]).sum().backward()
        return cap.updates()
    net = _mlp()
    fu_c, fu_d = capture(net, obs, w), capture(moved(net, dev), obs.to(dev), w.to(dev))
    assert_on(fu_d, dev)
    lay = Layout.from_named(select_params(net))
    c = torch.tensor([1., -2., 0.5, 3.])  # a CPU scale meets device factors
    ops = [lambda u: u.to_flat(lay), lambda u: u.sq_norms(), lambda u: u.gram(),
           lambda u: u[1].to_flat(lay), lambda u: u[1:3].to_flat(lay),
           lambda u: u[[0, 2]].to_flat(lay), lambda u: u.scale(c).to_flat(lay),
           lambda u: u.scale(-0.5).sq_norms(),
           lambda u: FactoredUpdate.cat([u[:1], u[2:]]).to_flat(lay)]
    for f in ops:
        got = f(fu_d)
        assert_on(got, dev)
        assert_close(got, f(fu_c))
    idx = torch.tensor([3, 0])
    assert_close(fu_d[idx.to(dev)].to_flat(lay), fu_c[idx].to_flat(lay))
    obj = lambda fwd, o, wt: (wt * fwd(o)[:, 0]).sum()
    psg = per_sample_grads(moved(net, dev), obj, (obs.to(dev), w.to(dev)))
    assert_on(psg, dev)
    assert_close(lay.flatten(psg, batch_shape=(4,)), fu_c.to_flat(lay))

@on_device
def test_step_capture(dev):
    from shardbook.updates import StepCapture
    def run(net, x):
        opt = torch.optim.Adam(net.parameters(), lr=0.01)
        cap = StepCapture(net, opt, "2.*", keep=True)
        for _ in range(3):
            opt.zero_grad()
            net(x).pow(2).sum().backward()
            opt.step()
        cap.remove()
        return cap.deltas, cap.cumulative()
    x = torch.randn(6, 3, generator=torch.Generator().manual_seed(1))
    got, want = run(moved(_mlp(), dev), x.to(dev)), run(_mlp(), x)
    assert_on(got, dev)
    assert_close(got, want)

@on_device
def test_update_buffer_and_disk_store(dev, tmp_path):
    from shardbook.updates import UpdateBuffer, DiskStore, FactoredUpdate
    g = torch.Generator().manual_seed(2)
    flat = [torch.randn(7, generator=g) for _ in range(5)]
    U, V = torch.randn(3, 4, 2, generator=g), torch.randn(3, 5, 2, generator=g)
    fac = FactoredUpdate({"W": (U, V)}, {"b": torch.randn(3, 4, generator=g)})
    def fill(d, store=None):
        buf, fbuf = UpdateBuffer(10_000, store=store), UpdateBuffer(10_000, policy="reservoir")
        for i, u in enumerate(flat): buf.add(u.to(d), step=i, label=i % 2)
        fbuf.add_batch(moved(fac, d), step=7, labels=[1, 0, 1])
        out = [buf.all(), buf.sample(4, torch.Generator().manual_seed(0)), fbuf.all()]
        fs = fbuf.sample(5, torch.Generator().manual_seed(0))
        return out + [(fs[0].to_flat(fac.layout()), fs[1], fs[2])]
    store = DiskStore(tmp_path / "store", cap_bytes=10_000, chunk=2)
    got, want = fill(dev, store), fill(torch.device("cpu"))
    for gt, wt in zip(got, want):
        assert_on(gt, dev)   # updates, steps and labels all on the device
        assert_close(gt, wt)
    U, steps, labels = store.load()  # queued on CPU, written to disk
    assert U.device.type == "cpu" and steps.tolist() == list(range(5))
    assert labels.tolist() == [0, 1, 0, 1, 0]
    assert_close(U, torch.stack(flat))

def _probe_batch(g, d, B=6, T=9, V=30, hidden=(12, 12), docs=1):
    "A random `probe.Batch` on `d`: ragged windows, targets with a linear signal, shuffled targets."
    from shardbook.probe import Batch
    lens = torch.randint(4, T + 1, (B,), generator=g)
    lens[0] = T
    mask = torch.arange(T)[None] < lens[:, None]
    ids = torch.randint(0, V, (B, T), generator=g)
    hs = tuple(torch.randn(B, T, h, generator=g) for h in hidden)
    w = torch.randn(hidden[-1], 2, generator=g)
    y = (hs[-1][:, :-1] @ w + 0.3 * torch.randn(B, T - 1, 2, generator=g))[mask[:, 1:]]
    y = torch.cat([y, y[torch.randperm(len(y), generator=g)]], 1)  # (n, 4)
    doc = torch.randint(0, docs, (B,), generator=g)[:, None].expand_as(mask)[:, 1:][mask[:, 1:]]
    rand = tuple(torch.randn(B, T, h, generator=g) for h in hidden)
    return Batch(*moved((hs, ids, mask, y, doc, rand), d))

@on_device
def test_probe_collector_and_fits(dev):
    from shardbook.probe import ProbeCollector, Stats, fit_probe, fit_ridge_cv, r2_from_stats
    def run(d):
        g = torch.Generator().manual_seed(3)
        col = ProbeCollector(2, 9, 30, n_rand=2, pca_k=3, pca_tokens=40, buckets=8,
                             gram_dtype=torch.float64, n_test_docs=4)
        for split, n in (("train", 4), ("val", 2)):
            for _ in range(n): col.observe(split, _probe_batch(g, d))
        col.fit()
        for _ in range(2): col.evaluate(_probe_batch(g, d, docs=4))
        x = torch.randn(200, 5, generator=g).to(d)
        yy = x @ torch.randn(5, 2, generator=g).to(d) + 0.1 * torch.randn(200, 2, generator=g).to(d)
        tr = Stats(5, 2, shift=x[:20].mean(0)).update(x[:150], yy[:150])
        va = Stats(5, 2, shift=tr.shift).update(x[150:], yy[150:])
        assert_on([Stats(5, 2, device=d).xx, Stats(5, 2, device=d).shift], d)
        ols, ridge, alphas = fit_ridge_cv(tr, va)
        p = fit_probe(tr, ridge=0.1)
        stats = [col.stats[k] for k in sorted(col.stats, key=str)]
        tensors = [[s.sx, s.sy, s.xx, s.xy, s.yy] for s in stats]
        fits = [ols.w, ridge.w, alphas, p.w, p.b, r2_from_stats(tr, p)]
        return col.results(n_boot=50), tensors, fits
    (df, st, fits), (df_c, st_c, fits_c) = run(dev), run(torch.device("cpu"))
    assert_on(st, dev)
    assert_on(fits, dev)
    assert_close(st, st_c)
    assert_close(fits, fits_c)
    keys = ["features", "layer", "target", "fit"]
    assert df[keys].equals(df_c[keys])
    assert np.allclose(df.r2, df_c.r2, atol=1e-4) and np.allclose(df.ci_low, df_c.ci_low, atol=1e-4)

def _docs(n=12, seed=0):
    from shardbook.texts import Document
    words = "the a cat dog sat on mat ran to house big small red blue and then it was very".split()
    g, out = torch.Generator().manual_seed(seed), []
    for i in range(n):
        k = int(torch.randint(20, 60, (1,), generator=g))
        text = " ".join(words[j] for j in torch.randint(len(words), (k,), generator=g))
        out.append(Document(f"d{i}", text))
    return out

def _tiny_llama(vocab:int, seed:int=0):
    "A tiny random Llama (2 layers, hidden 32), peaked next-token distributions: no near-ties."
    from transformers import LlamaConfig, LlamaForCausalLM
    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, initializer_range=0.2,
                      max_position_embeddings=512)
    return LlamaForCausalLM(cfg).eval()

@pytest.fixture(scope="module")
def tiny_lm():
    from shardbook.lmrl import tiny_tokenizer  # character-level, built offline
    tok = tiny_tokenizer()
    return tok, _tiny_llama(len(tok), seed=1)

@on_device
def test_probe_lm_with_a_model_on_the_device(dev, tiny_lm):
    "The whole probe with the model on the device: hidden states come back to CPU statistics."
    from shardbook.probe import probe_lm
    tok, model = tiny_lm
    kw = dict(length=24, batch_size=4, pca_k=4, pca_tokens=64, buckets=16, gram_dtype=torch.float64,
              n_boot=20)
    want = probe_lm(model, tok, _docs(), name="tiny", **kw)
    got = probe_lm(moved(model, dev), tok, _docs(), name="tiny", **kw)
    keys = ["features", "layer", "target", "fit"]
    assert got[keys].equals(want[keys])
    ols = (want.fit == "ols").values  # ridge's penalty is an argmin: a near tie may flip on a GPU
    assert np.allclose(got.r2.values[ols], want.r2.values[ols], atol=1e-3)

@on_device
def test_icl_scorers(dev, tiny_lm):
    from shardbook.icl import (SIX_TASKS, D1, build_prompt, score_answers, score_naive, top_lines,
                               prompt_metrics, turn_taking, _Batch)
    tok, model = tiny_lm
    md = moved(model, dev)
    pr = build_prompt(SIX_TASKS, D1, 3, seed=0)
    text, answers = pr["text"], pr["answers"]
    for f in (lambda m: score_answers(m, tok, text, answers),
              lambda m: score_answers(m, tok, text, answers, newline=True),
              lambda m: score_naive(m, tok, text, answers)):
        got, want = f(md), f(model)
        assert np.allclose(np.asarray(got), np.asarray(want), rtol=1e-4, atol=1e-4)
    tl, tl_c = (top_lines(m, tok, text, 3, max_tokens=3) for m in (md, model))
    assert list(tl.line) == list(tl_c.line) and np.allclose(tl.logp, tl_c.logp, atol=1e-4)
    m, m_c = prompt_metrics(md, tok, pr), prompt_metrics(model, tok, pr)
    assert m["topk_hits"] == m_c["topk_hits"] and np.isclose(m["KL"], m_c["KL"], atol=1e-4)
    seqs = [tok(text).input_ids, tok(text[:20]).input_ids]
    b, b_c = _Batch(md, seqs), _Batch(model, seqs)
    for bb in (b, b_c): bb.step([[5, 6], []])
    assert_on(b.logits, dev)
    assert_close(b.logits, b_c.logits)
    tt = turn_taking(md, tok, D1, 3, n_turns=2, n_runs=2, max_tokens=2)
    tt_c = turn_taking(model, tok, D1, 3, n_turns=2, n_runs=2, max_tokens=2)
    assert np.allclose(np.stack(tt.P[tt.turn == 0]), np.stack(tt_c.P[tt_c.turn == 0]), atol=1e-4)
    assert list(tt.answer) == list(tt_c.answer)  # a CPU sampler over (nearly) the same P

@on_device
def test_lm_rl_pieces(dev, tiny_lm):
    from shardbook.lmrl import group_advantages, sample_answers, answer_logprobs, RLConfig, GRPORun
    from shardbook.shards_lm import target_logprobs
    tok, model = tiny_lm
    r, ep = torch.tensor([1., 0., .5, .5, 0., 1.]), torch.tensor([0, 0, 0, 1, 1, 1])
    for std in (False, True):
        got = group_advantages(r.to(dev), ep.to(dev), std)
        assert_on(got, dev)
        assert_close(got, group_advantages(r, ep, std))
    md = moved(model, dev)
    prompts, targets = ["cat -> CAT\ndog ->", "sun ->"], ["DOG", "SUN"]
    got = target_logprobs(md, tok, prompts, targets)
    assert_on(got, dev)
    assert_close(got, target_logprobs(model, tok, prompts, targets))
    b = sample_answers(md, tok, prompts, group_size=2, max_new_tokens=3)  # the device's sampler
    assert_on([b.input_ids, b.attention_mask, b.answer_mask, b.episode], dev)
    assert torch.isfinite(answer_logprobs(md, b)).all()
    cfg = RLConfig(model="tiny", tasks=("upper",), steps=1, episodes_per_step=2, group_size=2,
                   n_eval=2, n_shot=1, layers=(-1,), max_new_tokens=3, sae_latents=0, buffer_mb=0.5)
    run = GRPORun(moved(model, dev), tok, cfg)
    row = run.step()
    assert np.isfinite(row["loss"]) and len(run.episodes) == 2

@on_device
def test_planted_training_and_scores(dev):
    from shardbook.planted import (PlantedBandit, policy_net, train_reinforce, rollout, shard_clusters,
                                   unit_updates)
    from shardbook.scores import kmeans_baseline, pca_baseline, multilabel_f1
    def run(d, factored):
        pol = policy_net(5, 5, hidden=8).to(d)
        return train_reinforce(lambda: PlantedBandit(K=4, horizon=2), pol, iters=2, episodes=6,
                               seed=1, factored=factored)
    for factored in (False, True):
        got, want = run(dev, factored), run(torch.device("cpu"), factored)
        flat = (lambda r: r.updates.to_flat(r.layout)) if factored else (lambda r: r.updates)
        parts = lambda r: [flat(r), r.contexts, r.iters, r.step_updates]
        assert_on(parts(got), dev)
        assert_close(parts(got), parts(want))
        assert np.allclose(got.episodes.values.astype(float), want.episodes.values.astype(float),
                           atol=1e-5)
    envs = [PlantedBandit(K=3, horizon=3) for _ in range(4)]
    b = rollout(envs, policy_net(4, 4).to(dev), seed=0)
    assert_on(list(b.values()), dev)
    X = got.updates.to_flat(got.layout)
    y = torch.unique(got.contexts, return_inverse=True)[1]  # labels 0..k-1, each present
    assert_on(list(unit_updates(X, y)), dev)
    yn = y.cpu().numpy()
    for f in (kmeans_baseline, pca_baseline):
        s, s_c = f(X, yn, 2), f(X.cpu(), yn, 2)
        assert s.keys() == s_c.keys() and all(np.isclose(s[k], s_c[k], atol=1e-4) for k in s)
    C = torch.randn(12, 5, generator=torch.Generator().manual_seed(0))
    C[C.abs() < 0.7] = 0
    cl, freq = shard_clusters(C.to(dev))
    assert (cl == shard_clusters(C)[0]).all()
    assert_on(freq, dev)
    A = torch.rand(12, 3, generator=torch.Generator().manual_seed(1)) > 0.5
    assert_close(multilabel_f1((C != 0).to(dev), A.numpy()), multilabel_f1(C != 0, A))


def _sae_pair(kind, lay, seed=0):
    from shardbook.sae import DenseSAE, LowRankSAE
    if kind == "dense": return DenseSAE(lay.numel, 6, 2, layout=lay, batch_topk=True, seed=seed)
    return LowRankSAE(lay, 6, 2, rank=2, signed=False, dead_after=8, seed=seed)

@on_device
@pytest.mark.parametrize("kind", ["dense", "lowrank"])
def test_sae_train_eval_save_on_device(dev, kind, tmp_path):
    "An SAE with bias, AuxK and the trainer's conventions trains, encodes, evaluates, saves and resumes on `dev`."
    from shardbook.updates import FactoredUpdate, Layout
    from shardbook.sae import SAETrainer, codes, evaluate, save_sae, load_sae
    lay = Layout.from_named({"W1": (7, 5), "b1": (7,), "W2": (3, 7)})
    g = torch.Generator().manual_seed(0)
    fu = FactoredUpdate({n: (torch.randn(40, m, 3, generator=g), torch.randn(40, k, 3, generator=g))
                         for n, (m, k) in [("W1", (7, 5)), ("W2", (3, 7))]},
                        {"b1": torch.randn(40, 7, generator=g)})
    data = fu if kind == "lowrank" else fu.to_flat(lay)
    out = {}
    for where in ("cpu", dev):
        sae = _sae_pair(kind, lay).init_from_data(moved(data, where)).to(where)
        tr = SAETrainer(sae, lr=1e-2, warmup=2)
        tr.fit(moved(data, where), 6, batch_size=16)
        C = codes(sae, moved(data, where))
        assert_on([C] + list(sae.state_dict().values()), where)
        save_sae(sae, tmp_path / f"{kind}.safetensors", tr)
        sae2, tr2 = load_sae(tmp_path / f"{kind}.safetensors", with_trainer=True, device=where)
        tr2.fit(moved(data, where), 2, batch_size=16)
        assert_on(list(sae2.state_dict().values()), where)
        out[str(where)] = (C, evaluate(sae, moved(data, where)), sae.state_dict())
    (c0, e0, s0), (c1, e1, s1) = out["cpu"], out[str(dev)]
    assert_close(c1, c0, tol=1e-3)
    assert_close(s1, s0, tol=1e-3)
    assert e1["fvu"] == pytest.approx(e0["fvu"], rel=1e-3)
