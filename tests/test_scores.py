"Clustering and matching scores (`shardbook.scores`): values on known partitions, and bad inputs refused early."
import numpy as np, pandas as pd, pytest, torch
from sklearn.metrics import adjusted_mutual_info_score
from shardbook.scores import (purity, max_cos, context_means, cluster_scores, kmeans_baseline, pca_baseline,
                              multilabel_f1)

torch.set_num_threads(1)

def _three():
    X = torch.cat([torch.eye(3)[i].repeat(10, 1) for i in range(3)])
    return X, np.repeat(np.arange(3), 10)

def test_scores_on_perfect_and_random_clusters():
    X, y = _three()
    s = cluster_scores(y, y + 7, torch.eye(3), X)
    assert s == dict(purity=1.0, ami=pytest.approx(1), n_clusters=3, max_cos=pytest.approx(1))
    assert kmeans_baseline(X, y, 3)["ami"] == pytest.approx(1)
    p = pca_baseline(X, y, 3)  # centred 3-cluster data has rank 2: two components separate it, the third is arbitrary
    assert p["purity"] >= 2 / 3 and p["max_cos"] > 0.5
    assert purity(y, np.zeros(30)) == pytest.approx(1 / 3)
    assert torch.allclose(context_means(X, torch.as_tensor(y)), torch.eye(3))

def test_cluster_scores_without_directions():
    "Labels of any kind (task names), no directions: purity, ami, n_clusters only."
    y = np.array(["a", "a", "b", "b", "c", "c"])
    cl = np.array([0, 0, 0, 1, 2, 2])
    s = cluster_scores(y, cl)
    assert list(s) == ["purity", "ami", "n_clusters"] and s["n_clusters"] == 3
    assert s["purity"] == pytest.approx(5 / 6)
    assert s["ami"] == pytest.approx(adjusted_mutual_info_score(y, cl))

def test_purity_equals_the_majority_count_per_cluster():
    "The one purity: the sum over clusters of the majority label's count, over all items."
    rng = np.random.default_rng(0)
    y, cl = rng.integers(0, 4, 200), rng.integers(0, 7, 200)
    df = pd.DataFrame(dict(y=y, c=cl))
    want = df.groupby("c").y.agg(lambda s: s.value_counts().iloc[0]).sum() / len(df)
    assert purity(y, cl) == float(want)

def test_max_cos_per_target_and_mean():
    D = torch.tensor([[1., 0, 0], [0, 2., 0]])
    T = torch.tensor([[3., 0, 0], [0, 0, 1.], [1., 1., 0]])
    got = max_cos(D, T)
    assert got.shape == (3,)
    assert torch.allclose(got, torch.tensor([1., 0., 2 ** -0.5]))
    assert torch.allclose(max_cos(-D, T), got)  # signs do not matter

def test_multilabel_f1():
    A = torch.tensor([[1, 0], [1, 1], [0, 1], [0, 0]], dtype=torch.bool)
    assert torch.allclose(multilabel_f1(A, A), torch.ones(2))           # a unit per context: perfect
    M = torch.tensor([[1], [1], [1], [1]], dtype=torch.bool)           # one unit active everywhere
    assert torch.allclose(multilabel_f1(M, A), torch.tensor([2*2/6, 2*2/6]))

def test_scores_refuse_mismatched_or_missing_labels():
    with pytest.raises(ValueError, match=r"no update has label\(s\) \[1\]"):
        context_means(torch.randn(4, 3), torch.tensor([0, 0, 2, 2]))
    with pytest.raises(ValueError, match="K must be a positive int, got 0"):
        kmeans_baseline(torch.randn(6, 3), [0, 1] * 3, 0)
    with pytest.raises(ValueError, match="K=7 clusters need at least K updates, got 6"):
        kmeans_baseline(torch.randn(6, 3), [0, 1] * 3, 7)
    with pytest.raises(ValueError, match="got 3 and 2"):
        purity([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="need the same N"):
        multilabel_f1(torch.ones(3, 2), torch.ones(4, 2))
    with pytest.raises(ValueError, match="both dirs and X"):
        cluster_scores([0, 1], [0, 1], dirs=torch.eye(2))
