"""Build the compiled kernels (:mod:`zdce_core.kernels`) into ``resources/kernels/``.

    python packaging/build_kernels.py [FOLDER]

Traces each kernel's function with any image height and width (``torch.export``) and
compiles it with AOTInductor for x86-64-v3 (AVX2, FMA: not for the build machine's own
instructions, so the library runs on any CPU since 2013), as serial code (the render's
worker threads each run one piece; no OpenMP team of its own). Needs a C++ compiler and
takes about a minute; the app only loads the results. Rebuild after changing a module a
kernel is traced from (:data:`zdce_core.kernels.KernelSpec.sources`;
``tests/test_kernels.py`` says when) and with each new torch version.
"""

from __future__ import annotations

import json
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import torch
from torch._inductor import aoti_compile_and_package
from torch.export import Dim, export

from zdce_core.exposure import SEARCH_SIZE, scene_grid_keys
from zdce_core.fused import MAX_COLUMNS, strip_tail, strip_tail_16
from zdce_core.kernels import (
    EXPOSURE_KEYS,
    ISA,
    STRIP_TAIL,
    STRIP_TAIL_16,
    KernelSpec,
    kernel_dir,
    source_digest,
    target,
)
from zdce_core.nets import ITERATIONS
from zdce_core.white_point import white_terms

INDUCTOR_CONFIGS = {"cpp.march": "x86-64-v3", "cpp.simdlen": 256}
"""AVX2 code. (``realize_reads_threshold`` 1, which stores a value read more than once instead
of recomputing it, was needed while the strip tail's stages wrote back into the curves'
buffer; now that they do not, inductor's default is faster: 13.6 against 14.2 ns a pixel.)"""


def _traceable(function: Callable[..., torch.Tensor]) -> torch.nn.Module:
    """``function`` as the module ``torch.export`` traces."""
    return type("Traced", (torch.nn.Module,), {"forward": staticmethod(function)})()


def _strip_tail(function: Callable[..., torch.Tensor]) -> tuple[torch.export.ExportedProgram]:
    h, w = 16, 64
    x = torch.rand(1, 3, h, w)
    coefficients = torch.stack([torch.full((h, w), 0.8), torch.full((h, w), 0.05)])[None]
    whites = white_terms((0.7, 0.85))
    curve_map = torch.rand(1, 1, h, w) * 0.8
    example = (x, coefficients, curve_map, torch.ones(ITERATIONS), whites, torch.full((1,), 0.5))
    rows, columns = Dim("rows", min=1, max=1 << 16), Dim("columns", min=2, max=MAX_COLUMNS)
    pixels = {2: rows, 3: columns}
    shapes = (pixels, pixels, pixels, None, None, None)
    return (export(_traceable(function), example, dynamic_shapes=shapes),)


def _exposure_keys() -> tuple[torch.export.ExportedProgram]:
    h, w = 24, 32
    example = (
        torch.rand(1, 3, h, w) * 0.3,
        -torch.rand(1, ITERATIONS, h, w) * 0.8,
        torch.rand(2, 1, h, w),
    )
    rows, columns = Dim("rows", min=2, max=SEARCH_SIZE), Dim("columns", min=2, max=SEARCH_SIZE)
    pixels = {2: rows, 3: columns}
    return (export(_traceable(scene_grid_keys), example, dynamic_shapes=(pixels, pixels, pixels)),)


PROGRAMS = {
    STRIP_TAIL: lambda: _strip_tail(strip_tail),
    STRIP_TAIL_16: lambda: _strip_tail(strip_tail_16),
    EXPOSURE_KEYS: _exposure_keys,
}


def build(spec: KernelSpec, folder: Path) -> Path:
    """Compile ``spec`` into ``folder``; returns the library's path."""
    if ISA != "AVX2":
        raise SystemExit(f"unknown instruction set {ISA}")
    torch.manual_seed(0)
    torch.set_num_threads(1)  # serial code: the render's workers each run a piece on a core
    with torch.inference_mode():
        (program,) = PROGRAMS[spec]()
    folder.mkdir(parents=True, exist_ok=True)
    library = folder / f"{spec.name}.so"
    with tempfile.TemporaryDirectory() as scratch:
        package = aoti_compile_and_package(
            program,
            package_path=str(Path(scratch) / f"{spec.name}.pt2"),
            inductor_configs=INDUCTOR_CONFIGS,
        )
        with zipfile.ZipFile(package) as archive:  # the model's library is all it needs
            (member,) = [n for n in archive.namelist() if n.endswith(".so")]
            library.write_bytes(archive.read(member))
    description = {"target": target(), "source": source_digest(spec)}
    (folder / f"{spec.name}.json").write_text(json.dumps(description, indent=2) + "\n")
    return library


if __name__ == "__main__":
    destination = Path(sys.argv[1]) if len(sys.argv) > 1 else kernel_dir()
    for kernel in PROGRAMS:
        out = build(kernel, destination)
        print(f"{out} ({out.stat().st_size / 1e6:.1f} MB)")
