"Failure paths and exactness checks for `shardbook.urn`."
import numpy as np, pytest
from scipy import stats
from shardbook.urn import as_dist, kl_div, kl_parts, as_counts, simulate_urn, urn_shares, urn_limit, urn_collapse_prob, example_kl_table

def test_dist_errors():
    with pytest.raises(ValueError, match="negative"): as_dist([1.2, -0.2])
    with pytest.raises(ValueError, match="sums to"): as_dist([0.5, 0.49])
    with pytest.raises(ValueError, match="non-finite"): as_dist([np.nan, 1.0])
    as_dist([0.5, 0.5 + 5e-7])  # within tolerance

def test_kl_decomposition_exact():
    rng = np.random.default_rng(0)
    for _ in range(20):
        d = rng.dirichlet(np.ones(6)); p = rng.dirichlet(np.ones(6)) * rng.uniform(0.01, 1)
        k = kl_parts(d, p)
        assert abs(k["KL"] - (k["KL_rel"] + k["offtask_term"])) < 1e-12
        assert k["KL_rel"] >= -1e-12

def test_kl_shape_and_zero():
    with pytest.raises(ValueError, match="shape"): kl_div([0.5, 0.5], [0.3, 0.3, 0.4])
    with pytest.raises(ValueError, match="infinite"): kl_div([0.5, 0.5], [1.0, 0.0])
    assert kl_div([1.0, 0.0], [0.5, 0.0]) == pytest.approx(np.log(2))  # D=0 terms drop out

def test_urn_count_errors():
    for bad in ([0, 1], [-1, 2], [1], [np.inf, 1]):
        with pytest.raises(ValueError): as_counts(bad)
    with pytest.raises(ValueError, match="> 0"): simulate_urn([1, 0], 3)
    with pytest.raises(ValueError): urn_collapse_prob([1, 1], threshold=0.3)

def test_finite_urn_is_dirichlet_multinomial():
    "After n draws the counts are exactly Dirichlet-multinomial: compare the pmf of task 0's count (beta-binomial)."
    a, n = np.array([2., 3.]), 6
    dr = simulate_urn(a, n, n_runs=20000, seed=0)
    k = (dr == 0).sum(1)
    emp = np.bincount(k, minlength=n + 1) / len(k)
    exact = stats.betabinom(n, a[0], a[1]).pmf(np.arange(n + 1))
    assert np.abs(emp - exact).max() < 0.01

def test_limit_table_and_collapse():
    t = urn_limit([1, 1])
    assert np.allclose(t["mean"], 0.5) and np.allclose(t.p_above_0_9, 0.1)
    assert urn_collapse_prob([1, 1]) == pytest.approx(0.2)
    assert urn_collapse_prob([10, 10]) < 1e-4

def test_example_table_near_1_5():
    t = example_kl_table()
    assert list(t.P) == ["P1", "P2", "P3", "P4"] and t.KL.between(1.4, 1.6).all()

def test_shares_sum_to_one():
    sh = urn_shares(simulate_urn([1, 2, 3], 10, 50), counts=[1, 2, 3])
    assert np.allclose(sh.groupby("run").share.sum(), 1)
