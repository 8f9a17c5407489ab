#!/usr/bin/env python
"""Cost of probe statistics: wall time against a bare forward pass, and peak memory at 10k vs 100k tokens.

    python bench/probe.py                # smollm2-135m for the time ratio (if cached), a small random Llama for memory
    python bench/probe.py --quick        # small random Llama for both (no download)
    python bench/probe.py --model qwen2.5-1.5b --batches 2 --repeats 2 --no-memory   # the time ratio on a bigger model

Time: the same windows go through (a) a bare forward pass (logits only) and (b) a forward pass with hidden states, the
targets, and the x_t / x_(t-1) statistics of every layer (`controls=False`), and (c) with every control feature set too
(no random-weights model); runs are interleaved and the median per batch is kept, so the ratio is measured in one process.
Memory: each token count runs `probe_lm` end to end in a fresh subprocess; peak RSS is compared. 100k tokens of
smollm2-135m would take too long on a CPU, so the memory check uses a random Llama of 4 layers, d=128 (say so in reports).
"""
import argparse, json, os, resource, statistics, subprocess, sys, time
import torch

def tiny_llama(d=256, layers=8, vocab=49152, seed=0):
    from transformers import LlamaConfig, LlamaForCausalLM
    torch.manual_seed(seed)
    return LlamaForCausalLM(LlamaConfig(vocab_size=vocab, hidden_size=d, intermediate_size=2*d, num_hidden_layers=layers,
                                        num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=True)).eval()

def windows(n_tokens, length=128, seed=0, vocab=49152):
    "Random-token windows standing in for text (the cost does not depend on which tokens)."
    from shardbook.texts import TokenWindows
    n = max(1, n_tokens // length)
    ids = torch.randint(0, vocab, (n, length), generator=torch.Generator().manual_seed(seed))
    return TokenWindows(ids, torch.ones_like(ids), [f"d{i}" for i in range(n)])

def time_ratio(model, n_batches=6, batch_size=8, repeats=3):
    "Median seconds per batch: bare forward, forward + core statistics, forward + all feature sets."
    from shardbook.probe import ProbeCollector, _batch, check_model
    n_hs, V = check_model(model)
    w = windows(n_batches*batch_size*128)
    t = {"bare": [], "core": [], "all": [], "core64": []}
    cols = {k: ProbeCollector(n_hs, 128, V, controls=(k == "all"), gram_dtype=torch.float64 if k == "core64" else torch.float32,
                              pca_tokens=batch_size*128) for k in t if k != "bare"}
    g = torch.Generator().manual_seed(0)
    for r in range(repeats):
        for i in range(n_batches):
            rows = list(range(i*batch_size, (i+1)*batch_size))
            for k in t:
                t0 = time.perf_counter()
                if k == "bare":
                    with torch.no_grad(): model(input_ids=w.input_ids[rows], attention_mask=w.attention_mask[rows])
                else: cols[k].observe("train", _batch(model, None, w, rows, {}, g))
                if r > 0 or i > 0: t[k].append(time.perf_counter() - t0)  # first batch warms up
    return {k: statistics.median(v) for k, v in t.items()}

MEM_D, MEM_LAYERS, MEM_VOCAB = 128, 4, 4096

def _hwm_mb()->float:
    "Peak resident memory of this process (VmHWM; unlike ru_maxrss it is not inherited across fork+exec)."
    for l in open("/proc/self/status"):
        if l.startswith("VmHWM:"): return int(l.split()[1])/1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024

def peak_worker(n_tokens):
    "Run probe_lm end to end on `n_tokens` of random windows with the small model; print peak RSS in MB."
    import shardbook.probe as P
    from shardbook.texts import Document
    model = tiny_llama(MEM_D, MEM_LAYERS, MEM_VOCAB)
    base = _hwm_mb()
    w = windows(n_tokens, vocab=MEM_VOCAB)
    P.prepare_windows = lambda tok, docs, length, max_tokens, fractions, seed: (w, P.split_documents(w.doc_ids, fractions, seed))
    t0 = time.time()
    df = P.probe_lm(model, None, [Document("x", "unused")], name="bench", n_boot=200)
    print(json.dumps(dict(n_tokens=w.n_tokens, peak_mb=_hwm_mb(),
                          after_load_mb=base, seconds=time.time()-t0, rows=len(df))))

def peak(n_tokens):
    out = subprocess.run([sys.executable, __file__, "--peak-worker", str(n_tokens)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small random Llama for the time ratio too")
    p.add_argument("--batches", type=int, default=6)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--model", default="smollm2-135m", help="catalogue model for the time ratio (if cached)")
    p.add_argument("--no-memory", action="store_true", help="skip the 10k/100k-token peak-memory check")
    p.add_argument("--peak-worker", type=int, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.peak_worker: return peak_worker(a.peak_worker)
    torch.manual_seed(0)
    name = "random Llama d=256 x8"
    model = tiny_llama()
    if not a.quick:
        from shardbook.models import is_cached, load_lm
        if is_cached(a.model): model, _ = load_lm(a.model); name = a.model
    t = time_ratio(model, a.batches, repeats=a.repeats)
    print(f"\nWall time per batch of 8x128 tokens, {name}, {torch.get_num_threads()} threads (median of interleaved runs)")
    print(f"{'what':<58}{'s/batch':>9}{'ratio':>8}{'goal':>8}")
    rows = [("bare forward pass (logits only)", "bare", ""),
            ("+ hidden states, targets, x_t & x_(t-1) stats, all layers", "core", "<=1.15"),
            ("  same, batch XtX products in float64", "core64", ""),
            ("+ all control feature sets (no random-weights model)", "all", "")]
    for label, k, goal in rows: print(f"{label:<58}{t[k]:>9.3f}{t[k]/t['bare']:>8.2f}{goal:>8}")
    if a.no_memory: return
    small, big = peak(10_000), peak(100_000)
    print(f"\nPeak RSS of probe_lm end to end (random Llama d={MEM_D}, {MEM_LAYERS} layers, vocab {MEM_VOCAB}; "
          "with the random-weights control; fresh subprocess each)")
    print(f"{'tokens':>8}{'peak MB':>10}{'after model MB':>16}{'seconds':>9}")
    for r in (small, big): print(f"{r['n_tokens']:>8}{r['peak_mb']:>10.0f}{r['after_load_mb']:>16.0f}{r['seconds']:>9.0f}")
    print(f"peak 100k / 10k = {big['peak_mb']/small['peak_mb']:.3f} (goal < 1.10); growth above the loaded model "
          f"{small['peak_mb']-small['after_load_mb']:.0f} MB vs {big['peak_mb']-big['after_load_mb']:.0f} MB")

if __name__ == "__main__": sys.exit(main())
