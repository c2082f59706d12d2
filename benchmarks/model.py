"""The model the benchmarks run: the bundled default, or a seeded random one of the same
architecture when there is none (same speed, meaningless pictures)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zdce_core.weights import LoadedModel


def default_or_random_model(tmp: Path) -> str:
    """Path of the bundled default model, or of a random DCE-Net++ written into ``tmp``."""
    from zdce_core.model_store import NoDefaultModelError, resolve_model

    try:
        return str(resolve_model(None))
    except NoDefaultModelError:
        import torch

        from zdce_core import nets
        from zdce_core.weights import save_model

        torch.manual_seed(0)
        return str(save_model(nets.build("dcenet++"), tmp / "random-dcenet++.safetensors"))


def bench_model(path: str | None) -> LoadedModel:
    """The model at ``path``, or :func:`default_or_random_model`'s, loaded."""
    import tempfile

    from zdce_core.weights import load_model

    with tempfile.TemporaryDirectory() as tmp:
        return load_model(path or default_or_random_model(Path(tmp)))
