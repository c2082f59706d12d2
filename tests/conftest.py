"""Shared fixtures: an isolated user data folder, small model files. The synthetic data
(photos, gradients, DNGs, nets) live in ``tests.synthetic``; they are re-exported here for
the tests that import them from ``tests.conftest``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from tests.synthetic import (
    brightening_net,
    dark_rgb,
    darkening_net,
    noisy_edge_photo,
    random_model,
    save_photo,
)
from zdce_core import nets
from zdce_core.weights import save_model

__all__ = [
    "brightening_net",
    "dark_rgb",
    "darkening_net",
    "noisy_edge_photo",
    "random_model",
    "save_photo",
]

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # GUI tests never need a screen


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
