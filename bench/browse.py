"""Cost of the shard browser (`shardbook.browse`) for the everyday run's SAE, against fitting that SAE.

Loads the finished everyday TRL run (`lmrl.EVERYDAY`; `make reproduce` trains it once), fits the claim notebook's SAE
on its live per-episode updates (`shards_lm.fit_sae` with `EVERYDAY_ANALYSIS`'s latents, k, rank and steps), then,
in the same process:
- encodes the updates once (`sae.codes`), the least any browser must do;
- writes the browser (`write_browser`: index and one page per latent);
- loads every page in headless Chromium (`check_browser`), where Chromium is installed.
The table gives wall times (median of `--repeat` runs), the ratio to fitting the SAE, and the size of the folder.

    python bench/browse.py [--repeat 3] [--threads 1]
"""
import argparse, statistics, tempfile, time, warnings
from pathlib import Path
import pandas as pd, torch
from shardbook.browse import write_browser, check_browser, find_chromium
from shardbook.lmrl import EVERYDAY, run_trl
from shardbook.models import load_lm
from shardbook.sae import codes
from shardbook.shards_lm import EVERYDAY_ANALYSIS, fit_sae, live_updates

warnings.filterwarnings("ignore")

def timed(f, repeat):
    "Median wall time of `repeat` calls of `f`, and its last result."
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = f()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), out

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    model, tok = load_lm(EVERYDAY.model)
    run = run_trl(model, tok, EVERYDAY, progress=False)
    data, ep = live_updates(run)
    s = EVERYDAY_ANALYSIS
    fit = lambda: fit_sae(data, run.layout, n_latents=s.sae_latents, k=s.sae_k, rank=s.sae_rank,
                          steps=s.sae_steps, seed=s.seed)
    t_fit, sae = timed(fit, a.repeat)
    t_codes, C = timed(lambda: codes(sae, data), a.repeat)
    out = Path(tempfile.mkdtemp())/"browser"
    t_write, index = timed(lambda: write_browser(out, sae, data, ep, label="task", codes=C), a.repeat)
    size = sum(f.stat().st_size for f in out.iterdir())
    rows = [dict(step="fit the SAE (baseline)", seconds=t_fit),
            dict(step="encode the updates once", seconds=t_codes),
            dict(step="write the browser", seconds=t_write)]
    if find_chromium():
        t_check, chk = timed(lambda: check_browser(index), 1)
        assert not chk["errors"] and not chk["dead"], (chk["errors"], chk["dead"])
        rows.append(dict(step=f"load all {len(chk['texts'])} pages in Chromium", seconds=t_check))
    df = pd.DataFrame(rows).assign(ratio_to_fit=lambda d: d.seconds / t_fit)
    print(f"{EVERYDAY.model}, {EVERYDAY.steps} steps: {len(data)} live updates, SAE with {sae.n_latents} "
          f"latents (k={sae.k}); threads={a.threads}, median of {a.repeat}")
    print(df.round(3).to_string(index=False))
    print(f"browser folder: {len(list(out.iterdir()))} files, {size / 2**20:.2f} MiB")

if __name__ == "__main__":
    main()
