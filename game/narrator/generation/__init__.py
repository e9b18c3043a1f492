"""Generation stage: the per-room prefix cache, the token loop, sampling, steering and checked sentences."""
