#!/usr/bin/env python
"""Make README.md from nbs/index.ipynb (Quarto, which `nbdev-readme` needs, can't be had here).

Cells flagged `#| hide` are dropped, `#| echo: false` cells show only their outputs, nbdev directives are
removed, and figure links are made relative to the repo root."""
import re
from pathlib import Path
import nbformat
from nbconvert import MarkdownExporter
from traitlets.config import Config

ROOT = Path(__file__).resolve().parent.parent

def readme(nb_path=ROOT/"nbs"/"index.ipynb")->str:
    nb = nbformat.read(nb_path, as_version=4)
    cells = []
    for c in nb.cells:
        if c.cell_type == "code":
            if re.search(r"^#\|\s*hide\b", c.source, re.M): continue
            echo = not re.search(r"^#\|\s*echo:\s*false", c.source, re.M)
            c.source = re.sub(r"^#\|.*\n?", "", c.source, flags=re.M).strip()
            if not echo: c.metadata.setdefault("tags", []).append("remove_input")
            c.outputs = [o for o in c.outputs if not (o.output_type == "stream" and o.name == "stderr")]
            if not c.source and not c.outputs: continue
        cells.append(c)
    nb.cells = cells
    cfg = Config({"TagRemovePreprocessor": {"enabled": True, "remove_input_tags": {"remove_input"}}})
    md, _ = MarkdownExporter(config=cfg, exclude_input_prompt=True, exclude_output_prompt=True).from_notebook_node(nb)
    md = re.sub(r"\]\((?!https?:|/|nbs/)([^)]+\.(?:png|ipynb|csv))\)", r"](nbs/\1)", md)  # links relative to nbs/
    md = re.sub(r'src="(?!https?:|/|nbs/)([^"]+\.png)"', r'src="nbs/\1"', md)
    return re.sub(r"\n{3,}", "\n\n", md).strip() + "\n"

if __name__ == "__main__":
    (ROOT/"README.md").write_text(readme())
