"""The package reads like the codebases it follows (issue 16, `tools/style_stats.py`): no line of exported code
over 100 characters (nbdev writes `__all__` itself), no statements joined with `;`, no import cycle, and about one
exported definition per notebook cell."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("style_stats", ROOT/"tools"/"style_stats.py")
S = importlib.util.module_from_spec(spec)
spec.loader.exec_module(S)

def _all_lines(src):
    "Line numbers of nbdev's generated `__all__` assignment (it wraps that list at its own width)."
    lines, out, inside = src.splitlines(), set(), False
    for i, l in enumerate(lines, 1):
        if l.startswith("__all__"): inside = True
        if inside: out.add(i)
        if inside and l.rstrip().endswith("]"): inside = False
    return out

def test_line_length_and_semicolons():
    bad = []
    for p in S._files():
        src = p.read_text()
        bad += [f"{p.name}:{i} is {len(src.splitlines()[i-1])} characters" for i in S.long_lines(src)
                if i not in _all_lines(src)]
        bad += [f"{p.name}:{i} joins statements with ';'" for i in S.semicolon_lines(src)]
    assert not bad, "wrap these lines in their notebooks (then nbdev-export):\n" + "\n".join(bad)

def test_no_import_cycle():
    assert not S.cycles(S.import_graph()), S.cycles(S.import_graph())

def test_cycle_finder():
    assert S.cycles({"a": {"b"}, "b": {"a"}}) == [["a", "b", "a"]] and not S.cycles({"a": {"b"}, "b": set()})

def test_one_definition_per_exported_cell():
    cells = S.exported_cells()
    crowded = [(nb, n) for nb, _, n in cells if n > 2]
    assert sum(n for *_, n in cells) / len(cells) <= 1.1 and not crowded, \
        f"split these exported cells into one definition each: {crowded}"

def test_semicolon_finder():
    assert S.semicolon_lines("a = 1; b = 2\nc = 'x; y'  # z; w\n") == [1]
