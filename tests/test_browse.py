"""The shard browser (issue 21) as a person sees it: a TRL run's SAE written by `browse.write_browser`, then
opened in headless Chromium by `browse.check_browser`, the same code path that makes the README's screenshot.

Chromium comes from Debian's `chromium` package (`.ci/run` installs it when it is missing and it can); where it
cannot be had, the Chromium tests are skipped with a message saying so, and the rest still run."""
import json, shutil
import pytest, torch
from shardbook.browse import (Chromium, MARKER, check_browser, find_chromium, latent_episodes,
                              write_browser)
from shardbook.lmrl import RLConfig, run_trl, tiny_llama, tiny_tokenizer
from shardbook.sae import LowRankSAE, codes
from shardbook.shards_lm import fit_sae, live_updates

needs_chromium = pytest.mark.skipif(
    find_chromium() is None,
    reason="no Chromium: install Debian's `chromium` package (apt-get install chromium) or set "
           "SHARDBOOK_CHROMIUM to a Chrome/Chromium executable to run the browser checks")

@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    "A tiny TRL run's live updates, an SAE on them, and its browser."
    torch.set_num_threads(1)
    tok = tiny_tokenizer()
    cfg = RLConfig(model="tiny", steps=4, layers=(-1,), episodes_per_step=4, group_size=3,
                   sae_latents=8, buffer_mb=1.0, n_eval=4)
    root = tmp_path_factory.mktemp("browse")
    run = run_trl(tiny_llama(tok), tok, cfg, root/"run", report_to="none", progress=False)
    data, ep = live_updates(run)
    sae = fit_sae(data, run.layout, n_latents=6, k=2, steps=20)
    C = codes(sae, data)
    index = write_browser(root/"browser", sae, data, ep, label="task", codes=C, title="tiny TRL run")
    return dict(index=index, sae=sae, data=data, ep=ep, C=C, root=root)

def test_written(browser):
    "Every latent has a page, the marker is there, and the TRL group's completions are listed."
    folder, sae = browser["index"].parent, browser["sae"]
    names = sorted(p.name for p in folder.glob("*.html"))
    assert names == ["index.html"] + [f"latent_{i:05d}.html" for i in range(sae.n_latents)]
    assert json.loads((folder/MARKER).read_text())["latents"] == sae.n_latents
    i = int(browser["C"].ne(0).sum(0).argmax())
    top = latent_episodes(browser["C"], i, 8)[0][0]
    html = (folder/f"latent_{i:05d}.html").read_text()
    assert "advantage" in html and f"update {top} " in html

def test_bad_input_writes_nothing(browser, tmp_path):
    "Each bad input is refused before anything is written."
    sae, data, ep = browser["sae"], browser["data"], browser["ep"]
    other = LowRankSAE(type(sae.layout)([s for s in sae.layout.slots[:1]]), 4, 2)
    cases = [(dict(sae=other), "layout does not match"),
             (dict(episodes=ep.drop(columns=["prompt", "answer"])), "no text column"),
             (dict(episodes=ep.assign(answer=None)), "holds no text"),
             (dict(episodes=ep.iloc[:1]), "one episode per update"),
             (dict(codes=torch.zeros_like(browser["C"])), "no latent of the SAE fires"),
             (dict(label="nope"), "not a column")]
    for kw, msg in cases:
        args = dict(sae=sae, data=data, episodes=ep) | kw
        with pytest.raises((ValueError, TypeError), match=msg):
            write_browser(tmp_path/"b", **args)
        assert not (tmp_path/"b").exists()

@needs_chromium
def test_in_chromium(browser, tmp_path):
    "No console errors on any page, no dead link, a known top episode's text on its page, a screenshot."
    index, C, ep = browser["index"], browser["C"], browser["ep"]
    png = tmp_path/"shot.png"
    i = int(C.ne(0).sum(0).argmax())
    chk = check_browser(index, png=png, shot=i)
    assert chk["errors"] == {}, chk["errors"]
    assert chk["dead"] == []
    assert len(chk["texts"]) == 1 + browser["sae"].n_latents   # index + every linked latent page
    top = latent_episodes(C, i, 8)[0][0]
    page = chk["texts"][f"latent_{i:05d}.html"]
    line = [l for l in ep.prompt[top].splitlines() if l.strip()][-1].strip()
    assert line in page and f"update {top}" in page
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000

@needs_chromium
def test_sorting_and_errors_are_seen(browser, tmp_path):
    "Clicking a column sorts the index; a page with a script error or a missing image is reported."
    sort = ("(() => { const th = [...document.querySelectorAll('#latents th')]"
            ".find(h => h.textContent === 'n_active'); th.click(); th.click();"
            " return [...document.querySelectorAll('#latents tbody tr')]"
            ".map(r => parseInt(r.children[1].textContent)); })()")
    bad = tmp_path/"bad.html"
    bad.write_text("<html><body><img src='missing.png'><script>undefinedFunction()</script></body></html>")
    with Chromium() as b:
        counts = b.load(browser["index"], expression=sort)["value"]
        got = b.load(bad)
    assert counts == sorted(counts, reverse=True) and len(counts) == browser["sae"].n_latents
    assert any("undefinedFunction" in e for e in got["errors"])
    assert any("missing.png" in e or "ERR_FILE_NOT_FOUND" in e for e in got["errors"])

@needs_chromium
def test_dead_links_are_reported(browser, tmp_path):
    "A latent page that went missing is reported as a dead link (from the index and its neighbours)."
    folder = tmp_path/"b"
    shutil.copytree(browser["index"].parent, folder)
    (folder/"latent_00001.html").unlink()
    chk = check_browser(folder/"index.html")
    assert "index.html -> latent_00001.html" in chk["dead"]
    with pytest.raises(ValueError, match="no page for latent 1"):
        check_browser(folder/"index.html", png=tmp_path/"x.png", shot=1)

def test_no_chromium_says_what_to_do(monkeypatch):
    "A Chromium that is not there is a clear error naming what to install or set."
    monkeypatch.setenv("SHARDBOOK_CHROMIUM", "/nonexistent/chromium")
    assert find_chromium() is None
    with pytest.raises(FileNotFoundError, match="SHARDBOOK_CHROMIUM"):
        Chromium()
