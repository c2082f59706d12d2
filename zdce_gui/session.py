"""The state the controllers share, with signals for its changes: the model in use, the
settings, the look the controls show, and whether a batch runs.

A controller knows the session and its own widgets, never the window nor another
controller: one that changes shared state says so here (``set_model``,
``set_batch_running``, ``adjustments_changed``) and the controllers that care follow the
signal. :class:`~zdce_gui.main_window.MainWindow` builds the session, the widgets and the
controllers, and is the only place that knows them all.
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import QObject, Signal

from zdce_core.adjustments import Adjustments, Denoise
from zdce_core.enhancer import Enhancer
from zdce_gui.settings import AppSettings


class LoadState(Enum):
    """Whether the app has a model to enhance with."""

    READY = "ready"
    LOADING = "loading"  # a worker loads the chosen model; previews and Start wait
    UNUSABLE = "unusable"  # none installed, or the only choice failed (``error`` says why)


class Session(QObject):
    """The app's shared state.

    ``model_changed``: another enhancer (or none: ``model_state`` and ``model_error`` say
    why) is used from now on. ``batch_running_changed(running)``: a batch started or ended.
    ``adjustments_changed``: the batch's look (target brightness, highlight protection, and
    with a preset its strength and denoise) changed: the preview renders again."""

    model_changed = Signal()
    batch_running_changed = Signal(bool)
    adjustments_changed = Signal()

    def __init__(self, settings: AppSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        """The remembered settings; the batch's strength, denoise and look among them."""
        self.enhancer: Enhancer | None = None
        self.model_state = LoadState.UNUSABLE
        self.model_error = ""
        """Why there is no enhancer (empty while one is used)."""
        self.batch_running = False

    def set_model(self, enhancer: Enhancer | None, state: LoadState, error: str) -> None:
        """Enhance with ``enhancer`` from now on (``None``: ``error`` says why)."""
        self.enhancer, self.model_state, self.model_error = enhancer, state, error
        self.model_changed.emit()

    def set_batch_running(self, running: bool) -> None:
        self.batch_running = running
        self.batch_running_changed.emit(running)

    def look(self, strength: float | None, denoise: Denoise) -> Adjustments:
        """``strength`` and ``denoise`` with the look the controls show (target brightness,
        highlight protection, cast correction: the settings keep what the controls show)."""
        s = self.settings
        return Adjustments(
            strength=strength,
            denoise=denoise,
            target_brightness=s.target_brightness,
            protect_highlights=s.protect_highlights,
            correct_cast=s.correct_cast,
        )

    def batch_adjustments(self) -> Adjustments:
        """What the batch applies to a photo without its own strength and denoise."""
        return self.look(self.settings.strength, self.settings.denoise)
