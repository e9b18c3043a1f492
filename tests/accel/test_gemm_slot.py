"""MLX's CPU matmul is routed to OpenBLAS on Linux, and still computes the right thing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from game.accel import gemm_slot as blas
from tests.accel.kernel_support import route_gemm_with_kernels

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

    status = route_gemm_with_kernels()
    assert status.backend == "openblas", status.detail
    assert route_gemm_with_kernels() is status  # patched once per process
    assert blas.ensure_fast_blas("off", lambda: None) is status  # the first call decides
    rng = np.random.default_rng(3)
    for m, k, n in ((1, 576, 1536), (300, 200, 100), (64, 1536, 576)):
        a = rng.standard_normal((m, k)).astype(np.float32)
        b = rng.standard_normal((n, k)).astype(np.float32)
        got = np.array(mx.array(a) @ mx.array(b).T)  # the transposed form every nn.Linear uses
        np.testing.assert_allclose(got, a.astype(np.float64) @ b.T.astype(np.float64), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("value", ["reference", "off", "OFF", "0", "false", "No"])
def test_reference_blas_can_be_kept_on_request(value: str) -> None:
    env = dict(os.environ, ADVENTURE_BLAS=value)
    code = ("import os; from game.accel.switches import AccelSwitches; "
            "from game.accel.gemm_slot import ensure_fast_blas; "
            "print(ensure_fast_blas(AccelSwitches.from_environ(os.environ).blas, lambda: None).backend)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=60, cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "bundled", out.stderr[-1000:]
