"Issue 14 for `shardbook.urn` and `shardbook.utils`: P that is not a probability vector; tables that survive."
import numpy as np, pandas as pd, pytest
from shardbook import urn as R, utils as U

D = [.5, .5]

@pytest.mark.parametrize("p, msg", [([.5, np.nan], "P has non-finite entries"), ([.5, np.inf], "P has non-finite"),
                                    ([.9, .9], r"P sums to 1.800000 > 1"), ([1., -.5], "P has negative entries"),
                                    ([.5, .3, .2], "P has shape")])
def test_kl_div_refuses_bad_p(p, msg):
    with pytest.raises(ValueError, match=msg): R.kl_div(D, p)
    with pytest.raises(ValueError, match=msg): R.kl_parts(D, p)

def test_kl_div_negative_where_d_is_zero():
    with pytest.raises(ValueError, match="negative entries"): R.kl_div([1., 0.], [.5, -.5])

def test_kl_div_valid_inputs_unchanged():
    assert R.kl_div(D, D) == 0 and R.kl_div(D, [.25, .25]) == pytest.approx(np.log(2))
    assert R.example_kl_table().sum_P.max() == pytest.approx(1.002)  # rounded P1 is within the tolerance
    with pytest.raises(ValueError, match="KL is infinite"): R.kl_parts(D, [0., 0.])

def test_upsert_csv_empty_keys_refused(tmp_path):
    p = tmp_path/"r.csv"
    U.upsert_csv(pd.DataFrame(dict(model=["a", "b"], x=[1, 2])), p)
    with pytest.raises(ValueError, match="keys is empty"):
        U.upsert_csv(pd.DataFrame(dict(model=["c"], x=[3])), p, keys=())
    assert pd.read_csv(p).model.tolist() == ["a", "b"]

def test_upsert_csv_str_key_is_one_column(tmp_path):
    p = tmp_path/"r.csv"
    U.upsert_csv(pd.DataFrame(dict(model=["a", "b"], x=[1, 2])), p)
    assert U.upsert_csv(pd.DataFrame(dict(model=["a"], x=[9])), p, keys="model").x.tolist() == [9, 2]

def test_upsert_csv_interrupted_write_keeps_old_table(tmp_path, monkeypatch):
    p = tmp_path/"r.csv"
    U.upsert_csv(pd.DataFrame(dict(model=["a", "b"], x=[1, 2])), p)
    before = p.read_bytes()
    def dies(self, path, *a, **k):
        open(path, "w").write("model,x\n")
        raise KeyboardInterrupt("killed mid-write")
    monkeypatch.setattr(pd.DataFrame, "to_csv", dies)
    with pytest.raises(KeyboardInterrupt): U.upsert_csv(pd.DataFrame(dict(model=["c"], x=[3])), p)
    assert p.read_bytes() == before and [f.name for f in tmp_path.iterdir()] == ["r.csv"]

@pytest.mark.parametrize("v, err, msg", [(0, ValueError, "n must be a positive int, got 0"),
                                         (None, TypeError, "n must be a positive int, got None"),
                                         (True, TypeError, "got True"), (2.0, TypeError, "got 2.0")])
def test_need_int(v, err, msg):
    with pytest.raises(err, match=msg): U._need_int("n", v)
    assert U._need_int("n", np.int64(3)) == 3 and U._need_int("n", None, none_ok=True) is None
    with pytest.raises(ValueError, match="n must be an int >= 2, got 1: pass more"): U._need_int("n", 1, lo=2, todo="pass more")
