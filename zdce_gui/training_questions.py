"""What the training dialog asks and tells in its own words: how Start goes on when the name's
run or model exists, and a model that failed the check before saving (the core's
:class:`~zdce_core.training_check.Refusal`, worded with the names of the dialog's settings)."""

from __future__ import annotations

from enum import Enum

from zdce_core.training_check import Refusal, try_line
from zdce_core.training_config import TrainConfig
from zdce_core.training_runs import RunInfo
from zdce_core.training_saves import model_target
from zdce_gui.dialogs import Asker
from zdce_gui.training_settings import REMEDY_WORDS, SETTINGS_TITLE


class StartChoice(Enum):
    """How Start goes on when the name's run or model exists (the same choices, with the
    same meaning, as ``zdce train --resume`` / ``--replace``)."""

    NEW = "new"
    """Nothing of that name exists."""
    RESUME = "resume"
    """Continue the earlier run from its checkpoint."""
    REPLACE = "replace"
    """Start over: the old checkpoint and model are replaced when the new run saves."""
    CANCEL = "cancel"
    """Do nothing."""


RESUME_TITLE = "Resume the earlier run?"
REPLACE_TITLE = "Start over and replace?"
REFUSED_TITLE = "Model not saved"
SAVE_REFUSED_TITLE = "Save a model that failed the check?"


def ask_start(asker: Asker, config: TrainConfig, earlier: RunInfo | None) -> StartChoice:
    """Ask what Start does when a run or model named ``config.name`` exists: resume the run
    (offered when it has done fewer epochs than asked for), replace them (when the new run
    saves), or cancel. Nothing is replaced before the new run saves."""
    model_exists = model_target(config).exists()
    if earlier is None and not model_exists:
        return StartChoice.NEW
    what = []
    if earlier is not None:
        state = (
            f"stopped after epoch {earlier.epoch} of {earlier.epochs}"
            if earlier.unfinished
            else f"finished, {earlier.epoch} epochs"
        )
        what.append(f"a run of “{config.name}” exists ({state})")
    if model_exists:
        what.append(f"a model “{config.name}” exists")
    exists = " and ".join(what)
    exists = exists[:1].upper() + exists[1:]
    if (
        earlier is not None
        and earlier.epoch < config.epochs
        and asker.confirm(
            RESUME_TITLE,
            f"{exists}. Resume the run after epoch {earlier.epoch}, up to "
            f"{config.epochs} epochs? (No: you are asked whether to start over.)",
        )
    ):
        return StartChoice.RESUME
    if asker.confirm(
        REPLACE_TITLE,
        f"{exists}. Start over? The old run and model are replaced only when the new run "
        "saves; until then they stay as they are.",
    ):
        return StartChoice.REPLACE
    return StartChoice.CANCEL


def refusal_text(refusal: Refusal) -> str:
    """E.g. ``On 44.jpg, the model turned 35% of the photo white, so it was not saved. Try a
    lower learning rate or fewer epochs (Training settings).``"""
    finding = refusal.finding()
    advice = try_line(refusal.remedies, REMEDY_WORDS)
    return (
        f"{finding[:1].upper()}{finding[1:]}, so it was not saved. "
        f"{advice} ({SETTINGS_TITLE} settings)."
    )


def ask_save_refused(asker: Asker, refusal: Refusal) -> bool:
    """Ask whether to save a model although it failed the check; the question says why it
    failed."""
    return asker.confirm(
        SAVE_REFUSED_TITLE,
        f"{refusal_text(refusal)}\n\nSave it anyway? It may spoil the photos you enhance with it.",
    )
