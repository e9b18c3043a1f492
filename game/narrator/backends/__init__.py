"""Model runtimes: loading a model (the embedded GGUF, a local folder, a Hugging Face id)."""
