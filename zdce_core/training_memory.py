"""The memory a training can use: that of the device it runs on (checked against the estimate
of :func:`~zdce_core.training_config.check_training_memory` before a run starts)."""

from __future__ import annotations

import torch

from zdce_core.training_config import physical_memory


def device_memory(device: torch.device) -> tuple[str, int | None]:
    """The memory training on ``device`` can use, named as the user reads it, and its size in
    bytes (``None`` when unknown): a CUDA GPU's own, else this machine's (MPS shares it)."""
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        return f"the GPU {props.name}", int(props.total_memory)
    return "this machine", physical_memory()
