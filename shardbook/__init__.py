"""Literate research notebooks: shards as SAE latents over RL parameter updates, linear self-accuracy probes, and calibration of in-context task superposition.

Modules:

- `shardbook.shards_lm`: Claim A, part 2, as a library: analyse one GRPO run of a real LM (from `40_lm_rl`) for shards. Held-out reward, the Mukherjee sparsity check, FVU against L0, alignment of SAE latents with the reinforced tasks, and the selectivity of shards added to the weights, in one entry point, `analyze_run`, that returns a typed `RunAnalysis`. The claim notebook `42_shards_lm_claim` calls it once for the everyday run and once per slow run."""

__version__ = "0.1.0"
