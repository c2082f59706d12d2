"""Weight files: our safetensors format with metadata, and reference ``.pth`` checkpoints.

Every load zeroes subnormal floats: weight decay drives many weights toward zero, and
subnormal operands make CPU convolutions ~28× slower for no change in output.
"""

from __future__ import annotations

import json
import os
import pickle
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from zdce_core import nets
from zdce_core.atomic import atomic_path, remove_stale_temporaries
from zdce_core.errors import WeightsError
from zdce_core.model_store import read_metadata

FORMAT_VERSION = "1"


@dataclass
class LoadedModel:
    """A network ready for inference plus what its file says about it.

    ``metadata`` holds strings (safetensors metadata); reference checkpoints get
    ``{"arch": …, "source": "reference checkpoint"}``.
    """

    net: nets.CurveNet
    metadata: dict[str, str] = field(default_factory=dict)
    path: Path | None = None

    @property
    def arch(self) -> str:
        return self.net.arch


def zero_subnormals_(tensors: dict[str, torch.Tensor] | list[torch.Tensor]) -> int:
    """Set every subnormal float (``0 < |w| < finfo.tiny``) to 0, in place; returns how many."""
    values = tensors.values() if isinstance(tensors, dict) else tensors
    count = 0
    with torch.no_grad():
        for t in values:
            if not t.is_floating_point():
                continue
            tiny = torch.finfo(t.dtype).tiny
            mask = (t != 0) & (t.abs() < tiny)
            n = int(mask.sum())
            if n:
                t.masked_fill_(mask, 0.0)
                count += n
    return count


def clean_module_(module: torch.nn.Module) -> int:
    """Zero the subnormal parameters and buffers of ``module`` in place; returns how many."""
    return zero_subnormals_([*module.parameters(), *module.buffers()])


def detect_arch(state: dict[str, torch.Tensor]) -> str:
    """Recognise the architecture from state-dict keys and shapes; raises ``WeightsError``."""
    for arch, cls in nets.ARCHITECTURES.items():
        expected = cls().state_dict()
        if set(state) == set(expected):
            for key, tensor in expected.items():
                if tuple(state[key].shape) != tuple(tensor.shape):
                    raise WeightsError(
                        f"looks like {arch} but {key} has shape {tuple(state[key].shape)}, "
                        f"expected {tuple(tensor.shape)}"
                    )
            return arch
    sample = ", ".join(sorted(state)[:4])
    raise WeightsError(f"not a DCE-Net or DCE-Net++ state dict (keys: {sample}…)")


def check_values(state: dict[str, torch.Tensor]) -> None:
    """Raise ``WeightsError`` for a tensor that is not floating point or holds NaN or
    infinity: such a model turns every photo black (or does nothing) without an error."""
    for key, tensor in state.items():
        if not tensor.is_floating_point():
            raise WeightsError(f"{key} holds {tensor.dtype} values, not floating point")
        bad = int((~torch.isfinite(tensor)).sum())
        if bad:
            raise WeightsError(f"{key} holds {bad} NaN or infinite value(s): the model is broken")


SATURATED_SHARE = 0.9
"""A model whose curve parameters sit at ±1 on more of a probe image than this is refused."""


def check_behaviour(net: nets.CurveNet) -> None:
    """Raise ``WeightsError`` when ``net``'s curve maps (values in [-1, 1]) are saturated
    almost everywhere on a probe image (a 32×32 dark-to-bright gradient with colour): the
    maps then ignore the photo, as with weights scaled far too large. Trained models stay
    well inside the range (the default model: -0.49 to -0.40 on this probe)."""
    ramp = torch.linspace(0.0, 1.0, 32)
    probe = torch.stack([ramp.outer(torch.ones(32)), ramp.outer(ramp), ramp.flip(0).outer(ramp)])
    with torch.no_grad():
        maps = net(probe.unsqueeze(0))
    saturated = float((maps.abs() >= 0.999).float().mean())
    if saturated > SATURATED_SHARE:
        raise WeightsError(
            f"its curves are at their limit on {saturated:.0%} of a test image whatever the "
            "pixels: the weights are broken (for example scaled far too large)"
        )


def model_from_state(
    state: dict[str, torch.Tensor], metadata: dict[str, str], path: Path | None = None
) -> LoadedModel:
    """Build the network that ``state`` fits, with cleaned float32 weights, in eval mode."""
    state = {k.removeprefix("module."): v for k, v in state.items()}
    arch = detect_arch(state)
    check_values(state)
    declared = metadata.get("arch")
    if declared and declared != arch:
        raise WeightsError(f"metadata says {declared!r} but the tensors are {arch!r}")
    net = nets.build(arch)
    net.load_state_dict({k: v.float() for k, v in state.items()})
    clean_module_(net)
    net.eval()
    check_behaviour(net)
    return LoadedModel(net, {**metadata, "arch": arch}, path)


def _unwrap_checkpoint(obj: object) -> dict[str, torch.Tensor]:
    """The state dict inside a ``torch.load`` result (bare, or under a common key)."""
    if isinstance(obj, dict):
        state = next(
            (obj[k] for k in ("state_dict", "model", "net") if isinstance(obj.get(k), dict)), obj
        )
        if state and all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
        ):
            return state
    raise WeightsError("holds no state dict of tensors")


def load_model(path: str | os.PathLike[str]) -> LoadedModel:
    """Load a ``.safetensors`` model or a reference ``.pth`` checkpoint.

    ``.pth`` files are read with ``torch.load(weights_only=True)``: a pickle that wants to run
    code is refused. Raises ``WeightsError`` naming the file and the reason.
    """
    path = Path(path)
    try:
        if not path.is_file():
            raise WeightsError("no such file")
        if path.suffix.lower() == ".safetensors":
            metadata = read_metadata(path)  # first: says why a hostile header is unreadable
            return model_from_state(load_file(path), metadata, path)
        try:
            with warnings.catch_warnings():  # torch warns about pickle protocols on stderr
                warnings.simplefilter("ignore")
                obj = torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as exc:
            raise WeightsError(
                "refused: the file holds Python objects besides weights (loading it could run "
                "code); use a .safetensors file or a plain state dict"
            ) from exc
        except (RuntimeError, EOFError, zipfile.BadZipFile, OSError) as exc:
            raise WeightsError(f"unreadable or truncated checkpoint ({exc})") from exc
        return model_from_state(_unwrap_checkpoint(obj), {"source": "reference checkpoint"}, path)
    except WeightsError as exc:
        raise WeightsError(f"{path}: {exc}") from exc
    except (SafetensorError, OSError, json.JSONDecodeError) as exc:
        raise WeightsError(f"{path}: unreadable or truncated weights file ({exc})") from exc
    except RuntimeError as exc:
        raise WeightsError(f"{path}: the weights do not fit the architecture ({exc})") from exc


def save_model(
    net: nets.CurveNet, path: str | os.PathLike[str], metadata: dict[str, object] | None = None
) -> Path:
    """Write ``net`` as safetensors with metadata, atomically (temp file, then rename).

    Metadata values are stored as strings (non-strings as JSON); ``arch``, ``iterations`` and
    ``format_version`` are always set. Temporaries a killed save left in that folder are
    removed first.
    """
    path = Path(path)
    meta = {k: v if isinstance(v, str) else json.dumps(v) for k, v in (metadata or {}).items()}
    meta.update(arch=net.arch, iterations="8", format_version=FORMAT_VERSION)
    state = {k: v.detach().float().contiguous().cpu() for k, v in net.state_dict().items()}
    zero_subnormals_(state)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path.parent)
    with atomic_path(path) as tmp:
        save_file(state, tmp, metadata=meta)
    return path
