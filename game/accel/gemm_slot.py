"""Make MLX's CPU matmuls use an optimized OpenBLAS on Linux, with nothing for the user to do.

Why: the `mlx-cpu` wheel links the netlib *reference* BLAS, some thirty times slower than
OpenBLAS (figures in docs/accelerator.md), which makes the narrator crawl. The PyPI package `scipy-openblas32`
ships an optimized OpenBLAS, but every symbol in it is prefixed (`scipy_cblas_sgemm`), so
neither LD_PRELOAD nor `RTLD_GLOBAL` can stand it in for `cblas_sgemm`.

How: `libmlx.so` binds `cblas_sgemm`/`cblas_dgemm`/`cblas_cgemm` lazily through its GOT
(`.got.plt`, outside RELRO). After MLX is loaded we read libmlx's ELF relocation table, find the
GOT slot of each of those symbols and store the address of the matching `scipy_cblas_*` function
there. The signatures are identical (both LP64 CBLAS), so from then on every float32 matmul
in MLX runs in OpenBLAS. No re-exec, no environment variable: one function call before the
first model is built. The result is verified on small matmuls against numpy and undone if it
ever disagrees.

The `cblas_sgemm` slot itself gets a front end: the C kernel library (`csrc/qgemv.c`, built with
the system C compiler on first use; see quantized_twin.py) when it builds, else a 124-byte
machine-code stub that sends one-row products to sgemv.

The slot is process-wide, so the routing is done once per process (under a lock) and its
outcome kept here; only the accelerator's entry function asks for it.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import struct
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from game.accel.kernels import KernelLibrary
from game.accel.switches import BlasMode

PATCHED_SYMBOLS = ("cblas_sgemm", "cblas_dgemm", "cblas_cgemm")

_SHT_DYNSYM = 11
_R_X86_64_GLOB_DAT = 6
_R_X86_64_JUMP_SLOT = 7
_R_AARCH64_GLOB_DAT = 1025
_R_AARCH64_JUMP_SLOT = 1026
_SLOT_TYPES = {_R_X86_64_GLOB_DAT, _R_X86_64_JUMP_SLOT, _R_AARCH64_GLOB_DAT, _R_AARCH64_JUMP_SLOT}
_SHT_RELA = 4


@dataclass(frozen=True)
class BlasStatus:
    """What `ensure_fast_blas` did: `backend` is "openblas" (libmlx's slots patched) or "bundled"
    (left alone: MLX's own BLAS, the netlib reference on Linux); `detail` says how or why."""

    backend: str
    detail: str
    threads: int = 1


_lock = threading.Lock()
_status: BlasStatus | None = None
_openblas: ctypes.CDLL | None = None
_front_end_library: ctypes.CDLL | None = None  # the kernel library in the sgemm slot, when it built


def got_slots(library: Path, symbols: tuple[str, ...]) -> dict[str, list[int]]:
    """GOT slot offsets (relative to the load base) of each imported ``symbols`` in an ELF64 .so.

    Reads the section headers, the dynamic symbol table and every RELA section; only
    JUMP_SLOT/GLOB_DAT relocations (function pointers the dynamic linker fills in) count.
    """
    with library.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            raise ValueError(f"{library} is not a little-endian ELF64 file")
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
        sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
        # (name, type, flags, addr, offset, size, link, info, addralign, entsize)
        dynsym_index = next(i for i, s in enumerate(sections) if s[1] == _SHT_DYNSYM)
        dynsym = sections[dynsym_index]
        dynstr = sections[dynsym[6]]

        def symbol_name(index: int) -> str:
            st_name, = struct.unpack_from("<I", data, dynsym[4] + index * 24)
            start = dynstr[4] + st_name
            end = data.find(b"\0", start)
            return data[start:end].decode("ascii", "replace")

        wanted = set(symbols)
        slots: dict[str, list[int]] = {name: [] for name in symbols}
        for section in sections:
            if section[1] != _SHT_RELA or section[6] != dynsym_index:
                continue
            for off in range(section[4], section[4] + section[5], 24):
                r_offset, r_info, _ = struct.unpack_from("<QQq", data, off)
                if (r_info & 0xFFFFFFFF) not in _SLOT_TYPES:
                    continue
                name = symbol_name(r_info >> 32)
                if name in wanted:
                    slots[name].append(r_offset)
        return slots


def _load_base(handle: int) -> int:
    """The load base (l_addr) of a dlopen'ed library, via dlinfo(RTLD_DI_LINKMAP)."""
    libc = ctypes.CDLL(None)
    link_map = ctypes.c_void_p()
    rtld_di_linkmap = 2
    if libc.dlinfo(ctypes.c_void_p(handle), rtld_di_linkmap, ctypes.byref(link_map)) != 0:
        raise OSError("dlinfo failed")
    return ctypes.c_size_t.from_address(link_map.value).value  # struct link_map { ElfW(Addr) l_addr; ... }


def _make_writable(address: int) -> None:
    """mprotect the page of ``address`` read-write (only needed if the slot sits in RELRO)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    page = mmap.PAGESIZE
    start = address & ~(page - 1)
    if libc.mprotect(ctypes.c_void_p(start), page, 0x1 | 0x2) != 0:  # PROT_READ | PROT_WRITE
        raise OSError(ctypes.get_errno(), "mprotect failed")


# x86-64 machine code of a tiny `cblas_sgemm` front end (GNU as source, intel syntax):
#     cmp ecx,1; jne gemm          ; M == 1 ?            (a decode step: one token)
#     cmp edi,101; jne gemm        ; CblasRowMajor ?
#     mov r10,[rsp+8]              ; X = A
#     mov r11d,1; cmp esi,112; jne 1f; mov r11d,[rsp+16]   ; incX = transA ? lda : 1
#  1: cmp edx,112; jne 2f          ; transB == Trans: y = B x  (B is N x K)
#     mov esi,111; mov edx,r8d; mov ecx,r9d; jmp 3f
#  2: mov esi,112; mov edx,r9d; mov ecx,r8d                 ; else y = B^T x (B is K x N)
#  3: mov r8,[rsp+24]; mov r9d,[rsp+32]                     ; B, ldb
#     mov rax,[rsp+40]; mov [rsp+8],r10; mov [rsp+16],r11   ; rewrite our own stack arguments
#     mov [rsp+24],rax; mov qword [rsp+32],1                ; ... into X, incX, Y, incY
#     movabs rax,<scipy_cblas_sgemv>; jmp rax               ; tail call: sgemv returns to MLX
#  gemm: movabs rax,<scipy_cblas_sgemm>; jmp rax
# Why: for M == 1 OpenBLAS's sgemm packs the whole weight matrix first; its sgemv streams it
# once (three to five times faster for these shapes: docs/accelerator.md).
_SGEMM_FRONT_END = bytes.fromhex(
    "83f901756a83ff6575654c8b54240841bb0100000083fe707505448b5c241083fa70750dbe6f000000"
    "4489c24489c9eb0bbe700000004489ca4489c14c8b442418448b4c2420488b4424284c895424084c89"
    "5c2410488944241848c74424200100000048b81111111111111111ffe048b82222222222222222ffe0"
)
_GEMV_SLOT = bytes.fromhex("1111111111111111")
_GEMM_SLOT = bytes.fromhex("2222222222222222")
_code_pages: list[int] = []  # executable pages we made; kept for the life of the process


def _sgemm_front_end(sgemm: int, sgemv: int) -> int | None:
    """Build the M == 1 -> sgemv front end in an executable page; None where it cannot run."""
    import platform

    if platform.machine() not in ("x86_64", "AMD64"):
        return None
    code = _SGEMM_FRONT_END.replace(_GEMV_SLOT, struct.pack("<Q", sgemv)).replace(
        _GEMM_SLOT, struct.pack("<Q", sgemm))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    prot_read, prot_write, prot_exec = 1, 2, 4
    map_private, map_anonymous = 0x02, 0x20
    page = libc.mmap(None, mmap.PAGESIZE, prot_read | prot_write, map_private | map_anonymous, -1, 0)
    if page in (None, ctypes.c_void_p(-1).value):
        return None
    ctypes.memmove(page, code, len(code))
    if libc.mprotect(ctypes.c_void_p(page), mmap.PAGESIZE, prot_read | prot_exec) != 0:
        return None  # W^X policies (SELinux execmem) forbid it: plain sgemm still works
    _code_pages.append(page)
    return page


def _gemv_zeroes_with_beta_zero(openblas: ctypes.CDLL) -> bool:
    """sgemv with beta = 0 must overwrite y (MLX hands over uninitialised outputs), not scale NaNs."""
    p, i, f = ctypes.c_void_p, ctypes.c_int, ctypes.c_float
    gemv = openblas.scipy_cblas_sgemv
    gemv.argtypes = [i, i, i, i, f, p, i, p, i, f, p, i]
    gemv.restype = None
    a = (ctypes.c_float * 12)(*([1.0] * 12))
    x = (ctypes.c_float * 4)(*([1.0] * 4))
    y = (ctypes.c_float * 3)(*([float("nan")] * 3))
    gemv(101, 111, 3, 4, 1.0, ctypes.addressof(a), 4, ctypes.addressof(x), 1, 0.0, ctypes.addressof(y), 1)
    return list(y) == [4.0, 4.0, 4.0]


def _is_writable(address: int) -> bool:
    """Whether ``address`` lies in a writable mapping of this process (writing elsewhere would crash)."""
    with open("/proc/self/maps", encoding="ascii") as maps:
        for line in maps:
            span, perms = line.split()[:2]
            low, high = (int(x, 16) for x in span.split("-"))
            if low <= address < high:
                return "w" in perms
    raise OSError(f"address {address:#x} is not mapped")


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _default_threads(kernel_front_end: bool) -> int:
    """OpenBLAS threads: every core (at most 4) with the kernel front end, else one core fewer.

    Why: OpenBLAS threads its sgemv above ~9K elements and its worker threads spin while they
    wait. When every decoded token went through OpenBLAS (hundreds of attention products per
    token), 2 threads on 2 busy cores made decode steps several times slower, so one core stays
    free. The kernel front end keeps all products of up to 4 rows (decoding) on MLX's own
    thread; OpenBLAS then only sees prompt-sized GEMMs, where a second core pays off.
    Workers stop spinning after ~1M cycles (OPENBLAS_THREAD_TIMEOUT).
    """
    cores = _cores()
    return max(1, min(4, cores if kernel_front_end else cores - 1))


def _openblas_library() -> Path | None:
    try:
        import scipy_openblas32
    except ImportError:
        return None
    lib_dir = Path(scipy_openblas32.get_lib_dir())
    candidates = sorted(lib_dir.glob(f"lib{scipy_openblas32.get_library()}*.so*"))
    return candidates[0] if candidates else None


def _mlx_library() -> Path:
    import mlx.core  # noqa: F401  (loads libmlx.so)
    import mlx

    for location in mlx.__path__:
        candidate = Path(location) / "lib" / "libmlx.so"
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("libmlx.so not found next to the mlx package")


def _matmul_check() -> bool:
    """MLX float32 matmuls of every form the front end reroutes equal the float64 product."""
    import mlx.core as mx
    import numpy as np

    rng = np.random.default_rng(7)

    def same(got: mx.array, want: np.ndarray) -> bool:
        return bool(np.allclose(np.array(got), want, rtol=1e-4, atol=1e-4))

    a = rng.standard_normal((67, 45)).astype(np.float32)
    b = rng.standard_normal((45, 33)).astype(np.float32)
    row = rng.standard_normal((1, 45)).astype(np.float32)
    col = rng.standard_normal((45, 1)).astype(np.float32)
    c = rng.standard_normal((1, 33)).astype(np.float32)
    wide = rng.standard_normal((33, 45)).astype(np.float32)
    f64 = lambda x: x.astype(np.float64)  # noqa: E731
    few = rng.standard_normal((3, 64)).astype(np.float32)        # a few rows, as in attention
    keys = rng.standard_normal((40, 64)).astype(np.float32)
    values = rng.standard_normal((40, 32)).astype(np.float32)
    checks = [
        same(mx.matmul(mx.array(few), mx.array(keys).T), f64(few) @ f64(keys).T),
        same(mx.matmul(mx.array(few[:, :40]), mx.array(values)), f64(few[:, :40]) @ f64(values)),
        same(mx.matmul(mx.array(a), mx.array(b)), f64(a) @ f64(b)),
        same(mx.matmul(mx.array(row), mx.array(b)), f64(row) @ f64(b)),              # B not transposed
        same(mx.matmul(mx.array(row), mx.array(wide).T), f64(row) @ f64(wide).T),    # x @ W.T (nn.Linear)
        same(mx.matmul(mx.array(col).T, mx.array(b)), f64(col).T @ f64(b)),          # A transposed
        same(mx.addmm(mx.array(c), mx.array(row), mx.array(b), alpha=0.5, beta=2.0),
             2.0 * f64(c) + 0.5 * (f64(row) @ f64(b))),
    ]
    return all(checks)


def _patch(mode: BlasMode, load_kernels: Callable[[], KernelLibrary]) -> BlasStatus:
    if not sys.platform.startswith("linux"):
        return BlasStatus("bundled", "not Linux: MLX uses Accelerate/Metal")
    if mode == "off":
        return BlasStatus("bundled", "switched off by ADVENTURE_BLAS")
    openblas_path = _openblas_library()
    if openblas_path is None:
        return BlasStatus("bundled", "scipy-openblas32 is not installed (pip install scipy-openblas32)")
    configured = os.environ.get("OPENBLAS_NUM_THREADS", "").strip()
    threads = int(configured) if configured.isdigit() else _default_threads(False)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(threads))  # read by OpenBLAS when loaded
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "20")  # spin 2^20 cycles, then sleep
    openblas = ctypes.CDLL(str(openblas_path))
    try:
        mlx_path = _mlx_library()
    except (ImportError, FileNotFoundError) as exc:
        return BlasStatus("bundled", f"no libmlx.so to patch ({exc})")
    slots = got_slots(mlx_path, PATCHED_SYMBOLS)
    if not slots["cblas_sgemm"]:
        return BlasStatus("bundled", "libmlx.so does not import cblas_sgemm (statically linked BLAS?)")
    base = _load_base(ctypes.CDLL(str(mlx_path))._handle)
    targets = {symbol: ctypes.cast(getattr(openblas, f"scipy_{symbol}"), ctypes.c_void_p).value
               for symbol in slots}
    front_end, how = None, "sgemm only"
    kernels = None
    if mode != "gemm-only" and _gemv_zeroes_with_beta_zero(openblas):
        sgemv = ctypes.cast(openblas.scipy_cblas_sgemv, ctypes.c_void_p).value
        front_end, kernels, how = _front_end(targets["cblas_sgemm"], sgemv, load_kernels)
    originals = _write_slots(base, slots, dict(targets, cblas_sgemm=front_end or targets["cblas_sgemm"]))
    correct = _matmul_check()
    if front_end is not None and not correct:
        _write_slots(base, slots, targets)  # the front end misbehaved: plain sgemm only
        front_end, kernels, how = None, None, "sgemm only"
        correct = _matmul_check()
    if not correct:
        for address, value in originals:
            ctypes.c_size_t.from_address(address).value = value
        return BlasStatus("bundled", "OpenBLAS gave a wrong matmul result; kept the reference BLAS")
    global _openblas, _front_end_library
    _openblas = openblas
    _front_end_library = kernels
    if not configured.isdigit():
        threads = _default_threads(kernels is not None)
    set_blas_threads(threads)
    return BlasStatus("openblas", f"{openblas_path.name} patched into libmlx.so ({how})", threads)


def _front_end(sgemm: int, sgemv: int, load_kernels: Callable[[], KernelLibrary]) -> tuple[int | None, Any, str]:
    """The `cblas_sgemm` stand-in: the kernel library (quantized twins) if it builds, else the stub.

    Returns (address or None, the kernel library or None, a description for the status line).
    """
    kernel = load_kernels()
    if kernel.library is not None:
        kernel.library.adv_init(sgemm, sgemv)
        address = ctypes.cast(kernel.library.adv_sgemm, ctypes.c_void_p).value
        return address, kernel.library, f"kernel front end {kernel.detail}"
    stub = _sgemm_front_end(sgemm, sgemv)
    if stub is None:
        return None, None, f"sgemm only; {kernel.detail}"
    return stub, None, f"sgemv for one-row products; {kernel.detail}"


def _write_slots(base: int, slots: dict[str, list[int]], targets: dict[str, int]) -> list[tuple[int, int]]:
    """Store each symbol's new address in its GOT slots; returns (address, old value) pairs."""
    originals: list[tuple[int, int]] = []
    for symbol, offsets in slots.items():
        for offset in offsets:
            address = base + offset
            if not _is_writable(address):
                _make_writable(address)
            cell = ctypes.c_size_t.from_address(address)
            originals.append((address, cell.value))
            cell.value = targets[symbol]
    return originals


def set_blas_threads(threads: int) -> bool:
    """Set OpenBLAS's thread count at run time; False when OpenBLAS is not in use."""
    if _openblas is None:
        return False
    setter = getattr(_openblas, "scipy_openblas_set_num_threads", None)
    if setter is None:
        return False
    setter(max(1, int(threads)))
    return True


def ensure_fast_blas(mode: BlasMode, load_kernels: Callable[[], KernelLibrary]) -> BlasStatus:
    """Route MLX's float32/float64/complex GEMM to OpenBLAS (once per process; thread-safe).

    ``mode`` "front-end" puts the kernel library from ``load_kernels`` (or the sgemv stub) in the
    sgemm slot, "gemm-only" plain OpenBLAS sgemm, "off" changes nothing. The first call decides
    for the whole process: libmlx has one symbol table.
    """
    global _status
    with _lock:
        if _status is None:
            try:
                _status = _patch(mode, load_kernels)
            except Exception as exc:  # noqa: BLE001 - an unusual libc/ELF must only cost speed
                _status = BlasStatus("bundled", f"could not route MLX to OpenBLAS: {exc}")
        return _status


def blas_status() -> BlasStatus | None:
    """What `ensure_fast_blas` did in this process, or None if it has not run."""
    return _status


def gemm_front_end() -> ctypes.CDLL | None:
    """The kernel library sitting in libmlx's sgemm slot (for the quantized twins), if any."""
    return _front_end_library
