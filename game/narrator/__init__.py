"""The MLX narrator: model resolution, prompts, per-location prefix caches, the streaming worker."""
