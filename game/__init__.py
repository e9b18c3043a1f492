"""A terminal text adventure with a deterministic engine and a local LLM narrator."""
