"Issue 14 for `shardbook.texts`: files that are not UTF-8 text, zero limits, blank sources, a damaged cache, CLI."
import pytest
from shardbook import texts as T
from shardbook.texts import Document

class Tok:
    "Word-level stand-in tokenizer: one id per word."
    pad_token_id, eos_token_id = 0, 1
    def __call__(self, t): return {"input_ids": list(range(2, 2 + len(t.split())))}

DOCS = [Document(f"d{i}", "hello world " * 20) for i in range(5)]

def test_latin1_file_refused_by_name(tmp_path):
    (f := tmp_path/"latin1.txt").write_bytes("café déjà vu\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin1.txt is not UTF-8 text .*Convert it to UTF-8"):
        T.folder_corpus(f)

def test_bad_file_in_folder_named(tmp_path):
    (tmp_path/"a.txt").write_text("fine\n")
    (tmp_path/"b.txt").write_bytes("naïve\n".encode("cp1252"))
    with pytest.raises(ValueError, match=r"b.txt is not UTF-8"): T.load_corpus(str(tmp_path))

def test_binary_file_refused(tmp_path):
    (f := tmp_path/"x.txt").write_bytes(bytes(range(128)) * 4)  # ASCII range, but NUL bytes
    with pytest.raises(ValueError, match="contains NUL bytes: it is binary"): T.folder_corpus(f)

def test_utf16_without_bom_refused_with_bom_read(tmp_path):
    (f := tmp_path/"u.txt").write_bytes("hello world\n".encode("utf-16-le"))
    with pytest.raises(ValueError, match="UTF-16 without a byte-order mark"): T.folder_corpus(f)
    f.write_bytes("hello wörld\n".encode("utf-16"))
    assert T.folder_corpus(f) == [Document("u.txt", "hello wörld")]
    f.write_bytes("\ufeffhello\n".encode("utf-8"))
    assert T.folder_corpus(f) == [Document("u.txt", "hello")]  # a UTF-8 BOM is not text

def test_single_file_must_match_pattern(tmp_path):
    (f := tmp_path/"data.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match=r"data.csv does not match pattern '\*.txt'.*pattern='\*.csv'"):
        T.folder_corpus(f)
    assert len(T.folder_corpus(f, pattern="*.csv", split="line")) == 2

@pytest.mark.parametrize("v", [0, -1])
def test_max_docs_zero_or_negative(v, tmp_path):
    (tmp_path/"a.txt").write_text("one\n")
    with pytest.raises(ValueError, match=f"max_docs must be a positive int or None \\(no limit\\), got {v}"):
        T.load_corpus(str(tmp_path), max_docs=v)

def test_max_docs_not_int(tmp_path):
    (tmp_path/"a.txt").write_text("one\n")
    with pytest.raises(TypeError, match="max_docs must be a positive int or None"):
        T.load_corpus("lee", max_docs=1.5)
    assert len(T.load_corpus(str(tmp_path), max_docs=None)) == 1

@pytest.mark.parametrize("s", ["", "  "])
def test_blank_source(s, tmp_path, monkeypatch):
    (tmp_path/"a.txt").write_text("one\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="source is empty"): T.load_corpus(s)
    with pytest.raises(ValueError, match="path is empty"): T.folder_corpus(s)

@pytest.mark.parametrize("v", [0, -1])
def test_max_windows_zero_or_negative(v):
    with pytest.raises(ValueError, match=f"max_windows must be a positive int or None \\(no limit\\), got {v}"):
        T.token_windows(Tok(), DOCS, 8, max_windows=v)
    assert len(T.token_windows(Tok(), DOCS, 8, max_windows=3)) == 3

def test_window_lengths():
    with pytest.raises(ValueError, match="length must be an int >= 2, got 1"):
        T.token_windows(Tok(), DOCS, 1)
    with pytest.raises(ValueError, match="min_length must be a positive int, got 0"):
        T.token_windows(Tok(), DOCS, 8, min_length=0)

def test_damaged_cached_lee_file(tmp_path, monkeypatch):
    monkeypatch.setenv("SHARDBOOK_CACHE", str(tmp_path))
    (tmp_path/"texts").mkdir()
    (tmp_path/"texts"/"lee_background.cor").write_text("half a file\n")
    with pytest.raises(ValueError, match="lee_background.cor does not match its pinned sha256.*delete it"):
        T.lee_corpus()

def test_damaged_cached_austen(tmp_path, monkeypatch):
    monkeypatch.setenv("SHARDBOOK_CACHE", str(tmp_path))
    (d := tmp_path/"texts"/"janeaustenr").mkdir(parents=True)
    (d/"Rdata.rdb").write_bytes(b"\x00" * 10)
    (d/"Rdata.rdx").write_bytes(b"not gzip")
    with pytest.raises(ValueError, match="cached Austen corpus in .*janeaustenr .*delete that folder"):
        T.austen_corpus()

def test_killed_fetch_leftovers_cleared(tmp_path, monkeypatch):
    "A corpus fetch killed mid-way leaves temporaries beside the file; the next fetch removes them."
    monkeypatch.setenv("SHARDBOOK_CACHE", str(tmp_path))
    (texts := tmp_path/"texts").mkdir()
    (texts/".x.txt.tmp999").write_text("torn")
    (texts/".x.txt.tmpabc").mkdir()
    assert T._cached("x.txt", lambda out, work: out.write_text("made")).read_text() == "made"
    assert sorted(p.name for p in texts.iterdir()) == [".x.txt.lock", "x.txt"]

def test_failed_make_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("SHARDBOOK_CACHE", str(tmp_path))
    def broken(out, work):
        out.write_text("half")
        raise T.FetchError("index unreachable")
    with pytest.raises(T.FetchError, match="index unreachable"): T._cached("x.txt", broken)
    assert sorted(p.name for p in (tmp_path/"texts").iterdir()) == [".x.txt.lock"]

def test_cli_refuses_empty_and_unknown(capsys):
    with pytest.raises(SystemExit) as e: T.cli([])
    assert e.value.code == 2 and "nothing to do" in capsys.readouterr().err
    with pytest.raises(SystemExit): T.cli(["llama-7b", "smollm2-135m"])
    assert "unknown model(s) llama-7b; known: smollm2-135m" in capsys.readouterr().err
    with pytest.raises(SystemExit): T.cli(["--corpus"])
    with pytest.raises(SystemExit): T.cli(["--list", "--force"])
    assert "--force needs model names" in capsys.readouterr().err

def test_cli_force_passes_through(monkeypatch, tmp_path, capsys):
    calls = []
    monkeypatch.setattr(T, "fetch", lambda n, force=False: calls.append((n, force)) or tmp_path)
    T.cli(["smollm2-135m", "--force"])
    assert calls == [("smollm2-135m", True)]
