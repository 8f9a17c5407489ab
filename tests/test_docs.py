"""nbdev's own doc tools work on these notebooks: `nbdev-proc-nbs`, the step of `nbdev-docs` and `nbdev-preview`
before Quarto is called, executes every exported cell and every cell holding an import. It runs here on a
temporary copy of the project, so the checkout is left as it was; a stub `quarto` on PATH stops nbdev from
trying to install Quarto (users of the docs have it)."""
import ast, json, os, shutil, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
NBS = sorted((ROOT/"nbs").glob("*.ipynb"))

def _mixed_cells(path):
    "Code cells that nbdev would execute for docs (they import) but that also run other top-level code."
    out = []
    for i, c in enumerate(json.loads(path.read_text())["cells"]):
        src = "".join(c["source"])
        if c["cell_type"] != "code" or "#| export" in src or "nbdev_export()" in src: continue
        code = "\n".join("" if l.startswith(("%", "!")) else l for l in src.splitlines())
        body = ast.parse(code).body
        imports = [s for s in body if isinstance(s, (ast.Import, ast.ImportFrom))]
        if imports and len(imports) < len(body): out.append(i)
    return out

@pytest.mark.parametrize("path", NBS, ids=lambda p: p.name)
def test_imports_in_own_cells(path):
    assert not _mixed_cells(path), (f"{path.name}: cells {_mixed_cells(path)} mix imports with other code; "
                                    "nbdev's docs execute them out of order: move the imports into their own cell")

def test_mixed_cells_found(tmp_path):
    nb = dict(cells=[dict(cell_type="code", source=["import os\n", "x = os.sep"])])
    (tmp_path/"t.ipynb").write_text(json.dumps(nb))
    assert _mixed_cells(tmp_path/"t.ipynb") == [0]

def test_nbdev_proc_nbs(tmp_path):
    for p in ["pyproject.toml", "nbs", "shardbook"]:
        (shutil.copytree if (ROOT/p).is_dir() else shutil.copy)(ROOT/p, tmp_path/p)
    stub = tmp_path/"bin"/"quarto"
    stub.parent.mkdir()
    stub.write_text("#!/bin/sh\nexit 0\n")
    stub.chmod(0o755)
    env = dict(os.environ, PATH=f"{stub.parent}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               OMP_NUM_THREADS="1")
    r = subprocess.run(["nbdev-proc-nbs", "--n-workers", "1"], cwd=tmp_path, env=env, capture_output=True, text=True)
    log = r.stdout + r.stderr
    assert r.returncode == 0 and "Error in notebook" not in log, log[-3000:]
    assert "Found cells containing imports and other code" not in log, log[-3000:]
    done = {p.name for p in (tmp_path/"_proc").glob("*.ipynb")}
    assert done == {p.name for p in NBS}, f"not processed: {sorted({p.name for p in NBS} - done)}"
