# Provenance: the background script that produced committed slow-run rows of nbs/11_probe_claim.ipynb
# (the same probe_model call as its #| slow cell; run on 2026-11-21 on the shared 2-core dev machine).
import time
from shardbook.probe import probe_model
t = time.time()
df = probe_model("qwen2.5-1.5b", "lee", csv="/tmp/probe_runs/qwen_probe.csv", max_tokens=3000, fractions=(0.5, 0.15, 0.35), random_control=False)
print("qwen2.5-1.5b wall", time.time()-t, df.attrs, flush=True)
