#!/usr/bin/env python
"""Execute notebooks top to bottom in place, keeping outputs.

Cells flagged `#| slow` keep their stored outputs unless `--slow` is given (or SLOW=1),
so the everyday run is fast and the committed full results stay in the notebooks.
Cells flagged `#| eval: false` are never run. Notebooks run with `nbs/` as working directory.
Progress bars are off while notebooks run for storage (TQDM_DISABLE=1), and stderr (warnings) is not stored:
a stored output is a result, the same on every machine. Interactive runs keep their progress bars.

    python tools/run_nbs.py                 # every notebook in nbs/, everyday cells
    python tools/run_nbs.py --slow nbs/10_probe.ipynb
"""
import argparse, os, re, sys, time
from pathlib import Path
import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
os.environ["TQDM_DISABLE"] = "1"  # inherited by the kernels: no progress text in stored outputs
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
_flag = lambda src, f: re.search(rf"^\s*#\|\s*{f}\b", src, re.M) is not None

class FlagClient(NotebookClient):
    "Runs code cells, skipping `#| slow` ones unless `slow` and `#| eval: false` always."
    def __init__(self, nb, slow=False, **kw):
        super().__init__(nb, **kw); self.slow = slow
    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        src = cell.source if cell.cell_type == "code" else ""
        if cell.cell_type == "code" and (re.search(r"^\s*#\|\s*eval:\s*false", src, re.M)
                                         or (_flag(src, "slow") and not self.slow)):
            print(f"    [{cell_index}] kept stored outputs ({'slow' if _flag(src, 'slow') else 'eval: false'})", flush=True)
            return cell
        t0 = time.time()
        out = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        if cell.cell_type == "code" and time.time() - t0 > 5:
            print(f"    [{cell_index}] {time.time()-t0:.0f}s", flush=True)
        return out

def drop_stderr(nb):
    "Remove stderr streams (warnings, progress) from every code cell's outputs."
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs = [o for o in c.outputs if not (o.output_type == "stream" and o.get("name") == "stderr")]
    return nb

def run(path: Path, slow=False, timeout=None):
    nb = nbformat.read(path, as_version=4)
    t0 = time.time(); print(f"==> {path.relative_to(ROOT)}{' (with slow cells)' if slow else ''}", flush=True)
    client = FlagClient(nb, slow=slow, timeout=timeout, kernel_name="python3",
                        resources={"metadata": {"path": str(path.parent)}})
    try: client.execute()
    finally: nbformat.write(drop_stderr(nb), path)  # keep what ran, even on failure
    print(f"    done in {time.time()-t0:.0f}s", flush=True)

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("notebooks", nargs="*", type=Path)
    p.add_argument("--slow", action="store_true", default=os.environ.get("SLOW", "0") not in ("", "0"),
                   help="also run `#| slow` cells (bigger models, more data)")
    a = p.parse_args()
    nbs = [n.resolve() for n in a.notebooks] or sorted((ROOT/"nbs").glob("*.ipynb"))
    # index.ipynb is the front page: run it last, after the results it shows were made
    nbs = sorted(nbs, key=lambda n: n.name == "index.ipynb")
    for n in nbs: run(n, slow=a.slow)

if __name__ == "__main__": sys.exit(main())
