"Bad inputs and storage faults in `shardbook.updates` (issue 14): early, named errors; nothing lost."
import gc
import warnings
import pytest
import torch
from torch import nn
import shardbook.updates as U
from shardbook.updates import (DiskStore, FactoredUpdate, Layout, StepCapture, UpdateBuffer,
                               per_sample_grads, sparsity_stats, truncate)

torch.set_num_threads(1)


def _net(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))


def _fill(store, n, start=0, width=4):
    for i in range(start, start + n):
        store.add(torch.full((width,), float(i)), step=i)


def test_store_flushes_when_dropped_without_close(tmp_path):
    s = DiskStore(tmp_path / "s", cap_bytes=10**6)
    _fill(s, 10)
    del s
    gc.collect()
    ups, steps, _ = DiskStore(tmp_path / "s", cap_bytes=10**6).load()
    assert steps.tolist() == list(range(10)) and ups.shape == (10, 4)


def test_store_context_manager_and_close(tmp_path):
    with DiskStore(tmp_path / "s", cap_bytes=10**6) as s:
        _fill(s, 3)
    assert len(DiskStore(tmp_path / "s", cap_bytes=10**6).load()[0]) == 3
    s2 = DiskStore(tmp_path / "t", cap_bytes=10**6)
    _fill(s2, 2)
    s2.close()
    assert len(DiskStore(tmp_path / "t", cap_bytes=10**6).load()[0]) == 2


def test_store_cap_counts_bytes_on_disk_after_reopen(tmp_path):
    with DiskStore(tmp_path / "s", cap_bytes=160, chunk=2) as s:
        _fill(s, 6)
    s = DiskStore(tmp_path / "s", cap_bytes=160, chunk=2)
    assert s.nbytes == 6 * 16
    with pytest.warns(UserWarning, match="cap of 160 bytes"):
        _fill(s, 10, start=6)
    s.close()
    ups = DiskStore(tmp_path / "s", cap_bytes=160).load()[0]
    assert ups.shape[0] * 16 <= 160


def test_store_crash_mid_write_leaves_no_half_chunk(tmp_path, monkeypatch):
    s = DiskStore(tmp_path / "s", cap_bytes=10**6, chunk=2)
    _fill(s, 2)

    def dies(tensors, filename, metadata=None):
        with open(filename, "wb") as f:
            f.write(b"\x10\x00\x00\x00partial")
        raise OSError("disk died mid-write")

    monkeypatch.setattr(U, "save_file", dies)
    with pytest.raises(OSError, match="mid-write"):
        _fill(s, 2, start=2)
    assert len(s.pending) == 2                     # the failed chunk's updates stay queued
    reopened = DiskStore(tmp_path / "s", cap_bytes=10**6)
    assert reopened.load()[1].tolist() == [0, 1]   # only the complete chunk is read
    assert not list((tmp_path / "s").glob(".chunk_*"))
    monkeypatch.undo()
    s.flush()                                      # a retry writes them
    assert DiskStore(tmp_path / "s", cap_bytes=10**6).load()[1].tolist() == [0, 1, 2, 3]


def test_store_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="cap_bytes must be a positive int, got 0"):
        DiskStore(tmp_path / "a", cap_bytes=0)
    with pytest.raises(ValueError, match="chunk must be a positive int"):
        DiskStore(tmp_path / "a", cap_bytes=10, chunk=0)
    s = DiskStore(tmp_path / "b", cap_bytes=10**6)
    s.add(torch.ones(3), 0)
    with pytest.raises(ValueError, match="has 4 entries but this store holds updates of 3"):
        s.add(torch.ones(4), 1)
    with pytest.raises(ValueError, match="NaN/inf.*step 2"):
        s.add(torch.tensor([1., float("nan"), 0.]), 2)
    with pytest.raises(TypeError, match="flat Tensor updates"):
        s.add(FactoredUpdate({}, {"b": torch.ones(1, 3)}), 3)


def test_store_refuses_a_corrupt_chunk(tmp_path):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "chunk_000000.safetensors").write_bytes(b"junk")
    with pytest.raises(ValueError, match="not a readable DiskStore chunk"):
        DiskStore(tmp_path / "s", cap_bytes=100)


def test_buffer_bad_arguments():
    with pytest.raises(ValueError, match="budget_bytes must be a positive int, got 0"):
        UpdateBuffer(0)
    with pytest.raises(TypeError, match="budget_bytes must be a positive int"):
        UpdateBuffer("big")
    b = UpdateBuffer(1000)
    b.add(torch.ones(3), 0)
    with pytest.raises(ValueError, match="n must be a positive int, got 0"):
        b.sample(0)
    with pytest.raises(ValueError, match="labels has 1 entries for a batch of 3"):
        b.add_batch(torch.ones(3, 2), 0, labels=[1])


def test_step_capture_refuses_another_models_optimizer():
    m, other = _net(0), _net(1)
    with pytest.raises(ValueError, match="optimizer does not update 4 selected"):
        StepCapture(m, torch.optim.SGD(other.parameters(), lr=0.1))
    with pytest.raises(ValueError, match=r"\['0.weight', '0.bias'\]"):
        StepCapture(m, torch.optim.SGD(m[2].parameters(), lr=0.1), patterns="0.*")
    StepCapture(m, torch.optim.SGD(m[2].parameters(), lr=0.1), patterns="2.*").remove()


def test_other_bad_inputs():
    with pytest.raises(ValueError, match="deltas is empty"):
        sparsity_stats([])
    with pytest.raises(ValueError, match="got no tensors"):
        FactoredUpdate({}, {})
    with pytest.raises(ValueError, match=r"'W' has shape \(3, -2\)"):
        Layout.from_named({"W": (3, -2)})
    with pytest.raises(ValueError, match="chunk must be a positive int, got 0"):
        per_sample_grads(_net(), lambda f, x: f(x).sum(), (torch.ones(4, 3),), chunk=0)


def test_no_warning_on_valid_store_use(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with DiskStore(tmp_path / "s", cap_bytes=10**6, chunk=3) as s:
            _fill(s, 7)
        assert DiskStore(tmp_path / "s", cap_bytes=10**6).n_chunks == 3

def test_store_removes_stale_temporaries_on_open(tmp_path):
    "Temporaries a crashed writer left (this layout's and the older `.chunk_N.tmp`) are removed on open."
    with DiskStore(tmp_path / "s", cap_bytes=10**6) as s: _fill(s, 2)
    for name in (".chunk_000001.safetensors.tmp4242", ".chunk_000001.tmp"):
        (tmp_path / "s" / name).write_bytes(b"half")
    st = DiskStore(tmp_path / "s", cap_bytes=10**6)
    assert not list((tmp_path / "s").glob(".chunk_*"))
    assert st.load()[1].tolist() == [0, 1]


def test_truncate_refuses_a_bad_rank():
    with pytest.raises(ValueError, match="rank must be a positive int, got 0"):
        truncate(torch.randn(5, 4), 0)
    with pytest.raises(TypeError, match="rank must be a positive int"):
        truncate((torch.randn(5, 2), torch.randn(4, 2)), 1.5)
