"""The usual CPU render of a strip as one compiled kernel (AOTInductor), built ahead of time.

Eager torch renders a strip in about a hundred operations, each a pass over the strip in
memory; what costs is those passes, not the arithmetic. :func:`strip_tail` — the smoothed
luma, the eight curve iterations, the scene-aware stages with highlight protection
(:func:`zdce_core.tone.finish`) and the conversion to 8 bits — traced once and compiled by
PyTorch's AOTInductor into a shared library runs those stages in a few loops over the strip,
in the core's cache. The library is built by ``packaging/build_kernels.py`` (it needs a C++
compiler, the user's machine does not) and shipped in ``resources/kernels/`` with the torch
version, platform and instruction set it was built for. Where it does not apply — another
torch, another platform, a CPU without AVX2, a GPU, 16-bit output, the model's per-channel
curves, maps per iteration (DCE-Net), no highlight protection, ``ZDCE_FUSED=0`` — the same
stages run eagerly; both agree within one level of 255.

The kernel is traced from the same functions the eager render calls, so it cannot drift
from them, and ``tests/test_fused.py`` fails when ``resources/kernels/`` is older than their
source (:func:`source_digest`).
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import platform
import threading
from pathlib import Path

import torch

from zdce_core.resources import resource_path
from zdce_core.tone import Stages, curve_input, finish, smoothed_luma

ITERATIONS = 8
NAME = "strip_tail_cpu"
ISA = "AVX2"
"""Vector instructions the kernel is built for (x86-64-v3: AVX2 and FMA, CPUs since 2013)."""
MAX_COLUMNS = 1 << 17
"""The widest strip the kernel is built for (131 072 pixels); wider photos render eagerly."""
SOURCES = ("fused.py", "tone.py")
"""The modules whose code the kernel is traced from (:func:`source_digest`)."""

_lock = threading.Lock()
_loaded: dict[Path, FusedTail | None] = {}


def strip_tail(
    x: torch.Tensor, luma_coefficients: torch.Tensor, curve_map: torch.Tensor, scales: torch.Tensor
) -> torch.Tensor:
    """A strip's result ``(1, h, w, 3)`` uint8 (rows of pixels) from ``x`` ``(1, 3, h, w)``
    float32 in [0, 1] (denoised, its cast corrected), the luma guide's full-size
    coefficients ``(1, 2, h, w)`` (:func:`zdce_core.tone.smoothed_luma`), the neutral curve
    map shared by the iterations ``(1, 1, h, w)`` in [−1, 1] and ``scales`` ``(8,)``: each
    iteration's map scale (1 for a full iteration, the fraction of the last one, 0 for those
    beyond the strength: :func:`zdce_core.curves.curve_schedule`)."""
    smooth = smoothed_luma(x, luma_coefficients)
    curved = curve_input(x, smooth)
    for i in range(ITERATIONS):  # as zdce_core.curves.iterate_curves_; a 0 scale keeps x
        curved.lerp_(curved * curved, curve_map * scales[i])
    y = finish(x, curved, smooth, Stages(scene_aware=True, protect=True))
    return y.mul_(255.0).add_(0.5).clamp_(0.0, 255.0).permute(0, 2, 3, 1).to(torch.uint8)


def shared_map(steps: list[torch.Tensor]) -> torch.Tensor | None:
    """The one neutral map ``(1, 1, h, w)`` every curve iteration of ``steps`` uses (DCE-Net++),
    or ``None``: no iteration, a map per iteration (DCE-Net) or per channel."""
    if not steps or steps[0].shape[1] != 1 or any(a is not steps[0] for a in steps):
        return None
    return steps[0]


class FusedTail:
    """The compiled :func:`strip_tail` (an AOTInductor model container), callable from
    several threads at once. It is called through its C interface with ``ctypes``, which
    lets go of the GIL while the kernel runs (torch's own runner holds it, so two workers
    would take turns): two workers render 1.4× as many strips as one."""

    def __init__(self, library: ctypes.CDLL, models: int) -> None:
        self._run = library.AOTInductorModelContainerRun
        self._run.argtypes = [
            ctypes.c_void_p,
            ctypes.POINTER(ctypes.c_void_p),
            ctypes.c_size_t,
            ctypes.POINTER(ctypes.c_void_p),
            ctypes.c_size_t,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        self._run.restype = ctypes.c_int
        self._container = ctypes.c_void_p()
        create = library.AOTInductorModelContainerCreateWithDevice
        if create(ctypes.byref(self._container), ctypes.c_size_t(models), b"cpu", None) != 0:
            raise RuntimeError("the compiled kernel could not be set up")

    def __call__(
        self,
        x: torch.Tensor,
        luma_coefficients: torch.Tensor,
        curve_map: torch.Tensor,
        scales: torch.Tensor,
    ) -> torch.Tensor:
        """:func:`strip_tail` of the same arguments."""
        tensors = [t.contiguous() for t in (x, luma_coefficients, curve_map, scales)]
        # new tensor handles, which the container takes over (frees) as it runs
        handles = [_pointer(c, None) for c in _aoti.unsafe_alloc_void_ptrs_from_tensors(tensors)]
        inputs = (ctypes.c_void_p * len(handles))(*handles)
        outputs = (ctypes.c_void_p * 1)()
        if self._run(self._container, inputs, len(handles), outputs, 1, None, None) != 0:
            raise RuntimeError("the compiled kernel failed on a strip")
        return _aoti.alloc_tensors_by_stealing_from_void_ptrs([_capsule(outputs[0], None, None)])[0]


_aoti = torch._C._aoti  # pyright: ignore[reportAttributeAccessIssue]  # not in its stubs
_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_pointer.argtypes, _pointer.restype = [ctypes.py_object, ctypes.c_char_p], ctypes.c_void_p
_capsule = ctypes.pythonapi.PyCapsule_New
_capsule.argtypes, _capsule.restype = (
    [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p],
    ctypes.py_object,
)


def kernel_dir() -> Path:
    """Where the built kernels and their descriptions lie."""
    return resource_path("kernels")


def target() -> dict[str, str]:
    """What a kernel built here is for: torch version, platform, machine, instruction set."""
    return {
        "torch": torch.__version__,
        "platform": platform.system(),
        "machine": platform.machine(),
        "isa": ISA,
    }


def source_digest() -> str:
    """SHA-256 of the source of the modules the kernel is traced from (in a source tree)."""
    digest = hashlib.sha256()
    for name in SOURCES:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()


def _cpu_runs_it() -> bool:
    return torch.backends.cpu.get_cpu_capability() in ("AVX2", "AVX512")


def fused_tail(folder: Path | None = None) -> FusedTail | None:
    """The compiled kernel in ``folder`` (default :func:`kernel_dir`), loaded once; ``None``
    when it is switched off (``ZDCE_FUSED=0``), missing, built for another torch or
    platform, the CPU lacks AVX2, or it fails to load."""
    if os.environ.get("ZDCE_FUSED", "1") == "0":
        return None
    folder = folder or kernel_dir()
    with _lock:
        if folder not in _loaded:
            _loaded[folder] = _load(folder)
        return _loaded[folder]


def _load(folder: Path) -> FusedTail | None:
    library, description = folder / f"{NAME}.so", folder / f"{NAME}.json"
    try:
        built_for = json.loads(description.read_text(encoding="utf-8"))["target"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if built_for != target() or not _cpu_runs_it():
        return None
    try:
        # one model per worker thread that may run a strip at once
        return FusedTail(ctypes.CDLL(str(library)), max(2, os.cpu_count() or 2))
    except (OSError, RuntimeError, AttributeError):
        return None
