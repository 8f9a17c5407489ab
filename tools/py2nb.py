#!/usr/bin/env python
"""Authoring aid: turn a percent-format script into a notebook (outputs empty).

`# %%` starts a code cell; `# %% [markdown]` starts a markdown cell whose lines drop a leading `# `.
    python tools/py2nb.py draft.py nbs/10_probe.ipynb
"""
import sys, re, nbformat
from nbformat.v4 import new_notebook, new_code_cell, new_markdown_cell

def convert(text):
    cells, kind, buf = [], None, []
    def flush():
        src = "\n".join(buf).strip("\n")
        if kind == "markdown": cells.append(new_markdown_cell("\n".join(re.sub(r"^# ?", "", l) for l in src.splitlines())))
        elif kind == "code" and src.strip(): cells.append(new_code_cell(src))
    for line in text.splitlines():
        m = re.match(r"^# %%( \[markdown\])?\s*$", line)
        if m: flush(); kind, buf = ("markdown" if m.group(1) else "code"), []
        else: buf.append(line)
    flush()
    nb = new_notebook(cells=cells)
    nb.metadata = {"kernelspec": {"display_name": "python3", "language": "python", "name": "python3"}}
    return nb

if __name__ == "__main__":
    src, dst = sys.argv[1:3]
    nbformat.write(convert(open(src).read()), dst)
