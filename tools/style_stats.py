"""How the package reads, measured the way issue 16 measured it against fastcore/nbdev/execnb: function length,
long lines, `;`-joined statements, exported cell size and definitions per exported cell, import cycles.

    python tools/style_stats.py            # the table
    python tools/style_stats.py --long     # also list every package line over 100 characters or joined with `;`
"""
import ast, io, json, statistics, sys, tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT/"shardbook"

def _files(): return [p for p in sorted(PKG.glob("*.py")) if p.name not in ("_modidx.py", "__init__.py")]

def semicolon_lines(src):
    "Line numbers holding a `;` token outside strings and comments (statements joined on one line)."
    toks = tokenize.generate_tokens(io.StringIO(src).readline)
    return sorted({t.start[0] for t in toks if t.type == tokenize.OP and t.string == ";"})

def long_lines(src, limit=100): return [i + 1 for i, l in enumerate(src.splitlines()) if len(l) > limit]

def func_lengths(src):
    return [n.end_lineno - n.lineno + 1 for n in ast.walk(ast.parse(src))
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]

def exported_cells():
    "(notebook, lines, top-level definitions) of each exported cell."
    out = []
    for nb in sorted((ROOT/"nbs").glob("*.ipynb")):
        for c in json.loads(nb.read_text())["cells"]:
            src = "".join(c["source"])
            if c["cell_type"] != "code" or not any(l.strip() in ("#| export", "#| exports") for l in src.splitlines()):
                continue
            code = [l for l in src.splitlines() if not l.startswith("#|")]
            body = ast.parse("\n".join(code)).body
            defs = sum(isinstance(s, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) for s in body)
            out.append((nb.name, len(code), defs))
    return out

def import_graph():
    "module -> set of package modules it imports (any depth in the file)."
    g = {}
    for p in _files():
        deps = set()
        for n in ast.walk(ast.parse(p.read_text())):
            if isinstance(n, ast.ImportFrom) and n.level == 1 and n.module: deps.add(n.module.split(".")[0])
            if isinstance(n, ast.ImportFrom) and n.module and n.module.startswith("shardbook."):
                deps.add(n.module.split(".")[1])
        g[p.stem] = deps - {p.stem}
    return g

def cycles(g):
    "Pairs (or longer loops) of modules that import each other, found by depth-first search."
    found, state = [], {}
    def visit(m, path):
        state[m] = 1
        for d in sorted(g.get(m, ())):
            if state.get(d) == 1: found.append(path[path.index(d):] + [d])
            elif d not in state: visit(d, path + [d])
        state[m] = 2
    for m in sorted(g):
        if m not in state: visit(m, [m])
    return found

def q(xs, p): return sorted(xs)[min(len(xs) - 1, int(p*len(xs)))]

def stats():
    srcs = {p.name: p.read_text() for p in _files()}
    n = sum(len(s.splitlines()) for s in srcs.values())
    fl = [x for s in srcs.values() for x in func_lengths(s)]
    cells = exported_cells()
    return {"function length, median / p90": f"{statistics.median(fl):g} / {q(fl, .9)}",
            "lines over 100 characters": f"{100*sum(len(long_lines(s)) for s in srcs.values())/n:.1f}%",
            "lines joining statements with `;`": f"{100*sum(len(semicolon_lines(s)) for s in srcs.values())/n:.1f}%",
            "exported cell, median lines; definitions per exported cell":
                f"{statistics.median(c[1] for c in cells):g}; {sum(c[2] for c in cells)/len(cells):.2f}"
                f" (largest {max(c[1] for c in cells)} lines, {max(cells, key=lambda c: c[1])[0]})",
            "import cycles": str(len(cycles(import_graph()))) + "".join(f" {'->'.join(c)}" for c in cycles(import_graph()))}

if __name__ == "__main__":
    for k, v in stats().items(): print(f"| {k} | {v} |")
    if "--long" in sys.argv:
        for p in _files():
            s = p.read_text()
            for i in long_lines(s): print(f"{p.name}:{i}: long ({len(s.splitlines()[i-1])})")
            for i in semicolon_lines(s): print(f"{p.name}:{i}: ;")
