"Bad inputs to `shardbook.sae` (issue 14): NaN/empty data, NaN training, bad files and sizes."
import pytest
import torch
from safetensors.torch import save_file
from shardbook.updates import FactoredUpdate, Layout
from shardbook.sae import (DenseSAE, LowRankSAE, SAETrainer, codes, evaluate, load_sae, save_sae,
                           synthetic_updates)

torch.set_num_threads(1)
LAY = Layout.from_named({"W1": (6, 5), "b1": (6,), "W2": (3, 6)})


def _fu(B=4, s=3, m=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return FactoredUpdate({"W1": (torch.randn(B, m, s, generator=g), torch.randn(B, 5, s, generator=g)),
                           "W2": (torch.randn(B, 3, s, generator=g), torch.randn(B, 6, s, generator=g))},
                          {"b1": torch.randn(B, 6, generator=g)})


def _nan_rows(X, i=3):
    X = X.clone()
    X[i, 0] = float("nan")
    return X


def test_training_refuses_non_finite_input_and_keeps_weights():
    sae = DenseSAE(10, 8, 2)
    tr = SAETrainer(sae)
    tr.train_step(torch.randn(32, 10))
    before = sae.W_enc.detach().clone()
    with pytest.raises(ValueError, match=r"batch has 1 NaN/inf entries.*row 3.*SAE step 1"):
        tr.train_step(_nan_rows(torch.randn(32, 10)))
    assert torch.equal(sae.W_enc, before) and tr.step == 1
    x = _fu(16)
    x.dense["b1"][2, 0] = float("inf")
    with pytest.raises(ValueError, match=r"data has 1 NaN/inf.*row 2"):
        SAETrainer(LowRankSAE(LAY, 8, 2)).fit(x, 2, 8)


def test_scale_refuses_empty_and_zero_batches():
    sae = DenseSAE(10, 8, 2)
    with pytest.raises(ValueError, match=r"x is empty \(0 updates\)"):
        sae.set_scale(torch.zeros(0, 10))
    with pytest.raises(ValueError, match="only zero updates"):
        sae.set_scale(torch.zeros(4, 10))
    with pytest.raises(ValueError, match="x has 1 NaN/inf"):
        sae.set_scale(_nan_rows(torch.randn(4, 10), 0))
    assert float(sae.x_scale) == 0


def test_nan_training_stops_at_the_step_and_restores_state():
    sae = DenseSAE(10, 8, 2)
    tr = SAETrainer(sae, lr=1e30)
    X = torch.randn(64, 10)
    tr.train_step(X)
    good = {k: v.clone() for k, v in sae.state_dict().items()}
    with pytest.raises(ValueError, match=r"SAE training step 1: .*NaN/inf.*left as before this step"):
        for _ in range(5):
            tr.train_step(X)
    assert tr.step == 1 and len(tr.log) == 1
    for k, v in sae.state_dict().items():
        assert torch.equal(v, good[k]), k


def test_nan_loss_is_refused_before_the_update(monkeypatch):
    sae = DenseSAE(10, 8, 2)
    tr = SAETrainer(sae)
    tr.train_step(torch.randn(16, 10))
    W = sae.W_dec.detach().clone()
    real = sae.loss
    monkeypatch.setattr(sae, "loss", lambda x: {**real(x), "loss": torch.tensor(float("nan"))})
    with pytest.raises(ValueError, match="SAE training step 1: the loss is NaN/inf"):
        tr.train_step(torch.randn(16, 10))
    assert torch.equal(sae.W_dec, W)


def test_load_sae_refuses_non_finite_files(tmp_path):
    sae = DenseSAE(10, 8, 2)
    sae.set_scale(torch.randn(4, 10))
    with torch.no_grad():
        sae.W_enc[0, 0] = float("nan")
    save_sae(sae, tmp_path / "w.safetensors")
    with pytest.raises(ValueError, match=r"w.safetensors holds NaN/inf values in \['sae.W_enc'\]"):
        load_sae(tmp_path / "w.safetensors")
    ok = DenseSAE(10, 8, 2)
    save_sae(ok, tmp_path / "s.safetensors")
    from safetensors import safe_open
    with safe_open(str(tmp_path / "s.safetensors"), "pt") as f:
        meta, ts = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}
    ts["sae.x_scale"] = torch.tensor(float("nan"))
    save_file(ts, str(tmp_path / "s.safetensors"), metadata=meta)
    with pytest.raises(ValueError, match=r"s.safetensors holds NaN/inf values in \['sae.x_scale'\]"):
        load_sae(tmp_path / "s.safetensors")


def test_bad_sizes():
    with pytest.raises(ValueError, match="rank must be a positive int, got 0"):
        LowRankSAE(LAY, 8, 2, rank=0)
    with pytest.raises(ValueError, match="n_latents must be a positive int, got 0"):
        DenseSAE(10, 0, 1)
    with pytest.raises(ValueError, match="k must be a positive int, got 0"):
        DenseSAE(10, 4, 0)
    with pytest.raises(ValueError, match="k must be in 1..n_latents=4, got 5"):
        DenseSAE(10, 4, 5)
    with pytest.raises(TypeError, match=r"k must be a positive int, got 2.5 \(float\)"):
        DenseSAE(10, 4, 2.5)
    with pytest.raises(ValueError, match="d must be a positive int, got 0"):
        DenseSAE(0, 4, 2)
    with pytest.raises(ValueError, match="aux_coef must be a finite number >= 0"):
        DenseSAE(10, 4, 2, aux_coef=-1.)
    with pytest.raises(ValueError, match="dead_after must be a positive int"):
        DenseSAE(10, 4, 2, dead_after=0)
    with pytest.raises(ValueError, match="aux_k must be an int >= 0"):
        DenseSAE(10, 4, 2, aux_k=-1)
    with pytest.raises(ValueError, match="layout has 25 entries but d=10"):
        DenseSAE(10, 4, 2, layout=Layout.from_named({"W": (5, 5)}))
    with pytest.raises(ValueError, match="layout has no tensors"):
        LowRankSAE(Layout([]), 4, 2)
    with pytest.raises(TypeError, match="layout must be a Layout"):
        LowRankSAE({"W": (2, 2)}, 4, 2)
    with pytest.raises(ValueError, match="lr must be a positive finite number, got 0"):
        SAETrainer(DenseSAE(10, 4, 2), lr=0)
    tr = SAETrainer(DenseSAE(10, 4, 2))
    with pytest.raises(ValueError, match="steps must be an int >= 0, got -1"):
        tr.fit(torch.randn(8, 10), -1)
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        tr.fit(torch.randn(8, 10), 2, batch_size=0)
    with pytest.raises(ValueError, match="data is empty"):
        tr.fit(torch.zeros(0, 10), 2)
    with pytest.raises(ValueError, match="active must be at most n_dirs=3, got 5"):
        synthetic_updates(LAY, n=8, n_dirs=3, active=5)


def test_layout_mismatch_is_named():
    sae = LowRankSAE(LAY, 8, 2)
    sae.set_scale(_fu())
    with pytest.raises(ValueError, match=r"'W1' has shape \(7, 5\) but the SAE's layout has \(6, 5\)"):
        sae(_fu(m=7))
    x = _fu()
    x.dense["b1"] = torch.randn(4, 5)
    with pytest.raises(ValueError, match=r"'b1' has shape \(5,\) but the SAE's layout has \(6,\)"):
        sae(x)


def test_evaluation_refuses_empty_or_non_finite_data():
    sae = DenseSAE(10, 4, 2)
    sae.set_scale(torch.randn(4, 10))
    with pytest.raises(ValueError, match="data is empty"):
        evaluate(sae, torch.zeros(0, 10))
    with pytest.raises(ValueError, match="data has 1 NaN/inf.*before evaluating"):
        evaluate(sae, _nan_rows(torch.randn(8, 10), 0))
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        codes(sae, torch.randn(4, 10), batch_size=0)
    with pytest.raises(ValueError, match="data is empty"):
        codes(sae, torch.zeros(0, 10))
    with pytest.raises(ValueError, match=r"x has 80 NaN/inf entries in 8 update\(s\)"):
        DenseSAE(10, 4, 2).init_from_data(torch.full((8, 10), float("nan")))


def test_save_sae_is_atomic(tmp_path, monkeypatch):
    "A save that dies mid-write leaves the previous file intact and no temporary beside it."
    import shardbook.sae as S
    path = tmp_path / "s.safetensors"
    sae = DenseSAE(8, 4, 2)
    save_sae(sae, path)
    before = path.read_bytes()

    def dies(tensors, filename, metadata=None):
        with open(filename, "wb") as f: f.write(b"partial")
        raise OSError("disk died mid-write")

    monkeypatch.setattr(S, "save_file", dies)
    with pytest.raises(OSError, match="mid-write"): save_sae(DenseSAE(8, 4, 2, seed=1), path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["s.safetensors"]
    monkeypatch.undo()
    assert torch.equal(load_sae(path).W_dec, sae.W_dec)


def test_dense_accessors_need_a_layout():
    with pytest.raises(ValueError, match="decoder_energy needs the SAE's layout"):
        DenseSAE(8, 4, 2).decoder_energy()
    with pytest.raises(ValueError, match="decoder_dense needs the SAE's layout"):
        DenseSAE(8, 4, 2).decoder_dense(0)
