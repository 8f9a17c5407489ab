"Stored notebook outputs are results only: no stderr, no progress-bar or timing text (tools/run_nbs.py strips them)."
import re
from pathlib import Path
import nbformat, pytest

NBS = sorted((Path(__file__).resolve().parent.parent/"nbs").glob("*.ipynb"))
PROGRESS = re.compile(r"\d+%\|[^|\n]*\||\d+(\.\d+)?\s?(s/it|it/s)\b|\[\d+:\d+<\d+:\d+")

@pytest.mark.parametrize("path", NBS, ids=lambda p: p.name)
def test_no_progress_or_stderr(path):
    nb = nbformat.read(path, as_version=4)
    for i, c in enumerate(nb.cells):
        for o in c.get("outputs", []):
            assert not (o.output_type == "stream" and o.get("name") == "stderr"), \
                f"{path.name} cell {i} stores stderr: rerun it with tools/run_nbs.py, which drops stderr"
            text = o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
            assert not PROGRESS.search(text), f"{path.name} cell {i} stores progress text: {PROGRESS.search(text)[0]!r}"

def test_progress_pattern():
    assert PROGRESS.search("GRPO:  50%|█████     | 6/12 [00:53<00:54,  9.05s/it]")
    assert PROGRESS.search("loaded 272/272 [00:00<00:00, 11015.05it/s]")
    assert not PROGRESS.search("AMI 0.957 (50% of updates)")
