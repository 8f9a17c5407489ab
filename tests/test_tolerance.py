"The nbval tolerance policy of conftest.py: float noise passes, real changes and changed words fail."
from conftest import numbers_close, text_close, RTOL, ATOL

def test_policy_constants():
    assert (RTOL, ATOL) == (0.02, 1e-3)

def test_float_noise_passes():
    assert text_close("log p -3.0854", "log p -3.0853") is None
    assert text_close("AMI 0.957 vs 0.968", "AMI 0.959 vs 0.966") is None   # within 2%
    assert text_close("FVU 0.10", "FVU 0.11") is None                       # one unit in the last printed digit
    assert text_close("0.000", "-0.000") is None
    assert text_close("1.2e-06", "1.22e-06") is None

def test_whitespace_padding_passes():
    assert text_close("  a   0.50\n  b   0.25", "  a  0.501\n  b  0.25") is None

def test_sampled_counts_within_two_percent():
    assert text_close("346 none answers", "345 none answers") is None
    assert text_close("346 none answers", "330 none answers") is not None

def test_real_changes_fail():
    assert text_close("R2 0.650", "R2 0.600") is not None     # an R² moving by 0.05
    assert text_close("R2 0.65", "R2 0.60") is not None
    assert text_close("(0 of 4 within 10%)", "(1 of 4 within 10%)") is not None
    assert text_close("k=1: +12%", "k=1: +8%") is not None
    assert text_close("FVU 0.10", "FVU 0.12") is not None

def test_words_fail():
    assert "text differs" in text_close("the 0.9 goal is met", "the 0.9 goal is not met")
    assert text_close("beats k-means (AMI 0.968)", "does not beat k-means (AMI 0.968)") is not None
    assert text_close("a 1 b", "a 1 b 2") is not None

def test_numbers_close_absolute_floor():
    assert numbers_close("0.0004", "0.0011")      # absolute 1e-3 for tiny values
    assert not numbers_close("0.0004", "0.0020")
    assert not numbers_close("0", "1")            # integers: relative only

def test_seed_spread():
    assert text_close("AMI 0.15 ± 0.04 over 3 seeds", "AMI 0.18 ± 0.03 over 3 seeds") is None
    assert text_close("AMI 0.15 ± 0.04 over 3 seeds", "AMI 0.20 ± 0.04 over 3 seeds") is not None   # beyond the spread
    assert text_close("AMI 0.15 ± 0.04", "AMI 0.15 ± 0.20") is None                                 # spreads: any
    assert text_close("AMI 0.15 ± 0.01", "AMI 0.30 ± 0.50") is not None     # a big new spread buys at most 3 s
    assert text_close("0.939 ± 0.022", "0.950 ± 0.001") is None             # a spread that collapsed
    assert text_close("+0.033 ± 0.020 (holds)", "-0.005 ± 0.020 (holds)") is not None               # beyond it
    assert text_close("0.15 ± 0.04 holds", "0.16 ± 0.04 fails") is not None                         # a word
