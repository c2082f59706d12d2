"""Choosing the torch device: ``auto`` prefers CUDA, then Apple's MPS, then the CPU."""

from __future__ import annotations

import torch


def pick_device(spec: str = "auto") -> torch.device:
    """The device for ``spec``: ``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps``.

    Raises ``ValueError`` when the named device is not available here.
    """
    spec = spec.strip().lower()
    if spec == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if spec == "cpu":
        return torch.device("cpu")
    if spec == "mps":
        if not torch.backends.mps.is_available():
            raise ValueError("device mps: Apple's Metal backend is not available here")
        return torch.device("mps")
    if spec == "cuda" or spec.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise ValueError(f"device {spec}: no CUDA GPU is available here")
        index = int(spec.split(":", 1)[1]) if ":" in spec else 0
        if not 0 <= index < torch.cuda.device_count():
            raise ValueError(f"device {spec}: there are {torch.cuda.device_count()} CUDA GPU(s)")
        return torch.device("cuda", index)
    raise ValueError(f"unknown device {spec!r} (use auto, cpu, cuda, cuda:N or mps)")


def describe_devices() -> list[tuple[str, str]]:
    """``(spec, human name)`` for every device usable here, CPU first."""
    found = [("cpu", "CPU")]
    for i in range(torch.cuda.device_count() if torch.cuda.is_available() else 0):
        found.append((f"cuda:{i}", f"CUDA {i}: {torch.cuda.get_device_name(i)}"))
    if torch.backends.mps.is_available():
        found.append(("mps", "Apple GPU (MPS)"))
    return found
