"""The native library for tests: the one in libmlx's sgemm slot (fixture `library`), or one built
with chosen compiler flags (tests of both builds, AVX2 and plain C)."""

from __future__ import annotations

import ctypes
from pathlib import Path

import pytest

from game.accel import gemm_slot as blas
from game.accel import kernels as native


def kernel_built_with(flags: tuple[str, ...], folder: Path):
    """The kernel built with ``flags``, wired to OpenBLAS, and its adv_sgemm ready to call."""
    library_path = folder / "kernel.so"
    assert native.build(native.find_compiler(), native.SOURCES, library_path, (flags,)) is None
    library = native.declare(ctypes.CDLL(str(library_path)))
    openblas = ctypes.CDLL(str(blas._openblas_library()))
    library.adv_init(ctypes.cast(openblas.scipy_cblas_sgemm, ctypes.c_void_p).value,
                     ctypes.cast(openblas.scipy_cblas_sgemv, ctypes.c_void_p).value)
    sgemm = library.adv_sgemm
    p, i, f = ctypes.c_void_p, ctypes.c_int, ctypes.c_float
    sgemm.argtypes = [i, i, i, i, i, i, f, p, i, p, i, f, p, i]
    return library, sgemm


@pytest.fixture()
def library():
    """The native front end in libmlx's sgemm slot (fails the test when it is not there)."""
    if blas.ensure_fast_blas().backend != "openblas" or blas.native_front_end() is None:
        pytest.fail(f"the native front end is not in place: {blas.blas_status()}")
    return blas.native_front_end()
