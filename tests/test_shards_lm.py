"""Tests for `shardbook.shards_lm` (claim A part 2's analysis of one GRPO run) on a tiny random Llama."""
from dataclasses import replace
import numpy as np, pandas as pd, pytest, torch
from shardbook.lmrl import RLConfig, run_grpo, tiny_llama, tiny_tokenizer
from shardbook.shards_lm import (AnalysisSettings, RunStatistics, analyze_run, claim_tests, seed_decisions,
                                 seed_statistics, weighted_unchanged, alignment_table, TESTS)

FAST = AnalysisSettings(fvu_ks=(1, 2, 1000), fvu_latents=4, fvu_steps=10, sae_latents=8, sae_k=2, sae_steps=20,
                        n_eval=2, sel_eval=1)

@pytest.fixture(scope="module")
def run():
    torch.set_num_threads(1)
    tok = tiny_tokenizer()
    cfg = RLConfig(model="tiny", steps=6, layers=(-1,), episodes_per_step=4, group_size=3, sae_latents=8,
                   buffer_mb=1.0, n_eval=4)
    return run_grpo(tiny_llama(tok), tok, cfg, progress=False)

@pytest.fixture(scope="module")
def analysis(run): return analyze_run(run, FAST)

def test_analysis_tables(run, analysis):
    a = analysis
    assert a.n_live == sum(u is not None for u in run.updates) and a.n_episodes == len(run.updates)
    assert 1000 not in set(a.fvu.l0)   # sweep points beyond the training updates are dropped, not fitted
    assert set(a.alignment.kind) == {"sae", "baseline", "control"}
    assert set(a.selectivity.kind) == {"shard", "mean", "random"}
    assert len(a.selectivity[a.selectivity.kind == "random"]) == FAST.n_random
    assert list(a.held.columns) == ["reward before", "reward after", "logp before", "logp after"]

def test_statistics_read_columns(analysis):
    st = analysis.statistics()
    assert st.fvu_min == analysis.fvu[analysis.fvu.method == "SAE"].fvu.min()
    al = analysis.alignment
    assert st.ami_baseline == al[al.method.str.contains("k-means|PCA")].ami.max()
    assert np.isclose(st.ami_margin, st.ami_sae - st.ami_baseline)

def test_summary_round_trip(analysis):
    rows = analysis.summary()
    assert set(rows.section) >= {"reward", "sparsity", "rank", "fvu", "alignment", "selectivity", "statistic"}
    assert RunStatistics.from_summary(rows) == analysis.statistics()
    with pytest.raises(ValueError, match="lack the statistic"):
        RunStatistics.from_summary(rows[rows.name != "sel_mean"])

def test_reuse_keeps_seed_free_parts(run, analysis):
    b = analyze_run(run, replace(FAST, seed=1), reuse=analysis)
    assert b.held is analysis.held and b.delta is analysis.delta
    ctrl = lambda a: a.selectivity[a.selectivity.kind != "shard"].reset_index(drop=True)
    pd.testing.assert_frame_equal(ctrl(b), ctrl(analysis))

def test_reuse_recomputes_controls_when_settings_differ(run, analysis):
    b = analyze_run(run, replace(FAST, n_random=1), reuse=analysis)
    assert (b.selectivity.kind == "random").sum() == 1

def test_reuse_recomputes_held_out_when_n_eval_differs(run, analysis):
    b = analyze_run(run, replace(FAST, n_eval=1), reuse=analysis)
    assert b.held is not analysis.held and b.delta is analysis.delta

def test_claim_tests_thresholds():
    base = dict(fvu_min=0.49, ami_sae=0.3, ami_baseline=0.2, sel_shard=0.3, sel_mean=0.4, sel_random=0.1)
    assert claim_tests(RunStatistics(**base)).passed.all()
    for change, failing in [(dict(fvu_min=0.5), 0), (dict(ami_baseline=0.3), 1), (dict(sel_random=-0.3), 2),
                            (dict(sel_mean=0.61), 2)]:
        t = claim_tests(RunStatistics(**{**base, **change}))
        assert t.passed.tolist() == [i != failing for i in range(3)], change

def test_seed_decisions():
    seeds = pd.DataFrame(dict(fvu_min=[0.9, 0.91, 0.89], ami_margin=[0.1, 0.12, 0.08], sel_margin=[-0.1, 0.1, 0.0]))
    d = seed_decisions(seeds)
    assert d.decision.tolist() == ["not shown", "holds", "not shown"]
    assert list(d.statistic) == [s for _, s, _, _ in TESTS]

def test_seed_statistics(run, analysis):
    s = seed_statistics(run, FAST, seeds=(0, 1), reuse=analysis)
    assert s.seed.tolist() == [0, 1] and {"fvu_min", "ami_margin", "sel_margin"} <= set(s.columns)

def test_bad_settings():
    for kw, msg in [(dict(sae_k=0), "sae_k"), (dict(fvu_ks=(0,)), "fvu_ks"), (dict(n_random=-1), "n_random"),
                    (dict(fvu_ks=()), "fvu_ks")]:
        with pytest.raises((ValueError, TypeError), match=msg): AnalysisSettings(**kw)

def test_weighted_unchanged():
    dt = pd.DataFrame({"numel": [1, 3], "bf16 unchanged": [1.0, 0.0], "fp32>0": [0.0, 1.0]})
    assert weighted_unchanged(dt) == {"bf16": 0.25, 0.0: 0.25}
