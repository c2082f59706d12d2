"""Shared fixtures: synthetic photos, an isolated user data folder, small model files."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from zdce_core import nets
from zdce_core.weights import LoadedModel, save_model

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # GUI tests never need a screen


def dark_rgb(height: int = 48, width: int = 64, seed: int = 0) -> np.ndarray:
    """A dark, smooth-plus-noise ``(H, W, 3)`` uint8 test photo (mean gray ≈ 0.15)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    base = 20 + 30 * xx / max(width - 1, 1) + 15 * yy / max(height - 1, 1)
    rgb = base[:, :, None] * np.array([1.0, 0.9, 0.8]) + rng.normal(0, 4, (height, width, 3))
    return np.clip(rgb, 0, 255).astype(np.uint8)


def random_model(arch: str = "dcenet") -> LoadedModel:
    """A seeded, untrained model of ``arch``."""
    torch.manual_seed(0)
    return LoadedModel(nets.build(arch).eval())


def noisy_edge_photo() -> np.ndarray:
    """Dark, two flat halves (an edge in the middle) with colour noise."""
    rng = np.random.default_rng(3)
    base = np.zeros((128, 128, 3))
    base[:, :64] = (18, 16, 14)
    base[:, 64:] = (40, 36, 30)
    return np.clip(base + rng.normal(0, 3, base.shape), 0, 255).astype(np.uint8)


def save_photo(path: Path, rgb: np.ndarray | None = None, **params: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(dark_rgb() if rgb is None else rgb).save(path, **params)
    return path


def brightening_net(arch: str = "dcenet") -> nets.CurveNet:
    """A network whose maps are -0.5 everywhere (all weights 0, last bias atanh(-0.5)):
    every iteration brightens, so results are predictable."""
    net = nets.build(arch)
    with torch.no_grad():
        for p in net.parameters():
            p.zero_()
        last = net.e_conv7 if arch == "dcenet" else net.e_conv7.point_conv
        last.bias.fill_(float(np.arctanh(-0.5)))
    return net.eval()


def darkening_net() -> nets.CurveNet:
    """A DCE-Net++ whose maps are all tanh(2) ≈ 0.96: every iteration nearly squares the
    pixel, so a dark photo turns black (maps of exactly ±1 are refused at load)."""
    net = nets.build("dcenet++")
    with torch.no_grad():
        for p in net.parameters():
            p.zero_()
        net.e_conv7.point_conv.bias.fill_(2.0)
    return net.eval()


@pytest.fixture(autouse=True)
def user_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty user data folder."""
    home = tmp_path_factory.mktemp("zdce-home")
    monkeypatch.setenv("ZDCE_HOME", str(home))
    return home


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    """A small random DCE-Net saved in our format (seeded)."""
    torch.manual_seed(0)
    return save_model(nets.build("dcenet"), tmp_path / "models" / "random.safetensors")


@pytest.fixture
def bright_model_file(tmp_path: Path) -> Path:
    return save_model(brightening_net(), tmp_path / "models" / "bright.safetensors")
