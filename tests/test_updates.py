"Failure paths and invariants of `shardbook.updates` that the notebook does not show."
import warnings
import pytest, torch
from torch import nn
from shardbook.updates import (select_params, Layout, FactoredUpdate, StepCapture, UpdateBuffer, DiskStore,
                               LinearFactorCapture, per_sample_grads, sparsity_stats, neuron_norms, check_finite,
                               truncate)

torch.set_num_threads(1)

def _net(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))

def test_select_params_lists_names_when_nothing_matches():
    with pytest.raises(ValueError, match=r"available names: \['0.weight'"):
        select_params(_net(), ["encoder.*"])
    with pytest.raises(ValueError, match="empty"):
        select_params(_net(), [])

def test_select_params_skips_frozen():
    n = _net(); n[0].weight.requires_grad_(False)
    assert "0.weight" not in select_params(n)

def test_layout_errors():
    lay = Layout.from_named(select_params(_net()))
    with pytest.raises(ValueError, match="layout has"): lay.split(torch.zeros(3))
    with pytest.raises(KeyError, match="missing"): lay.flatten({"0.weight": torch.zeros(5, 3)})
    with pytest.raises(IndexError): lay.locate(lay.numel)

def test_neuron_norms_shares_sum_to_one():
    lay = Layout.from_named(select_params(_net()))
    df = neuron_norms(lay, torch.randn(lay.numel))
    assert abs(df.share.sum() - 1) < 1e-5 and len(df) == 5 + 5 + 2 + 2

def test_factored_update_validates_shapes():
    with pytest.raises(ValueError, match="same batch size"):
        FactoredUpdate({"W": (torch.zeros(2, 3, 1), torch.zeros(2, 4, 1))}, {"b": torch.zeros(3, 3)})
    with pytest.raises(ValueError, match=r"U \(B, m, s\)"):
        FactoredUpdate({"W": (torch.zeros(2, 3, 1), torch.zeros(2, 4, 2))})

def test_factored_scale_and_gram_cross():
    g = torch.Generator().manual_seed(0)
    a = FactoredUpdate({"W": (torch.randn(3, 4, 2, generator=g), torch.randn(3, 5, 2, generator=g))}, {"b": torch.randn(3, 4, generator=g)})
    lay = a.layout(); X = a.to_flat(lay)
    c = torch.tensor([1., -2., 0.5])
    assert torch.allclose(a.scale(c).to_flat(lay), X * c[:, None], atol=1e-5)
    assert torch.allclose(a[[0, 2]].gram(a), X[[0, 2]] @ X.T, atol=1e-4)

def test_linear_factor_capture_needs_backward_and_matching_modules():
    n = _net()
    with pytest.raises(ValueError, match="linear modules"): LinearFactorCapture(n, "nope*")
    cap = LinearFactorCapture(n)
    with cap: n(torch.randn(2, 4, 3))
    with pytest.raises(RuntimeError, match="no gradient"): cap.updates()

def test_linear_factor_capture_matches_per_sample_grads_with_padding():
    n = _net(); obs = torch.randn(3, 4, 3); w = torch.randn(3, 4); w[1, 2:] = 0  # padded steps carry zero weight
    obj = lambda fwd, o, wt: (wt * fwd(o)[:, 0]).sum()
    ref = per_sample_grads(n, obj, (obs, w))
    with LinearFactorCapture(n) as cap: (w * n(obs)[..., 0]).sum().backward()
    fu = cap.updates(); lay = Layout.from_named(select_params(n))
    assert torch.allclose(fu.to_flat(lay), lay.flatten(ref, batch_shape=(3,)), atol=1e-5)

def test_step_capture_with_sgd_matches_lr_times_grad():
    n = _net(); opt = torch.optim.SGD(n.parameters(), lr=0.1)
    got = []
    cap = StepCapture(n, opt, "2.*", callback=lambda d, s: got.append((s, d)))
    opt.zero_grad(); n(torch.randn(4, 3)).sum().backward()
    g = torch.cat([n[2].weight.grad.flatten(), n[2].bias.grad])
    opt.step(); cap.remove(); opt.step()  # removed: no second capture
    assert len(got) == 1 and got[0][0] == 0
    assert torch.allclose(got[0][1], -0.1 * g, atol=1e-6)

def test_check_finite_names_step_for_factored():
    fu = FactoredUpdate({"W": (torch.full((1, 2, 1), float("nan")), torch.ones(1, 2, 1))})
    with pytest.raises(ValueError, match="at step 17"): check_finite(fu, 17)

def test_buffer_budget_never_exceeded_with_mixed_sizes():
    buf = UpdateBuffer(budget_bytes=1000)
    sizes = [10, 100, 50, 200, 5, 249, 1, 120]
    for i, s in enumerate(sizes):
        buf.add(torch.ones(s), step=i)
        assert buf.nbytes <= 1000 and buf.nbytes == sum(u.numel() * 4 for u, _, _ in buf.items)
    with pytest.raises(ValueError, match="budget"): buf.add(torch.ones(251), step=99)
    with pytest.raises(ValueError, match="positive"): UpdateBuffer(0)
    with pytest.raises(ValueError, match="empty"): UpdateBuffer(10).all()

def test_buffer_dtype_halves_bytes_and_sample_is_seeded():
    buf = UpdateBuffer(budget_bytes=10_000, dtype=torch.bfloat16)
    for i in range(5): buf.add(torch.full((10,), float(i)), step=i, label=i)
    assert buf.nbytes == 5 * 10 * 2
    a = buf.sample(6, torch.Generator().manual_seed(0)); b = buf.sample(6, torch.Generator().manual_seed(0))
    assert torch.equal(a[1], b[1]) and torch.equal(a[0], b[0])

def test_disk_store_reopens_and_errors_when_empty(tmp_path):
    with pytest.raises(ValueError, match="nothing stored"): DiskStore(tmp_path / "e", cap_bytes=100).load()
    st = DiskStore(tmp_path / "s", cap_bytes=10_000, chunk=3)
    for i in range(4): st.add(torch.full((5,), float(i)), step=i, label=i % 2)
    U, s, l = st.load()
    assert s.tolist() == [0, 1, 2, 3] and l.tolist() == [0, 1, 0, 1] and U.shape == (4, 5)

def test_sparsity_stats_counts():
    d = torch.tensor([[0., 1e-3, 1.], [0., -1e-3, 0.]])
    df = sparsity_stats(d, tols=(0., 1e-2))
    got = df.set_index(["kind", "tol", "step"]).frac_changed
    assert got[("step", 0., 0)] == pytest.approx(2 / 3) and got[("cumulative", 0., 1)] == pytest.approx(1 / 3)
    assert got[("step", 1e-2, 0)] == pytest.approx(1 / 3)

def test_reservoir_budget_and_uniformity_with_mixed_sizes():
    buf = UpdateBuffer(budget_bytes=400, policy="reservoir", seed=1)
    for i in range(500):
        buf.add(torch.ones(5 + i % 7), step=i)
        assert buf.nbytes <= 400 and buf.nbytes == sum(u.numel() * 4 for u, _, _ in buf.items)
    steps = torch.tensor([s for _, s, _ in buf.items]).float()
    assert 150 < steps.mean() < 350  # a sample of the whole stream, not only its tail
    with pytest.raises(ValueError, match="policy"): UpdateBuffer(10, policy="lifo")

def test_add_batch_checks_once_and_keeps_labels():
    buf = UpdateBuffer(budget_bytes=10_000)
    X = torch.randn(4, 6); X[2, 1] = float("nan")
    with pytest.raises(ValueError, match="at step 3"): buf.add_batch(X, step=3)
    assert len(buf) == 0
    buf.add_batch(torch.randn(4, 6), step=4, labels=torch.tensor([0, 1, 2, 3]))
    assert buf.all()[2].tolist() == [0, 1, 2, 3]
    fu = FactoredUpdate({"W": (torch.randn(3, 4, 2), torch.randn(3, 5, 2))})
    buf2 = UpdateBuffer(budget_bytes=10_000); buf2.add_batch(fu, step=0)
    assert torch.allclose(buf2.all()[0].gram(), fu.gram(), atol=1e-5)


def _lowrank(m, n, s, seed=0, B=None):
    g = torch.Generator().manual_seed(seed)
    lead = () if B is None else (B,)
    return torch.randn(*lead, m, s, generator=g), torch.randn(*lead, n, s, generator=g)

def test_truncate_serves_all_three_call_patterns():
    "Factored in float64 with a numerical cut and energy (step updates), dense (a step's Δ), balanced (SAE init)."
    U, V = _lowrank(9, 7, 5)
    W = U @ V.T
    A, B, kept = truncate((U, V), 2, rtol=1e-7, dtype=torch.float64, energy=True)
    assert A.dtype == B.dtype == torch.float32 and A.shape == (9, 2) and B.shape == (7, 2)
    S = torch.linalg.svdvals(W.double())
    assert kept == pytest.approx(float((S[:2] ** 2).sum() / (S ** 2).sum()), rel=1e-6)
    Ad, Bd = truncate(W, 2)
    torch.testing.assert_close(Ad @ Bd.T, A @ B.T, atol=1e-4, rtol=1e-4)
    Ae, Be = truncate(W)                                   # rank=None: exact
    torch.testing.assert_close(Ae @ Be.T, W, atol=1e-4, rtol=1e-4)
    Ub, Vb = _lowrank(6, 5, 1, B=3)
    Ab, Bb = truncate((Ub, Vb), 3, balanced=True, pad=1e-6)  # 1 direction, padded to 3 columns of tiny noise
    assert Ab.shape == (3, 6, 3) and float(Ab[..., 1:].abs().max()) < 1e-4
    torch.testing.assert_close(Ab[..., :1].norm(dim=1), Bb[..., :1].norm(dim=1))
    assert (Ab[..., 0].gather(1, Ab[..., 0].abs().argmax(1, keepdim=True)) > 0).all()  # canonical sign
    torch.testing.assert_close(Ab @ Bb.mT, Ub @ Vb.mT, atol=1e-4, rtol=1e-4)

def test_truncate_numerical_rank_and_zeros():
    U = torch.randn(8, 2, generator=torch.Generator().manual_seed(1)) @ torch.randn(2, 6)
    V = torch.randn(7, 6)
    A, B, kept = truncate((U, V), rtol=1e-7, dtype=torch.float64, energy=True)
    assert A.shape == (8, 2) and kept == pytest.approx(1.0)  # two directions, whatever the 6 columns
    Z = truncate((torch.zeros(5, 3), torch.zeros(4, 3)), rtol=1e-7, energy=True)
    assert Z[0].shape == (5, 0) and Z[2] == 1.0
    E = truncate((torch.zeros(5, 0), torch.zeros(4, 0)), 2, energy=True)  # an empty product passes through
    assert E[0].shape == (5, 0) and E[2] == 1.0

def test_factored_update_truncate():
    U, V = _lowrank(6, 5, 4, B=3)
    fu = FactoredUpdate({"W": (U, V)}, {"b": torch.ones(3, 6)})
    ft = fu.truncate(2)
    assert ft.factors["W"][0].shape == (3, 6, 2) and torch.equal(ft.dense["b"], fu.dense["b"])
    A, B = truncate((U, V), 2)
    assert torch.equal(ft.factors["W"][0], A) and torch.equal(ft.factors["W"][1], B)
