"Corpus sources and token windows of `shardbook.texts`."
import pytest
from shardbook import texts as T
from shardbook.models import load_lm

@pytest.fixture(scope="module")
def tok(): return load_lm("smollm2-135m")[1]

def test_lee_is_300_documents_with_ids():
    docs = T.load_corpus("lee")
    assert len(docs) == 300 and len({d.id for d in docs}) == 300 and all(d.text for d in docs)

def test_folder_and_file_sources(tmp_path):
    (tmp_path/"a.txt").write_text("first doc\n\nsecond para"); (tmp_path/"sub").mkdir()
    (tmp_path/"sub"/"b.txt").write_text("line one\nline two\n")
    assert [d.id for d in T.load_corpus(tmp_path)] == ["a.txt", "sub/b.txt"]
    lines = T.folder_corpus(tmp_path/"sub"/"b.txt", split="line")
    assert [d.text for d in lines] == ["line one", "line two"]

def test_bad_sources_say_what_to_do(tmp_path):
    with pytest.raises(ValueError, match="Unknown corpus 'nope'.*lee"): T.load_corpus("nope")
    with pytest.raises(FileNotFoundError, match="No \\*.txt files"): T.load_corpus(tmp_path)
    (tmp_path/"empty.txt").write_text("  \n")
    with pytest.raises(ValueError, match="no non-empty documents"): T.load_corpus(tmp_path)

def test_windows_keep_doc_ids_and_count_short(tok):
    docs = [T.Document("short", "Hi"), T.Document("long", "word " * 300)]
    w = T.token_windows(tok, docs, length=64)
    assert w.n_short == 1 and set(w.doc_ids) == {"long"} and w.input_ids.shape[1] == 64
    assert w.n_tokens == len(tok(docs[1].text)["input_ids"])  # every token of the long document, once
    with pytest.raises(ValueError, match="corpus is empty"): T.token_windows(tok, [], length=64)
    with pytest.raises(ValueError, match="shorter than min_length"): T.token_windows(tok, docs[:1], length=64)

def test_r_reader_rejects_non_strings():
    with pytest.raises(ValueError, match="not an XDR"): T._r_strings(b"RDX3\n")
