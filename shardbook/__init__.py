"""Literate research notebooks: shards as SAE latents over RL parameter updates, linear self-accuracy probes, and calibration of in-context task superposition."""

__version__ = "0.1.0"
