"""The ctypes mirrors in decode_step.py agree with the C structs in csrc/decode_step.h.

A C program built with the compiler the kernels use prints each struct's size and each field's
offset; a field added, removed or retyped on one side only would otherwise make the decode-step
kernel read the wrong weights without any error.
"""

from __future__ import annotations

import ctypes
import re
import subprocess
from pathlib import Path

import pytest

from game.accel import kernels
from game.accel.decode_step import _Layer, _Model

CSRC = Path(kernels.__file__).with_name("csrc")
MIRRORS: dict[str, type[ctypes.Structure]] = {"decode_model": _Model, "decode_layer": _Layer}


def _c_layout(tmp_path: Path, compiler: str) -> dict[str, int]:
    lines = ['#include <stddef.h>', '#include <stdio.h>', '#include "decode_step.h"', 'int main(void) {']
    for struct, mirror in MIRRORS.items():
        lines.append(f'    printf("{struct} %zu\\n", sizeof({struct}));')
        for name, _ in mirror._fields_:
            lines.append(f'    printf("{struct}.{name} %zu\\n", offsetof({struct}, {name}));')
    lines += ["    return 0;", "}"]
    source = tmp_path / "layout.c"
    source.write_text("\n".join(lines) + "\n")
    program = tmp_path / "layout"
    build = subprocess.run([compiler, "-I", str(CSRC), "-o", str(program), str(source)],
                           capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr  # a mirrored field missing from the header fails here
    out = subprocess.run([str(program)], capture_output=True, text=True, timeout=30, check=True).stdout
    return {key: int(value) for key, value in (line.split() for line in out.splitlines())}


def test_every_mirrored_struct_has_the_c_size_and_offsets(tmp_path: Path) -> None:
    compiler = kernels.find_compiler()
    if compiler is None:
        pytest.skip("no C compiler (cc, gcc or clang) to build the layout probe with")
    layout = _c_layout(tmp_path, compiler)
    for struct, mirror in MIRRORS.items():
        assert layout[struct] == ctypes.sizeof(mirror), struct
        for name, _ in mirror._fields_:
            assert layout[f"{struct}.{name}"] == getattr(mirror, name).offset, f"{struct}.{name}"


def test_the_header_declares_no_field_the_mirror_lacks() -> None:
    """Offsets alone would miss a field appended at the end of the C struct: count the fields."""
    header = (CSRC / "decode_step.h").read_text()
    for struct, mirror in MIRRORS.items():
        body = header[: header.index(f"}} {struct};")].rsplit("typedef struct {", 1)[1]
        body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
        names = [declarator.strip().lstrip("*").split()[-1].lstrip("*")
                 for declaration in body.split(";") if declaration.strip()
                 for declarator in declaration.split(",")]
        assert names == [name for name, _ in mirror._fields_], struct
