"""pytest setup shared by `tests/` and nbval over `nbs/`.

Tolerance policy (one home; the README states it): nbval compares a notebook's stored outputs with freshly
computed ones. Text must match exactly (runs of whitespace count as one space, so table padding may move);
each number in `stdout`, `text/plain` and `text/html` output may differ from its stored value by relative 2%
or absolute 1e-3, whichever is looser, and a decimal printed with two or more decimals may also move by one
unit in its last printed digit (a rounding boundary). Integers (counts, sampled answers) get the relative 2%
only, so "0 of 4" against "1 of 4" still fails. Other machines' BLAS kernels, SIMD width and thread counts
change floats in their last digits; this policy absorbs that and nothing as large as an R² moving by 0.05.

Chaotic loops (SAE training on a few dozen updates, sampling) turn that noise into different runs, so their cells
print a mean over seeds with its spread, as `m ± s`: there `m` may move by the larger of the stored and the new
spread, but by no more than 3 stored spreads, and `s` itself is not compared (on two CPUs one SAE seed of three
can diverge while the others agree to the last digit, so the spread of a few seeds is itself chaotic). Cells that
only illustrate one such run carry nbval's `# NBVAL_IGNORE_OUTPUT` line and a comment saying why; they must run.

Besides that:
- nbdev-clean nulls execution counts, and nbval then fails every cell that has outputs ("Unrun reference cell
  has outputs"). We renumber code cells as the notebook is read and map nbdev's `#| slow`, `#| notest` and
  `#| eval: false` flags to nbval skips.
- stderr (warnings) is not part of a result and is not compared.
- Notebooks run by nbval work in a temporary copy of `nbs/` (without the notebooks), so the results tables and
  figures they write never touch the checkout: `make test` leaves `git status` clean.
- Progress bars are off (`TQDM_DISABLE=1`) for kernels started by the tests, as for `tools/run_nbs.py`.
- To see every number that moved (within tolerance or not), set NBVAL_DIFFLOG=<file>: each compared output that
  differs from its stored value is appended there with its changed numbers.
"""
import atexit, os, re, shutil, tempfile, types
from pathlib import Path
import pytest

RTOL, ATOL = 0.02, 1e-3
os.environ.setdefault("TQDM_DISABLE", "1")  # inherited by nbval's kernels: no progress text in outputs
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("IN_TEST", "1")  # nbdev_export() at the end of a notebook does nothing in the sandbox

_NUM = re.compile(r"[-+−]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
_WS = re.compile(r"\s+")

def _split(s:str):
    "Text parts (whitespace collapsed) and number strings of `s`, alternating: text, num, text, ..., text."
    parts = _NUM.split(s)
    return [_WS.sub(" ", p) for p in parts], _NUM.findall(s)

def _decimals(x:str):
    "Digits after the point of a plain decimal (None for integers and exponent notation)."
    if "e" in x.lower() or "." not in x: return None
    return len(x.split(".")[1])

def numbers_close(ref:str, new:str, rtol=RTOL, atol=ATOL)->bool:
    "Is the number printed as `new` within the tolerance policy of the one printed as `ref`?"
    a, b = (float(x.replace("−", "-")) for x in (ref, new))
    if a == b: return True
    ints = _decimals(ref) is None and _decimals(new) is None and "e" not in (ref + new).lower()
    tol = rtol * max(abs(a), abs(b))
    if not ints:
        tol = max(tol, atol)
        d = [x for x in (_decimals(ref), _decimals(new)) if x is not None]
        if d and min(d) >= 2: tol = max(tol, 1.5 * 10.0 ** -min(d))  # one unit in the last digit, and rounding
    return abs(a - b) <= tol

def text_close(ref:str, new:str, rtol=RTOL, atol=ATOL):
    "None if `new` matches `ref` under the policy, else a one-line reason (the first difference)."
    if ref == new: return None
    (rt, rn), (nt, nn) = _split(ref), _split(new)
    if len(rn) != len(nn) or rt != nt:
        for i, (x, y) in enumerate(zip(rt, nt)):
            if x != y: return f"text differs: {x[-60:]!r} vs {y[-60:]!r}"
        return f"{len(rn)} numbers stored, {len(nn)} computed"
    for i, (x, y, before) in enumerate(zip(rn, nn, rt)):
        if i + 1 < len(rn) and rt[i + 1].strip() == "±":        # m ± s: m may move by the spread
            s, s_new = abs(float(rn[i + 1])), abs(float(nn[i + 1]))
            if abs(float(x) - float(y)) <= min(max(s, s_new), 3 * s) or numbers_close(x, y, rtol, atol): continue
        elif i > 0 and before.strip() == "±": continue              # the spread of a few chaotic seeds: any
        elif numbers_close(x, y, rtol, atol): continue
        return f"number {x} stored, {y} computed (after {before[-40:]!r})"
    return None

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

_SKIP = re.compile(r"^\s*#\|\s*(slow|notest|eval:\s*false)\b", re.M)

_SANDBOXES = {}
def sandbox(folder)->str:
    "A temporary copy of `folder` without its notebooks, made once per test session, for kernels to work in."
    folder = str(Path(folder).resolve())
    if folder not in _SANDBOXES:
        d = Path(tempfile.mkdtemp(prefix="shardbook-nbval-"))/Path(folder).name
        shutil.copytree(folder, d, ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
        atexit.register(shutil.rmtree, d.parent, True)
        _SANDBOXES[folder] = str(d)
    return _SANDBOXES[folder]

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

    _Kernel = _nbval.RunningKernel
    def _sandboxed_kernel(kernel_name, cwd=None, **kw): return _Kernel(kernel_name, cwd=sandbox(cwd), **kw)
    _nbval.RunningKernel = _sandboxed_kernel

    _compare = _nbval.IPyNbCell.compare_outputs
    def _compare_tolerant(self, test, ref, skip_compare=None):
        "nbval's comparison without stderr, and with numbers compared under the tolerance policy."
        keep = lambda outs: [o for o in outs if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
        test, ref = keep(test), keep(ref)
        if _compare(self, test, ref, skip_compare): return True
        if not _tolerable(self, test, ref, skip_compare): return False
        self.comparison_traceback = []
        return True
    _nbval.IPyNbCell.compare_outputs = _compare_tolerant

    def _flat(self, outs, skip):
        "nbval's flattening: {key or mime type: [values]} over all outputs, streams coalesced."
        d = {}
        for o in _nbval.transform_streams_for_comparison(outs):
            for k, v in o.items():
                if k in skip: continue
                if k == "data":
                    for m, x in v.items():
                        if m not in skip: d.setdefault(m, []).append(self.sanitize(x))
                else: d.setdefault(k, []).append(self.sanitize(v))
        return d

    def _tolerable(self, test, ref, skip_compare):
        "Do the outputs differ only by numbers within the policy? Adds the reason to nbval's report if not."
        skip = skip_compare or self.parent.skip_compare
        t, r = _flat(self, test, skip), _flat(self, ref, skip)
        if t.keys() != r.keys(): return False
        for k in r:
            if len(r[k]) != len(t[k]): return False
            for x, y in zip(r[k], t[k]):
                if x == y: continue
                if not (isinstance(x, str) and isinstance(y, str)): return False
                why = text_close(x, y)
                if os.environ.get("NBVAL_DIFFLOG"):
                    with open(os.environ["NBVAL_DIFFLOG"], "a") as f:
                        rt, rn = _split(x); nt, nn = _split(y)
                        f.write(f"### {self.name} {k} -> {why}\n")
                        f.write("".join(f"  {a} -> {b}\n" for a, b in zip(rn, nn) if a != b)[:3000])
                if why is not None:
                    self.comparison_traceback.append(f"\n beyond the tolerance policy (conftest.py) in {k!r}: {why}\n")
                    return False
        return True

def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="run @pytest.mark.slow tests")

def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow") or os.environ.get("SLOW", "0") not in ("", "0"): return
    skip = pytest.mark.skip(reason="slow: run with --runslow or SLOW=1")
    for it in items:
        if "slow" in it.keywords: it.add_marker(skip)
