"""The kernel library for tests: the one in libmlx's sgemm slot (fixture `library`), or one built
with chosen compiler flags (tests of both builds, AVX2 and plain C)."""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

import pytest

from game.accel import gemm_slot as blas
from game.accel import kernels
from game.accel.switches import AccelSwitches
from game.paths import cache_dir


def kernel_built_with(flags: tuple[str, ...], folder: Path):
    """The kernel built with ``flags``, wired to OpenBLAS, and its adv_sgemm ready to call."""
    library_path = folder / "kernel.so"
    assert kernels.build(kernels.find_compiler(), kernels.SOURCES, library_path, (flags,)) is None
    library = kernels.declare(ctypes.CDLL(str(library_path)))
    openblas = ctypes.CDLL(str(blas._openblas_library()))
    library.adv_init(ctypes.cast(openblas.scipy_cblas_sgemm, ctypes.c_void_p).value,
                     ctypes.cast(openblas.scipy_cblas_sgemv, ctypes.c_void_p).value)
    sgemm = library.adv_sgemm
    p, i, f = ctypes.c_void_p, ctypes.c_int, ctypes.c_float
    sgemm.argtypes = [i, i, i, i, i, i, f, p, i, p, i, f, p, i]
    return library, sgemm


def route_gemm_with_kernels() -> blas.BlasStatus:
    """libmlx's GEMM routed to OpenBLAS with the kernel front end (once per process), as the
    accelerator's entry function does it with every switch on."""
    compilers = AccelSwitches.from_environ(os.environ).compilers
    return blas.ensure_fast_blas("front-end", lambda: kernels.load_kernels(cache_dir(), compilers))


@pytest.fixture()
def library():
    """The kernel front end in libmlx's sgemm slot (fails the test when it is not there)."""
    if route_gemm_with_kernels().backend != "openblas" or blas.gemm_front_end() is None:
        pytest.fail(f"the kernel front end is not in place: {blas.blas_status()}")
    return blas.gemm_front_end()
