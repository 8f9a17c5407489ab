"""pytest setup shared by `tests/` and nbval over `nbs/`.

nbdev-clean nulls execution counts, and nbval then fails every cell that has outputs
("Unrun reference cell has outputs"). We renumber code cells as the notebook is read,
map nbdev's `#| slow`, `#| notest` and `#| eval: false` flags to nbval skips, and compare
stdout and rich outputs only: stderr (progress bars, warnings) is not part of a result.
"""
import os, re, types
import pytest

_SKIP = re.compile(r"^\s*#\|\s*(slow|notest|eval:\s*false)\b", re.M)

def renumber(nb):
    "Give code cells consecutive execution counts and tag flagged cells `nbval-skip`."
    n = 0
    for c in nb.cells:
        if c.cell_type != "code": continue
        n += 1
        c.execution_count = n
        for o in c.get("outputs", []):
            if "execution_count" in o: o["execution_count"] = n
        if _SKIP.search(c.source):
            tags = c.metadata.setdefault("tags", [])
            if "nbval-skip" not in tags: tags.append("nbval-skip")
    return nb

try:
    import nbformat, nbval.plugin as _nbval
except ImportError:  # nbval is a dev dependency; tests/ still run without it
    _nbval = None

if _nbval is not None:
    class _NbformatShim(types.ModuleType):
        "nbformat, except that `read` renumbers cells (see `renumber`)."
        def __getattr__(self, k): return getattr(nbformat, k)
        @staticmethod
        def read(fp, as_version, **kw): return renumber(nbformat.read(fp, as_version, **kw))
    _nbval.nbformat = _NbformatShim("nbformat")

    _compare = _nbval.IPyNbCell.compare_outputs
    def _compare_no_stderr(self, test, ref, skip_compare=None):
        keep = lambda outs: [o for o in outs if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
        return _compare(self, keep(test), keep(ref), skip_compare)
    _nbval.IPyNbCell.compare_outputs = _compare_no_stderr

def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="run @pytest.mark.slow tests")

def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow") or os.environ.get("SLOW", "0") not in ("", "0"): return
    skip = pytest.mark.skip(reason="slow: run with --runslow or SLOW=1")
    for it in items:
        if "slow" in it.keywords: it.add_marker(skip)
