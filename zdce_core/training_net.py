"""The network a training run starts from: a fresh one with the reference initialisation, a
base model to fine-tune, or the one in the run's checkpoint (its weights loaded later, with
the optimiser's)."""

from __future__ import annotations

import torch

from zdce_core import nets
from zdce_core.model_store import open_model
from zdce_core.training_config import TrainConfig


def init_weights(net: torch.nn.Module, seed: int) -> None:
    """Reference initialisation: conv weights N(0, 0.02), biases 0."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.Conv2d):
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * 0.02)
                if m.bias is not None:
                    m.bias.zero_()


def starting_net(config: TrainConfig, ckpt: dict | None) -> tuple[nets.CurveNet, str]:
    """The network to train and the name of what it started from (kept in the model's
    metadata): the checkpoint's architecture when resuming (``ckpt``), else a fresh network
    (seeded by ``config.seed``) or ``config.base`` opened as a model."""
    if ckpt is not None:
        return nets.build(ckpt["arch"]), ckpt["base"]
    if config.base is None:
        net = nets.build(config.arch)
        init_weights(net, config.seed)
        return net, "none (from scratch)"
    loaded = open_model(config.base)
    return loaded.net, str(loaded.path.name if loaded.path else config.base)
