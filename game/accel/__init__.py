"""The CPU accelerator for MLX on Linux: faster matrix products, native kernels, leaner llama steps."""
