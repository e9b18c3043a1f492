"""`accelerate` does every enabled part, says what fell back and why, and nothing when off.

The side-effect tests run in a fresh interpreter: libmlx's symbol table, os.environ and the
helper thread are process-wide, and this test process has routed them already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from game.accel import AccelSwitches, accelerate
from game.accel.llama_forward import FastDecodeModel
from game.accel.status import AccelStatus
from tests.accel.kernel_support import route_gemm_with_kernels
from tests.narrator.narrator_tiny import make_model

REPO = Path(__file__).resolve().parents[2]
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the accelerator is Linux-only")

# Loads a tiny llama, records what a process-wide side effect would change, runs accelerate
# with the switches of the environment and prints both as JSON.
PROBE = r"""
import ctypes, json, os, sys
from pathlib import Path
from game.accel import AccelSwitches, accelerate
from game.accel import gemm_slot
from tests.narrator.narrator_tiny import make_model

def world():
    import mlx
    libmlx = Path(mlx.__path__[0]) / "lib" / "libmlx.so"
    base = gemm_slot._load_base(ctypes.CDLL(str(libmlx))._handle)
    slots = gemm_slot.got_slots(libmlx, ("cblas_sgemm",))["cblas_sgemm"]
    return {"environ": dict(os.environ), "sgemm_slot": [ctypes.c_size_t.from_address(base + o).value for o in slots],
            "threads": len(os.listdir("/proc/self/task"))}

model = make_model(64)
before = world()
done = accelerate(model, Path(sys.argv[1]), AccelSwitches.from_environ(os.environ), Path(sys.argv[1]))
after = world()
print(json.dumps({"before": before, "after": after, "summary": done.status.summary(),
                  "fallbacks": done.status.fallbacks, "active": done.status.active,
                  "routed": gemm_slot.blas_status() is not None, "wrapped": type(done.model).__name__}))
"""


def _probe(tmp_path: Path, **switches: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVENTURE_")}
    env.update(switches, OPENBLAS_NUM_THREADS="", PATH=os.pathsep.join(
        d for d in os.environ["PATH"].split(os.pathsep) if "mlx-jit-" not in d))
    env.pop("OPENBLAS_NUM_THREADS")
    out = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path)], env=env, cwd=REPO,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@linux_only
def test_with_the_accelerator_off_nothing_in_the_process_changes(tmp_path: Path) -> None:
    seen = _probe(tmp_path, ADVENTURE_ACCEL="off")
    assert seen["after"] == seen["before"]  # os.environ, libmlx's sgemm slot, the thread count
    assert not seen["routed"] and seen["wrapped"] == "Model"
    assert seen["active"] == [] and seen["fallbacks"] == [["accelerator", "ADVENTURE_ACCEL=off"]]
    assert seen["summary"] == "accelerator fell back: accelerator (ADVENTURE_ACCEL=off)"
    assert not list(tmp_path.iterdir())  # nothing compiled, nothing written


@linux_only
def test_with_every_part_on_the_process_is_changed_inside_the_call(tmp_path: Path) -> None:
    """The same probe with the defaults: the side effects the off test rules out do happen, so
    that test can fail."""
    seen = _probe(tmp_path)
    before, after = seen["before"], seen["after"]
    assert after["sgemm_slot"] != before["sgemm_slot"]
    assert after["environ"]["PATH"].split(os.pathsep)[0].startswith(str(tmp_path))
    assert after["environ"]["TMPDIR"].startswith(str(tmp_path))
    assert "OPENBLAS_NUM_THREADS" in after["environ"] and "OPENBLAS_NUM_THREADS" not in before["environ"]
    assert dict(seen["active"]).keys() >= {"fast BLAS", "JIT flags", "kernels", "lean forward"}
    # the tiny model's folder has no quantized twin: that part and the step built on it fall back
    assert dict(seen["fallbacks"]) == {"quantized twins": "no decode-quantized.safetensors in the model folder",
                                       "decode-step kernel": "needs the quantized twins"}
    assert seen["wrapped"] == "FastDecodeModel"


@linux_only
def test_a_part_switched_off_is_reported_with_its_switch(tmp_path: Path) -> None:
    seen = _probe(tmp_path, ADVENTURE_MLX_JIT="plain", ADVENTURE_NATIVE="0")
    assert seen["after"]["environ"]["PATH"] == seen["before"]["environ"]["PATH"]
    assert "TMPDIR" not in seen["after"]["environ"] or \
        seen["after"]["environ"]["TMPDIR"] == seen["before"]["environ"].get("TMPDIR")
    fallbacks = dict(seen["fallbacks"])
    assert fallbacks["JIT flags"] == "ADVENTURE_MLX_JIT=off"
    assert fallbacks["kernels"] == "ADVENTURE_NATIVE=off"
    assert fallbacks["lean forward"] == "needs the kernels" and seen["wrapped"] == "Model"
    assert "kernels (ADVENTURE_NATIVE=off)" in seen["summary"]


@linux_only
def test_in_process_the_lean_forward_wraps_a_llama(tmp_path: Path) -> None:
    route_gemm_with_kernels()
    done = accelerate(make_model(64), tmp_path, AccelSwitches.from_environ({"ADVENTURE_MLX_JIT": "off"}), tmp_path)
    assert isinstance(done.model, FastDecodeModel) and done.kernels is not None
    assert done.status.is_active("lean forward") and not done.warmed_up
    assert done.status.decode == "float32 decode, compiled one-token steps"


def test_the_status_line_is_empty_unless_something_fell_back() -> None:
    assert AccelStatus(active=(("kernels", "x"),)).summary() == ""
    status = AccelStatus(fallbacks=(("kernels", "no C compiler found"), ("lean forward", "needs the kernels")))
    assert status.fell_back
    assert status.summary() == "accelerator fell back: kernels (no C compiler found); lean forward (needs the kernels)"
    assert "kernels: fell back (no C compiler found)" in status.describe()


def test_importing_the_accelerator_loads_no_mlx_and_changes_nothing() -> None:
    code = ("import os, sys; before = dict(os.environ); import game.accel; "
            "print('mlx' in sys.modules, dict(os.environ) == before)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["False", "True"], out.stderr[-2000:]
