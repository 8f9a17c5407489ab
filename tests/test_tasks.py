"The shared task data (`shardbook.tasks`): one table, each consumer's rows in its order, clear errors."
import pandas as pd, pytest
from shardbook import tasks
from shardbook.tasks import countries, words, rl_countries, rl_words, RL_COUNTRIES, RL_WORDS

def test_icl_rows_are_the_84_countries_and_50_words_in_table_order():
    c, w = countries("icl"), words("icl")
    assert len(c) == 84 and len(w) == 50
    assert c.country.tolist() == [x for x in countries().country if x not in {"India", "Russia", "Ireland", "Turkey"}]
    assert list(c.columns) == ["country", "capital", "language", "continent", "capital_alt", "language_alt",
                               "continent_alt"]
    assert list(c.index) == list(range(84)) and w.word.tolist()[:2] == ["apple", "banana"]

def test_rl_rows_keep_lmrl_order_and_primary_spellings():
    rl = rl_countries()
    assert [r[0] for r in rl] == RL_COUNTRIES and len(rl) == 36 and rl_words() == RL_WORDS and len(RL_WORDS) == 36
    d = {c: (cap, cont) for c, cap, cont in rl}
    assert d["Brazil"] == ("Brasilia", "South America") and d["Colombia"] == ("Bogota", "South America")
    assert d["Australia"] == ("Canberra", "Oceania") and d["India"] == ("New Delhi", "Asia")

def test_alternatives_are_accepted_spellings():
    c = countries().set_index("country")
    assert c.loc["Brazil", "capital_alt"] == ["Brasília"] and c.loc["Colombia", "capital_alt"] == ["Bogotá"]
    assert c.loc["Australia", "continent_alt"] == ["Australia"]
    assert c.index.is_unique and words().word.is_unique

def test_bad_use_and_missing_rl_rows(monkeypatch):
    with pytest.raises(ValueError, match="use must be None, 'icl' or 'rl'"): countries("sft")
    with pytest.raises(ValueError, match="use must be None"): words("RL")
    monkeypatch.setattr(tasks, "RL_COUNTRIES", RL_COUNTRIES + ["Atlantis"])
    with pytest.raises(ValueError, match=r"\['Atlantis'\] are not in the table"): countries("rl")
