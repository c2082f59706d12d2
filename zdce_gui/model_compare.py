"""Comparing two models on the selected photo: "Compare" (under the view) picks a second
model, whose rendering of the photo takes the original's place in the Before pane (labelled
with its name) while the After pane shows the model in use (labelled with its own).

The second model loads in a worker, as the model in use does (:func:`load_enhancer`); its
preview is estimated and rendered by the very same core path as the model in use
(:func:`~zdce_core.preview.make_preview`, :func:`~zdce_gui.preview_render.render_at`), at
the adjustments shown (strength or auto, denoise, brightness target, highlights). It is used
for the preview and the loupe only: the batch always uses the model in use. A second model
renamed in Model → Manage… is followed; one deleted ends the comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QImage

from zdce_core.cancel import Cancelled
from zdce_core.enhancer import Enhancer
from zdce_core.errors import UserFacingError
from zdce_core.loupe import FullPhoto
from zdce_core.model_names import printable
from zdce_core.preview import Preview, PreviewCache, UpsampledMaps, make_preview
from zdce_gui.model_controller import load_enhancer
from zdce_gui.preview_render import OneAtATime, Quality, Rendered, cached_for, render_at
from zdce_gui.qimage import to_qimage
from zdce_gui.workers import Worker, WorkerPool

if TYPE_CHECKING:
    from zdce_gui.preview_controller import PreviewController


class CompareState(Enum):
    """Whether a second model is compared with the model in use."""

    OFF = "off"
    LOADING = "loading"  # a worker loads the second model
    READY = "ready"


@dataclass(frozen=True)
class OtherLoaded:
    """What the load worker hands back: the second model, or why there is none."""

    load: int
    """Which choice asked for it (only the newest is used)."""
    enhancer: Enhancer | None
    error: str = ""


def model_name(path: str | Path | None) -> str:
    """A model's name as the panes show it: its file's stem ("night-v2"), escaped."""
    return "" if path is None else printable(Path(path).stem)


def analysed_by(enhancer: Enhancer, photo: FullPhoto) -> FullPhoto:
    """``photo``'s full-size decode analysed by another model, as
    :func:`~zdce_core.loupe.load_full_photo` analyses it (in a worker: it estimates maps)."""
    return FullPhoto(
        photo.path, photo.pixels, enhancer.estimate_downscaled(photo.pixels), photo.reduced
    )


class ModelCompare(QObject):
    """Loads the model chosen in "Compare" and renders the selected photo with it."""

    def __init__(self, preview: PreviewController) -> None:
        super().__init__(preview)
        self.preview = preview
        self.ui = preview.ui
        self.view = preview.ui.view
        self.pool = WorkerPool()
        self.state = CompareState.OFF
        self.path: Path | None = None
        self.enhancer: Enhancer | None = None
        self.loads = 0
        """How many second models were chosen (numbers each load)."""
        self.previews = PreviewCache(capacity=4)
        self.estimating: Worker | None = None
        self.rendered: dict[Quality, Rendered] = {}
        self.renders = OneAtATime()
        self.note: str | None = None
        """Why the Before pane shows the original while comparing ("loading…"), if it does."""
        self.ui.compare_combo.addItem("Original", None)
        self.ui.compare_combo.currentIndexChanged.connect(lambda _i: self.choose())

    @property
    def name(self) -> str:
        return model_name(self.path)

    # the list of models ------------------------------------------------------------------------
    def relist(self) -> None:
        """Offer the models the model selector offers, keeping the one compared with."""
        combo, models = self.ui.compare_combo, self.ui.model_combo
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("Original", None)
        for i in range(models.count()):
            combo.addItem(models.itemText(i), models.itemData(i))
        index = combo.findData(str(self.path)) if self.path is not None else 0
        combo.setCurrentIndex(max(index, 0))
        combo.blockSignals(False)
        if self.path is not None and index < 0:
            self.stop()  # no longer listed (gone, or unreadable now)
        self.show_names()

    def moved(self, old: Path, new: Path | None) -> None:
        """Model → Manage… renamed ``old`` to ``new`` or deleted it (``new`` is ``None``): the
        comparison follows the rename (the same weights) or ends."""
        if self.path is None or self.path.resolve() != old.resolve():
            return
        if new is None:
            self.ui.status_label.setText(f"Stopped comparing: {self.name} was deleted.")
            self.stop()
            return
        self.path = new
        self.show_names()
        self.show_other(self.view.other, self.note)

    # choosing ----------------------------------------------------------------------------------
    def choose(self) -> None:
        """The user chose a model in "Compare" (or "Original": no comparison)."""
        data = self.ui.compare_combo.currentData()
        self.forget()
        if data is None:
            self.state, self.path = CompareState.OFF, None
            self.show_names()
            self.show_other(None, None)
            return
        path, device = Path(data), self.ui.device_combo.currentData() or "auto"
        self.state, self.path = CompareState.LOADING, path
        self.loads += 1
        load = self.loads
        self.show_names()
        self.show_other(None, "loading…")

        def work(_report, _cancelled) -> OtherLoaded:
            try:
                return OtherLoaded(load, load_enhancer(path, device))
            except UserFacingError as exc:
                return OtherLoaded(load, None, str(exc))

        self.pool.start(work, result=self.loaded, error=self.load_crashed)

    def loaded(self, result: OtherLoaded) -> None:
        """The second model loaded (an older choice's result is dropped)."""
        if result.load != self.loads or self.state is not CompareState.LOADING:
            return
        if result.enhancer is None:
            self.failed(result.error)
            return
        self.state, self.enhancer = CompareState.READY, result.enhancer
        self.refresh(Quality.FULL)
        self.preview.loupe.refresh()  # the region on screen with this model too, from 100 %

    def load_crashed(self, message: str) -> None:
        if self.state is CompareState.LOADING:
            self.failed(message)

    def failed(self, message: str) -> None:
        """The second model cannot be loaded: say why once, and compare with nothing."""
        first_line = message.splitlines()[0] if message else "unknown error"
        name = self.name
        self.stop()
        details = message if message != first_line else ""
        self.preview.asker.warn(f"Cannot compare with {name}", first_line, details)

    def stop(self) -> None:
        """End the comparison: "Original" in the selector, Original | Enhanced in the view."""
        combo = self.ui.compare_combo
        combo.blockSignals(True)
        combo.setCurrentIndex(0)
        combo.blockSignals(False)
        self.choose()

    def forget(self) -> None:
        """Drop the second model and what was made with it."""
        if self.estimating is not None:
            self.estimating.cancel()
            self.estimating = None
        self.enhancer = None
        self.previews.clear()
        self.rendered.clear()
        self.renders.waiting = None
        self.view.set_loupe(None)  # its tile may hold the second model's region
        self.preview.loupe.refresh()

    def show_names(self) -> None:
        """Name the After pane after the model in use while comparing, else "After"."""
        comparing = self.state is not CompareState.OFF
        in_use = model_name(self.ui.model_combo.currentData())
        self.view.set_after_label(in_use if comparing and in_use else "After")

    def show_other(self, image: QImage | None, note: str | None) -> None:
        """Show the second model's rendering in the Before pane, labelled with its name; or
        the original, labelled "Before" or with ``note`` (why there is none yet)."""
        self.note = None if image is not None else note
        if image is not None:
            self.view.set_other(image, self.name)
        elif note is None or self.state is CompareState.OFF:
            self.view.set_other(None, None)
        else:
            self.view.set_other(None, f"Before — {self.name}: {note}")

    # rendering ---------------------------------------------------------------------------------
    def refresh(self, quality: Quality = Quality.FULL) -> None:
        """Render the photo on screen with the second model at the adjustments shown
        (estimating its preview first, in a worker, when needed)."""
        current, enhancer = self.preview.current, self.enhancer
        self.show_names()
        if current is None or self.state is CompareState.OFF:
            return
        if self.view.other is None and self.view.other_label is None:  # new images shown
            loading = self.state is CompareState.LOADING
            self.show_other(None, "loading…" if loading else "rendering…")
        if enhancer is None:
            return
        other = self.previews.get(current.path)
        if other is None:
            self.estimate(enhancer, current.path)
            return
        if not self.renders.start(quality):
            return
        adjustments = self.preview.adjustments(self.preview.strength())
        cached = cached_for(self.rendered, quality, other)
        load = self.loads

        def work(_report, _cancelled):
            shown, maps, enhanced = render_at(enhancer, other, quality, adjustments, cached)
            return load, quality, shown, maps, to_qimage(enhanced.pixels)

        self.pool.start(
            work,
            result=self.render_ready,
            error=lambda msg, p=current.path, n=load: self.render_failed(p, n, msg),
            finished=self.render_finished,
        )

    def estimate(self, enhancer: Enhancer, path: Path) -> None:
        """Estimate the second model's preview of ``path`` (once at a time)."""
        if self.estimating is not None:
            return

        def work(_report, cancelled) -> Preview | None:
            try:
                return make_preview(enhancer, path, cancel=cancelled)
            except Cancelled:
                return None

        load = self.loads
        self.estimating = self.pool.start(
            work,
            result=lambda p, n=load: self.estimated(p, n),
            error=lambda msg, n=load: self.estimate_failed(path, n, msg),
        )

    def estimated(self, other: Preview | None, load: int) -> None:
        self.estimating = None
        if other is None or load != self.loads:
            return
        self.previews.put(other)
        self.refresh(Quality.FULL)

    def estimate_failed(self, path: Path, load: int, message: str) -> None:
        self.estimating = None
        self.render_failed(path, load, message)

    def render_ready(self, result: tuple[int, Quality, Preview, UpsampledMaps, QImage]) -> None:
        load, quality, shown, maps, image = result
        current = self.preview.current
        if load != self.loads or current is None or current.path != shown.path:
            return
        if cached_for(self.rendered, quality, shown) is None:
            self.rendered[quality] = (shown, maps)
        self.show_other(image, None)

    def render_failed(self, path: Path, load: int, message: str) -> None:
        """The second model's rendering was refused or its photo unreadable: the Before pane
        shows the original and says why."""
        current = self.preview.current
        if load == self.loads and current is not None and current.path == path:
            self.show_other(None, message.splitlines()[0] if message else "unknown error")

    def render_finished(self) -> None:
        waiting = self.renders.end()
        if waiting is not None:
            self.refresh(waiting)
