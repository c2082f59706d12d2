"""The loupe: from 100 %, the part of the selected photo on screen rendered from its
full-resolution pixels, as the batch renders it (:mod:`zdce_core.loupe`), in a worker.

The full-size decode is made when the user first zooms past fit (or the fitted photo is
already at 100 %), not on selection: browsing photo after photo (←/→) decodes nothing more
than the previews, and a 12 MP decode is 36 MB more and ~0.2 s of a core. It is kept for the
selected photo only, and dropped when another is shown. While the region renders the view
shows the magnified preview, then the tile replaces it; renders asked for meanwhile
(panning, the slider) coalesce into one for the latest view. While two models are compared
the tile holds the region rendered with the second model too (the same decode, analysed by
that model once).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from zdce_core.cancel import Cancelled
from zdce_core.enhancer import Enhancer
from zdce_core.loupe import FullPhoto, Region, load_full_photo, render_region
from zdce_gui.compare_view import LOUPE_FROM, LoupeTile
from zdce_gui.model_compare import analysed_by
from zdce_gui.preview_render import OneAtATime
from zdce_gui.qimage import to_qimage
from zdce_gui.workers import Worker, WorkerPool

if TYPE_CHECKING:
    from zdce_gui.preview_controller import PreviewController


class LoupeController(QObject):
    """Decodes the selected photo in full when needed and renders the view's region."""

    def __init__(self, preview: PreviewController) -> None:
        super().__init__(preview)
        self.preview = preview
        self.view = preview.ui.view
        self.pool = WorkerPool()
        self.photo: FullPhoto | None = None
        self.other: tuple[Enhancer, FullPhoto] | None = None
        """The second model compared with, and the photo analysed by it."""
        self.loading: Worker | None = None
        self.unreadable: Path | None = None  # its full-size decode failed: not tried again
        self.renders = OneAtATime()
        self.view.region_changed.connect(self.refresh)

    def drop(self) -> None:
        """Forget the full-size photo (another photo is shown, or none)."""
        if self.loading is not None:
            self.loading.cancel()
            self.loading = None
        self.photo, self.unreadable, self.other = None, None, None

    def refresh(self) -> None:
        """The view or the adjustments changed: decode the photo in full if the view is
        zoomed past fit, and render the region on screen from 100 %."""
        shown, enhancer = self.preview.current, self.preview.enhancer
        if shown is None or enhancer is None or self.view.before is None:
            return
        if shown.pixels.shape[:2] == shown.full_size:
            return  # the preview is the photo itself
        scale = self.view.current_scale()
        if self.view.fit and scale < LOUPE_FROM:
            return
        if self.photo is None or self.photo.path != shown.path:
            if self.loading is None and self.unreadable != shown.path:
                self.load(shown.path)
            return
        if scale < LOUPE_FROM:
            return
        if self.renders.start():
            self.render()

    def load(self, path: Path) -> None:
        enhancer = self.preview.enhancer
        assert enhancer is not None

        def work(_report, cancelled) -> FullPhoto | None:
            try:
                return load_full_photo(enhancer, path, cancelled)
            except Cancelled:
                return None

        self.loading = self.pool.start(
            work, result=self.loaded, error=lambda msg, p=path: self.load_failed(p, msg)
        )

    def loaded(self, photo: FullPhoto | None) -> None:
        current = self.preview.current
        if photo is None or current is None or current.path != photo.path:
            return
        self.loading, self.photo = None, photo
        self.refresh()

    def render(self) -> None:
        enhancer, photo, rect = self.preview.enhancer, self.photo, self.view.visible_region()
        if enhancer is None or photo is None or rect is None:
            self.renders.end()
            return
        adjustments = self.preview.adjustments(self.preview.strength())
        region = Region(rect.x(), rect.y(), rect.width(), rect.height())
        other = self.preview.compare.enhancer
        known = self.other
        if known is not None and (known[0] is not other or known[1].path != photo.path):
            known = None

        def work(_report, _cancelled) -> tuple[Path, LoupeTile, tuple[Enhancer, FullPhoto] | None]:
            shown = render_region(enhancer, photo, adjustments, region)
            before, after = to_qimage(shown.before), to_qimage(shown.after)
            if other is None:
                return photo.path, LoupeTile(rect, before, after), None
            analysed = known or (other, analysed_by(other, photo))
            alternative = render_region(other, analysed[1], adjustments, region).after
            return photo.path, LoupeTile(rect, before, after, to_qimage(alternative)), analysed

        self.pool.start(
            work,
            result=self.rendered,
            error=lambda msg, p=photo.path: self.failed(p, msg),
            finished=self.finished,
        )

    def rendered(self, result: tuple[Path, LoupeTile, tuple[Enhancer, FullPhoto] | None]) -> None:
        path, tile, other = result
        if self.photo is None or self.photo.path != path:
            return
        if other is not None and other[0] is not self.preview.compare.enhancer:
            tile, other = replace(tile, other=None), None  # another second model by now
        self.view.set_loupe(tile)
        self.other = other

    def finished(self) -> None:
        if self.renders.end() is not None:
            self.refresh()

    def load_failed(self, path: Path, message: str) -> None:
        current = self.preview.current
        if current is not None and current.path == path:
            self.loading, self.unreadable = None, path
        self.failed(path, message)

    def failed(self, path: Path, message: str) -> None:
        """The full-size photo could not be read or rendered: say so; the preview stays."""
        current = self.preview.current
        if current is not None and current.path == path:
            self.view.set_message(f"{path.name} at full size: {message}")
