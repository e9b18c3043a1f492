"""Persistence: save slots, autosave ring, verified replay, export/import."""
