"Failure paths and exactness checks for `shardbook.icl` (a tiny random Llama with SmolLM2's real tokenizer)."
import numpy as np, pandas as pd, pytest, torch
from shardbook import icl
from shardbook.icl import (SIX_TASKS, D1, D2, build_prompt, answer_ids, score_answers, score_naive, top_lines,
                           prompt_metrics, turn_taking, classify, answer_table, check_tasks, urns_for, collapse_table, _Batch)
from shardbook.models import is_cached, model_dir
from shardbook.tasks import countries, words

@pytest.fixture(scope="module")
def tok():
    if not is_cached("smollm2-135m"): pytest.skip("smollm2-135m not fetched")
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(model_dir("smollm2-135m"))

@pytest.fixture(scope="module")
def tiny(tok):
    from transformers import LlamaConfig, LlamaForCausalLM
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, initializer_range=0.2, max_position_embeddings=2048)
    return LlamaForCausalLM(cfg).eval()

def test_bad_distributions():
    with pytest.raises(ValueError, match="negative"): build_prompt(SIX_TASKS, [.5, .6, -.1, 0, 0, 0], 6)
    with pytest.raises(ValueError, match="sums to"): build_prompt(SIX_TASKS, [.2] * 6, 6)
    with pytest.raises(ValueError, match="entries for"): build_prompt(SIX_TASKS, [.5, .5], 6)

def test_unknown_task_and_repeats():
    with pytest.raises(ValueError, match="Unknown task"): check_tasks(["capital", "currency"])
    with pytest.raises(ValueError, match="Repeated"): check_tasks(["upper", "upper"])

def test_too_many_examples():
    n_items = len(countries("icl"))
    build_prompt(SIX_TASKS, D1, n_items - 1)  # all but the query: fine
    with pytest.raises(ValueError, match="distinct items"): build_prompt(SIX_TASKS, D1, n_items)
    with pytest.raises(ValueError, match="distinct items"): build_prompt(["upper"], [1.], len(words("icl")))

def test_facts_and_distinct_answers():
    c = countries("icl").set_index("country")
    assert c.loc["Italy", "capital"] == "Rome" and c.loc["Peru", "continent"] == "South America"
    t = answer_table(SIX_TASKS)
    assert (t[t.task == "upper"].answer == t[t.task == "upper"].item.str.upper()).all()
    assert (t[t.task == "first_letter"].answer == t[t.task == "first_letter"].item.str[0]).all()
    assert t.groupby("item").answer.nunique().eq(6).all()

def test_word_tasks():
    pr = build_prompt(["first_letter", "last_letter", "upper"], [.5, .25, .25], 8, seed=2)
    assert pr["query"] in set(words("icl").word) and pr["answers"][2] == pr["query"].upper()
    assert sorted(pr["counts"]) == [2, 2, 4]

def test_empty_answer_rejected(tok):
    with pytest.raises(ValueError, match="empty"): answer_ids(tok, "France ->", ["Paris", "  "])

def test_answer_tokens_take_the_leading_space(tok):
    pr = build_prompt(SIX_TASKS, D1, 12, seed=4)
    p, ids = answer_ids(tok, pr["text"], pr["answers"])
    for a, i in zip(pr["answers"], ids):
        assert i == tok(" " + a, add_special_tokens=False).input_ids  # the clean boundary holds for this tokenizer
        assert tok.decode(i) == " " + a

def test_shared_prefix_equals_naive(tok, tiny):
    for seed, n in [(0, 6), (1, 24), (2, 60)]:
        pr = build_prompt(SIX_TASKS, D2, n, seed=seed)
        fast, naive = score_answers(tiny, tok, pr["text"], pr["answers"]), score_naive(tiny, tok, pr["text"], pr["answers"])
        assert np.abs(np.exp(fast) - np.exp(naive)).max() < 1e-5
        assert np.abs(fast - naive).max() < 1e-4
        lp, lpl = score_answers(tiny, tok, pr["text"], pr["answers"], newline=True)
        assert np.abs(lp - naive).max() < 1e-4 and (lpl <= lp + 1e-9).all()

def test_top_lines_agree_with_scorer(tok, tiny):
    pr = build_prompt(SIX_TASKS, D1, 6, seed=3)
    tl = top_lines(tiny, tok, pr["text"], 4, max_tokens=3)
    assert len(tl) == 4 and tl.logp.is_monotonic_decreasing
    for line, l in zip(tl.line, tl.logp):  # a found line, teacher-forced with its line break, has the same log P
        ids = tok(pr["text"] + " " + line + "\n").input_ids
        if len(ids) - len(tok(pr["text"]).input_ids) <= 3:
            _, lpl = score_answers(tiny, tok, pr["text"], [line], newline=True)
            assert abs(lpl[0] - l) < 1e-3 or lpl[0] <= l  # identical text can arise from several token paths
    m = prompt_metrics(tiny, tok, pr)
    assert 0 <= m["topk_hits"] <= 6 and abs(m["KL"] - m["KL_rel"] - m["offtask_term"]) < 1e-9

def test_batch_with_holes_matches_solo(tok, tiny):
    seqs = [tok(build_prompt(SIX_TASKS, D1, n, seed=1)["text"]).input_ids for n in (2, 7, 4)]
    extra = [tok("\nItaly ->", add_special_tokens=False).input_ids, [], tok("\nPeru -> Lima\nChile ->", add_special_tokens=False).input_ids]
    b = _Batch(tiny, seqs); b.step(extra); b.step([[], [5], []])
    with torch.no_grad():
        for i, full in enumerate([seqs[0] + extra[0], seqs[1] + [5], seqs[2] + extra[2]]):
            solo = tiny(torch.tensor([full])).logits[0, -1]
            assert torch.allclose(b.logits[i], solo, atol=1e-4)

def test_classify():
    acc = [["Kyiv", "Kiev"], ["U"], ["Ukrainian"], ["Europe"], ["UKRAINE"], ["e"]]
    assert classify(" Kiev ", acc, SIX_TASKS) == "capital" and classify("u", acc, SIX_TASKS) == "none"
    assert classify("e", acc, SIX_TASKS) == "last_letter"

def test_turn_taking_rows_and_urns(tok, tiny):
    tt = turn_taking(tiny, tok, D1, 6, n_turns=3, n_runs=2, seed=0, max_tokens=3)
    assert len(tt) == 2 * 4 and set(tt[tt.turn > 0].task) <= set(SIX_TASKS) | {"none"}
    q = tt[tt.turn > 0].groupby("run")["query"].apply(list)
    assert all(len(set(v)) == 3 for v in q)
    u = urns_for(tt, n_urns=5)
    assert set(u.source) == {"urn_counts", "urn_P"} and len(u) == 2 * 2 * 5 * 3
    ct = collapse_table(pd.concat([tt[tt.turn > 0].assign(source="model"), u]))
    assert ct.collapsed.between(0, 1).all()
    with pytest.raises(ValueError, match="distinct items"): turn_taking(tiny, tok, D1, 60, n_turns=30)

# --- slow runs from the command line (`shardbook-icl-slow`, `shardbook-icl-assemble`) on a tiny model

@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    "A tiny random Llama with the character tokenizer, saved as a local model folder `load_lm` reads."
    from shardbook.lmrl import tiny_tokenizer, tiny_llama
    tk = tiny_tokenizer()
    path = tmp_path_factory.mktemp("tiny_model")
    tiny_llama(tk).save_pretrained(path)
    tk.save_pretrained(path)
    return path

def run_entry(tmp_path, func:str, *args):
    "Run `shardbook.icl.func` the way its console script does (a file that calls it with no arguments)."
    import subprocess, sys
    script = tmp_path/f"{func}.py"
    script.write_text(f"import sys\nfrom shardbook.icl import {func}\nsys.exit({func}())\n")
    return subprocess.run([sys.executable, str(script), *map(str, args)], capture_output=True, text=True)

SMALL = dict(prompts=3, step=2, grid="2,3", runs=2, turn_examples=2, turns=3)

def test_icl_slow_resumes_and_assembles(tiny_dir, tmp_path):
    from shardbook.icl import icl_slow, slow_files, calibration, summarise, DISTS
    from shardbook.models import load_lm
    out, res = tmp_path/"slow", tmp_path/"results"
    part = icl_slow(str(tiny_dir), str(out), results=str(res), name="tiny", limit=4, **SMALL)
    cal_f, turns_f = slow_files(out, "tiny")
    assert len(pd.read_csv(cal_f)) == 4 * 2 and not turns_f.exists()  # 4 of 6 first-level pieces, 2 prompts each
    test_part = pd.read_csv(res/"icl_kl.csv")
    assert len(test_part) == 4  # only the points that have prompts are summarised
    args = [a for k, v in SMALL.items() for a in (f"--{k.replace('_', '-')}", v)]
    r = run_entry(tmp_path, "icl_slow", tiny_dir, out, "--results", res, "--name", "tiny", *args)  # resumes
    assert r.returncode == 0, r.stderr
    cal = pd.read_csv(cal_f)
    assert len(cal) == 6 * 3 and turns_f.exists()
    model, tok = load_lm(str(tiny_dir))  # the pieces together are the one-call run
    whole = calibration(model, tok, DISTS, [2, 3], n_prompts=3, seed=0, topk=False)
    key = ["D", "n_examples", "seed"]
    pd.testing.assert_frame_equal(cal.sort_values(key).reset_index(drop=True),
                                  whole.sort_values(key).reset_index(drop=True), check_dtype=False, atol=1e-9)
    table = pd.read_csv(res/"icl_kl.csv")
    assert len(table) == 6 and (table.n_prompts == 3).all() and set(table.model) == {"tiny"}
    pd.testing.assert_frame_equal(table.drop(columns="topk_hits"), summarise(whole, "tiny").drop(columns="topk_hits"),
                                  check_dtype=False, atol=1e-9)
    turns = pd.read_csv(res/"icl_turns.csv", keep_default_na=False)
    assert set(turns.source) == {"model", "urn_counts", "urn_P"} and turns[turns.source == "model"].turn.max() == 3
    assert icl_slow(str(tiny_dir), str(out), results=str(res), name="tiny", **SMALL) is not None  # nothing left: no-op

def test_icl_assemble_command(tiny_dir, tmp_path):
    from shardbook.icl import run_slow, slow_files
    out, res = tmp_path/"slow", tmp_path/"results"
    run_slow(str(tiny_dir), out, name="tiny", prompts=2, step=1, grid=[2], runs=0)
    run_slow(str(tiny_dir), out, name="tiny2", prompts=2, step=1, grid=[2], runs=0, limit=4)
    cal2 = pd.read_csv(slow_files(out, "tiny2")[0])
    cal2 = cal2[~((cal2.D == "D3") & (cal2.seed == 1))]  # tiny2 has 2 prompts at two points, 1 at the third
    cal2.to_csv(slow_files(out, "tiny2")[0], index=False)
    r = run_entry(tmp_path, "icl_assemble", out, "tiny", "tiny2", "absent", "--results", res)
    assert r.returncode == 0, r.stderr
    assert "absent: no calibration rows" in r.stdout
    kl = pd.read_csv(res/"icl_kl.csv")
    test = kl.groupby("model").n_prompts.agg(["min", "max", "size"])
    assert test.loc["tiny"].tolist() == [2, 2, 3] and test.loc["tiny2"].tolist() == [1, 1, 3]
    assert not (res/"icl_turns.csv").exists()

def test_icl_slow_command_line(tmp_path):
    r = run_entry(tmp_path, "icl_slow", "--help")
    assert r.returncode == 0 and "--limit" in r.stdout and "resumes" in r.stdout
    r = run_entry(tmp_path, "icl_slow", "smollm2-135m", tmp_path/"slow", "--name", "org/model")
    assert r.returncode != 0 and "--name" in r.stderr

def test_slow_bad_input(tmp_path):
    from shardbook.icl import slow_files, slow_plan, seeds_done
    with pytest.raises(ValueError, match="--name"): slow_files(tmp_path, "org/model")
    with pytest.raises(ValueError, match="step must be a positive int"): slow_plan(pd.DataFrame(), 4, 0, [2])
    gap = pd.DataFrame(dict(D="D1", n_examples=2, seed=[0, 2]))
    with pytest.raises(ValueError, match="not 0..N-1"): seeds_done(gap)
