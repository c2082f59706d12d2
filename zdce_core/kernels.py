"""Compiled CPU kernels (AOTInductor), built ahead of time and loaded with ``ctypes``.

Eager torch runs a render in many small operations, each a pass over memory with its own
overhead; what costs is those passes and that overhead, not the arithmetic. A function
traced once and compiled by PyTorch's AOTInductor into a shared library runs them in a few
loops, in the core's cache. Three are built (``packaging/build_kernels.py``; it needs a C++
compiler, the user's machine does not) and shipped in ``resources/kernels/`` with the torch
version, platform and instruction set they were built for:

- :data:`STRIP_TAIL` and :data:`STRIP_TAIL_16`: :func:`zdce_core.fused.strip_tail` and
  ``strip_tail_16``, the usual render of a strip of an 8-bit or a 16-bit photo;
- :data:`EXPOSURE_KEYS`: :func:`zdce_core.exposure.scene_grid_keys`, auto exposure's keys of
  the small copy at every strength of its grid.

Where a kernel does not apply — another torch, another platform, a CPU without AVX2,
``ZDCE_FUSED=0`` — the same functions run eagerly. The kernels are traced from the functions
the eager path calls, so they cannot drift from them, and ``tests/test_kernels.py`` fails
when ``resources/kernels/`` is older than their source (:func:`source_digest`).
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import platform
import threading
from dataclasses import dataclass
from pathlib import Path

import torch

from zdce_core.resources import resource_path

ISA = "AVX2"
"""Vector instructions the kernels are built for (x86-64-v3: AVX2 and FMA, CPUs since 2013)."""


@dataclass(frozen=True)
class KernelSpec:
    """A kernel: its file name (``NAME.so`` and ``NAME.json``) and the modules of
    ``zdce_core`` whose code it is traced from."""

    name: str
    sources: tuple[str, ...]


_TONE = ("tone.py", "white_point.py", "luma_ramps.py")
STRIP_TAIL = KernelSpec("strip_tail_cpu", ("fused.py", *_TONE))
STRIP_TAIL_16 = KernelSpec("strip_tail_16_cpu", ("fused.py", *_TONE))
EXPOSURE_KEYS = KernelSpec("exposure_keys_cpu", ("exposure.py", *_TONE, "curves.py"))
KERNELS = (STRIP_TAIL, STRIP_TAIL_16, EXPOSURE_KEYS)

_lock = threading.Lock()
_loaded: dict[tuple[KernelSpec, Path], CompiledKernel | None] = {}


class CompiledKernel:
    """A compiled function of tensors to one tensor (an AOTInductor model container),
    callable from several threads at once. It is called through its C interface with
    ``ctypes``, which lets go of the GIL while the kernel runs (torch's own runner holds it,
    so two workers would take turns)."""

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

    def __call__(self, *tensors: torch.Tensor) -> torch.Tensor:
        """The traced function of ``tensors`` (CPU, of the dtypes and ranks it was traced with)."""
        dense = [t.contiguous() for t in tensors]
        # new tensor handles, which the container takes over (frees) as it runs
        handles = [_pointer(c, None) for c in _aoti.unsafe_alloc_void_ptrs_from_tensors(dense)]
        inputs = (ctypes.c_void_p * len(handles))(*handles)
        outputs = (ctypes.c_void_p * 1)()
        if self._run(self._container, inputs, len(handles), outputs, 1, None, None) != 0:
            raise RuntimeError("the compiled kernel failed")
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


def source_digest(spec: KernelSpec) -> str:
    """SHA-256 of the source of the modules ``spec`` is traced from (in a source tree)."""
    digest = hashlib.sha256()
    for name in spec.sources:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()


def _cpu_runs_it() -> bool:
    return torch.backends.cpu.get_cpu_capability() in ("AVX2", "AVX512")


def compiled(spec: KernelSpec, folder: Path | None = None) -> CompiledKernel | None:
    """The kernel ``spec`` in ``folder`` (default :func:`kernel_dir`), loaded once; ``None``
    when kernels are switched off (``ZDCE_FUSED=0``), it is missing, built for another torch
    or platform, the CPU lacks AVX2, or it fails to load."""
    if os.environ.get("ZDCE_FUSED", "1") == "0":
        return None
    folder = folder or kernel_dir()
    with _lock:
        if (spec, folder) not in _loaded:
            _loaded[spec, folder] = _load(spec, folder)
        return _loaded[spec, folder]


def _load(spec: KernelSpec, folder: Path) -> CompiledKernel | None:
    library, description = folder / f"{spec.name}.so", folder / f"{spec.name}.json"
    try:
        built_for = json.loads(description.read_text(encoding="utf-8"))["target"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if built_for != target() or not _cpu_runs_it():
        return None
    try:
        # one model per worker thread that may run it at once
        return CompiledKernel(ctypes.CDLL(str(library)), max(2, os.cpu_count() or 2))
    except (OSError, RuntimeError, AttributeError):
        return None
