"""Prompt stage: the cacheable prefix and per-turn suffix, and the cleanup of what the model wrote."""
