"Failure paths and invariants of `shardbook.sae` that the notebook does not show."
import pytest, torch
from shardbook.updates import FactoredUpdate, Layout
from shardbook.sae import DenseSAE, LowRankSAE, SAETrainer, evaluate, codes, save_sae, load_sae, synthetic_updates

torch.set_num_threads(1)
LAY = Layout.from_named({"W1": (6, 5), "b1": (6,), "W2": (3, 6)})

def _fu(B=4, s=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    return FactoredUpdate({"W1": (torch.randn(B, 6, s, generator=g), torch.randn(B, 5, s, generator=g)),
                           "W2": (torch.randn(B, 3, s, generator=g), torch.randn(B, 6, s, generator=g))},
                          {"b1": torch.randn(B, 6, generator=g)})

def test_bad_k_and_shapes():
    with pytest.raises(ValueError, match="k must be"): DenseSAE(10, 4, 5)
    with pytest.raises(ValueError, match=r"expected flat updates \(B, 10\)"): DenseSAE(10, 4, 2).decoder_inner(torch.zeros(3, 9))
    with pytest.raises(TypeError, match="no layout"): DenseSAE(10, 4, 2).decoder_inner(_fu())
    sae = LowRankSAE(LAY, 8, 2)
    with pytest.raises(ValueError, match="lacks tensors"): sae.decoder_inner(FactoredUpdate({}, {"b1": torch.zeros(2, 6)}))
    with pytest.raises(TypeError, match="FactoredUpdate or flat"): sae.decoder_inner([1, 2])

def test_scale_must_be_set():
    with pytest.raises(RuntimeError, match="input scale not set"): LowRankSAE(LAY, 8, 2).preacts(_fu())

def test_topk_l0_and_signed_coefficients():
    sae = LowRankSAE(LAY, 8, 3); sae.set_scale(_fu())
    idx, coef = sae(_fu())
    assert idx.shape == (4, 3) and (coef < 0).any()
    u = LowRankSAE(LAY, 8, 3, signed=False); u.set_scale(_fu())
    assert (u(_fu())[1] >= 0).all()

def test_batch_topk_uses_k_times_batch_in_training_and_threshold_at_eval():
    sae = DenseSAE(20, 16, 2, batch_topk=True)
    X = torch.randn(32, 20); sae.set_scale(X); sae.train()
    idx, coef = sae(X)
    assert int((coef != 0).sum()) == 2 * 32
    assert sae.threshold > 0
    sae.eval(); idx, coef = sae(X)
    assert (coef != 0).sum(1).float().mean() > 0

def test_factored_and_dense_inputs_train_identically():
    fu = _fu(B=16, seed=1); flat = fu.to_flat(LAY)
    a, b = LowRankSAE(LAY, 8, 2, rank=2), LowRankSAE(LAY, 8, 2, rank=2)
    SAETrainer(a).fit(fu, 5, batch_size=8); SAETrainer(b).fit(flat, 5, batch_size=8)
    for (k, v), (_, w) in zip(a.state_dict().items(), b.state_dict().items()): assert torch.allclose(v, w, atol=1e-4), k

def test_evaluate_matches_dense_computation():
    fu = _fu(B=10, seed=2); flat = fu.to_flat(LAY)
    sae = LowRankSAE(LAY, 8, 2); sae.set_scale(fu)
    ev = evaluate(sae, fu, batch_size=3)
    idx, coef = sae(fu)
    dec = sae.decoder_flat(idx.flatten()).view(10, 2, -1)
    rec = (torch.einsum("bk,bkd->bd", coef, dec) + sae.bias_flat()) / sae.x_scale
    fvu = float(((flat - rec).pow(2).sum() / (flat - flat.mean(0)).pow(2).sum()).detach())
    assert ev["fvu"] == pytest.approx(fvu, rel=1e-3)
    assert ev["l0"] == 2 and 0 <= ev["dead_frac"] <= 1
    assert codes(sae, fu, batch_size=4).shape == (10, 8)

def test_decoder_unit_norm_after_training():
    X, _, _ = synthetic_updates(LAY, n=64, n_dirs=4)
    sae = LowRankSAE(LAY, 6, 1, rank=1); SAETrainer(sae, lr=1e-2).fit(X, 10, 16)
    assert torch.allclose(sae.decoder_sq_norms(), torch.ones(6), atol=1e-4)
    assert torch.allclose(sae.decoder_flat().norm(dim=1), torch.ones(6), atol=1e-4)
    d = DenseSAE(LAY.numel, 6, 1); SAETrainer(d, lr=1e-2).fit(X, 10, 16)
    assert torch.allclose(d.W_dec.norm(dim=1), torch.ones(6), atol=1e-5)

def test_auxk_revives_latents_marked_dead():
    X, _, _ = synthetic_updates(LAY, n=256, n_dirs=6)
    sae = DenseSAE(LAY.numel, 12, 1, dead_after=1, aux_k=4)
    tr = SAETrainer(sae, lr=1e-2); tr.fit(X, 3, 32)
    assert any(r["aux"] > 0 for r in tr.log)

def test_checkpoint_roundtrip_dense_and_errors(tmp_path):
    X = torch.randn(32, 10)
    sae = DenseSAE(10, 6, 2, bias=True); SAETrainer(sae).fit(X, 3, 8)
    save_sae(sae, tmp_path / "d.safetensors")
    back = load_sae(tmp_path / "d.safetensors")
    assert torch.allclose(back.preacts(X), sae.preacts(X))
    with pytest.raises(ValueError, match="no trainer state"): load_sae(tmp_path / "d.safetensors", with_trainer=True)

def test_decoder_accessors_agree_with_the_flat_decoders():
    "decoder_factors / decoder_dense / decoder_energy / decoder_line_energy read what decoder_flat materializes."
    lr = LowRankSAE(LAY, 8, 2, rank=2, seed=3).init_from_data(_fu(B=8), seed=0)
    dn = DenseSAE(LAY.numel, 8, 2, layout=LAY, seed=3)
    for sae in (lr, dn):
        flat = sae.decoder_flat()
        parts = LAY.split(flat)
        E = sae.decoder_energy()
        assert E.shape == (8, len(LAY))
        want = torch.stack([parts[n].flatten(1).pow(2).sum(1) for n in LAY.names], 1)
        assert E.dtype == torch.float64
        torch.testing.assert_close(E, (want / want.sum(1, keepdim=True)).double(), atol=1e-5, rtol=1e-5)
        for i in (0, 5):
            d = sae.decoder_dense(i)
            assert list(d) == (lr.mats + lr.vecs if sae is lr else LAY.names)
            for n, t in d.items():
                assert t.shape == LAY.by_name[n].shape
                torch.testing.assert_close(t, parts[n][i], atol=1e-6, rtol=1e-5)
    A, B = lr.decoder_factors(5)["W1"]
    assert A.shape == (6, 2) and B.shape == (5, 2) and not A.requires_grad
    W1 = lr.decoder_dense(5)["W1"]
    torch.testing.assert_close(lr.decoder_line_energy(5)["W1"], W1.pow(2).sum(1), atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(lr.decoder_line_energy(5, axis=1)["W1"], W1.pow(2).sum(0), atol=1e-6, rtol=1e-5)

def test_dense_bias_flat_reconstructs():
    "DenseSAE.bias_flat is the twin of LowRankSAE's: codes @ decoders + bias, over the scale, is the reconstruction."
    X = _fu(B=16).to_flat(LAY)
    for sae in (DenseSAE(LAY.numel, 8, 2, layout=LAY), LowRankSAE(LAY, 8, 2)):
        sae.set_scale(X)
        rec = (codes(sae, X) @ sae.decoder_flat() + sae.bias_flat()) / sae.x_scale
        torch.testing.assert_close(sae.sse(X), (X - rec).pow(2).sum(1), atol=1e-4, rtol=1e-4)
    assert torch.equal(DenseSAE(LAY.numel, 8, 2, bias=False).bias_flat(), torch.zeros(LAY.numel))
