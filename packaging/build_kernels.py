"""Build the compiled render kernel (:mod:`zdce_core.fused`) into ``resources/kernels/``.

    python packaging/build_kernels.py

Traces :func:`zdce_core.fused.strip_tail` with any strip height and width
(``torch.export``) and compiles it with AOTInductor for x86-64-v3 (AVX2, FMA: not for the
build machine's own instructions, so the library runs on any CPU since 2013), as serial code
(the render's worker threads each run one strip; no OpenMP team of its own). Needs a C++
compiler and takes about half a minute; the app only loads the result. Rebuild after
changing ``zdce_core/tone.py`` or ``zdce_core/fused.py`` (``tests/test_fused.py`` says when)
and with each new torch version.
"""

from __future__ import annotations

import json
import sys
import tempfile
import zipfile
from pathlib import Path

import torch
from torch._inductor import aoti_compile_and_package
from torch.export import Dim, export

from zdce_core.fused import ISA, MAX_COLUMNS, NAME, kernel_dir, source_digest, strip_tail, target


class _StripTail(torch.nn.Module):
    """:func:`strip_tail` as the module ``torch.export`` traces."""

    forward = staticmethod(strip_tail)


def build(folder: Path) -> Path:
    """Compile the kernel into ``folder``; returns the library's path."""
    if ISA != "AVX2":
        raise SystemExit(f"unknown instruction set {ISA}")
    torch.manual_seed(0)
    torch.set_num_threads(1)  # serial code: the render's workers each run a strip on a core
    h, w = 16, 64
    x = torch.rand(1, 3, h, w)
    coefficients = torch.stack([torch.full((h, w), 0.8), torch.full((h, w), 0.05)])[None]
    example = (x, coefficients, torch.rand(1, 1, h, w) * 0.8, torch.ones(8))
    rows, columns = Dim("rows", min=1, max=1 << 16), Dim("columns", min=2, max=MAX_COLUMNS)
    pixels = {2: rows, 3: columns}
    with torch.inference_mode():
        program = export(_StripTail(), example, dynamic_shapes=(pixels, pixels, pixels, None))
    folder.mkdir(parents=True, exist_ok=True)
    library = folder / f"{NAME}.so"
    with tempfile.TemporaryDirectory() as scratch:
        package = aoti_compile_and_package(
            program,
            package_path=str(Path(scratch) / f"{NAME}.pt2"),
            inductor_configs={"cpp.march": "x86-64-v3", "cpp.simdlen": 256},
        )
        with zipfile.ZipFile(package) as archive:  # the model's library is all it needs
            (member,) = [n for n in archive.namelist() if n.endswith(".so")]
            library.write_bytes(archive.read(member))
    description = {"target": target(), "source": source_digest()}
    (folder / f"{NAME}.json").write_text(json.dumps(description, indent=2) + "\n")
    return library


if __name__ == "__main__":
    out = build(Path(sys.argv[1]) if len(sys.argv) > 1 else kernel_dir())
    print(f"{out} ({out.stat().st_size / 1e6:.1f} MB)")
