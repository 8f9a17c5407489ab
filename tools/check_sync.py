#!/usr/bin/env python
"""Fail if the repo is out of sync with its notebooks:
`nbdev-export` must change nothing in shardbook/, `nbdev-clean` nothing in nbs/, and README.md must be what
tools/readme.py makes from nbs/index.ipynb. Files are compared by content, so no git is needed."""
import hashlib, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

def snapshot(folder, pattern):
    return {p.relative_to(ROOT).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((ROOT/folder).rglob(pattern)) if ".ipynb_checkpoints" not in p.parts}

def changed(before, after): return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))

def check(name, cmd, folder, pattern, fix):
    before = snapshot(folder, pattern)
    subprocess.run(cmd, cwd=ROOT, check=True)
    diff = changed(before, snapshot(folder, pattern))
    print(f"{name}: {'ok' if not diff else 'CHANGED ' + ', '.join(diff)}")
    if diff: print(f"  -> {fix}")
    return not diff

ok = check("nbdev-export changes nothing", [str(BIN/"nbdev-export")], "shardbook", "*.py",
           "shardbook/ was out of date with nbs/: the export just updated it; review and commit it.")
ok &= check("nbdev-clean changes nothing", [str(BIN/"nbdev-clean")], "nbs", "*.ipynb",
            "notebooks were not clean: nbdev-clean just cleaned them; review and commit.")
ok &= check("README.md is index.ipynb", [sys.executable, "tools/readme.py"], ".", "README.md",
            "README.md was regenerated from nbs/index.ipynb; review and commit it.")
sys.exit(0 if ok else 1)
