"""MLX's CPU matmul is routed to OpenBLAS on Linux, and still computes the right thing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from game.accel import gemm_slot as blas

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the GOT patch is Linux-only")


@linux_only
def test_libmlx_imports_cblas_sgemm_through_a_got_slot() -> None:
    import mlx

    libmlx = Path(mlx.__path__[0]) / "lib" / "libmlx.so"
    slots = blas.got_slots(libmlx, blas.PATCHED_SYMBOLS)
    assert len(slots["cblas_sgemm"]) >= 1
    assert all(offset > 0 for offsets in slots.values() for offset in offsets)


@linux_only
def test_fast_blas_is_active_and_matmuls_stay_correct() -> None:
    import mlx.core as mx

    status = blas.ensure_fast_blas()
    assert status.backend == "openblas", status.detail
    assert blas.ensure_fast_blas() is status  # patched once per process
    rng = np.random.default_rng(3)
    for m, k, n in ((1, 576, 1536), (300, 200, 100), (64, 1536, 576)):
        a = rng.standard_normal((m, k)).astype(np.float32)
        b = rng.standard_normal((n, k)).astype(np.float32)
        got = np.array(mx.array(a) @ mx.array(b).T)  # the transposed form every nn.Linear uses
        np.testing.assert_allclose(got, a.astype(np.float64) @ b.T.astype(np.float64), rtol=1e-3, atol=1e-3)


def test_reference_blas_can_be_kept_on_request() -> None:
    env = dict(os.environ, ADVENTURE_BLAS="reference")
    code = "from game.accel.gemm_slot import ensure_fast_blas; print(ensure_fast_blas().backend)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=60, cwd=Path(__file__).resolve().parent.parent)
    assert out.stdout.strip() in ("reference", "native"), out.stderr[-1000:]
