"""One render of a preview (or its draft) at the adjustments shown: the same core path
(:func:`~zdce_core.preview.render_preview`) for the model in use and for a model it is
compared with."""

from __future__ import annotations

from enum import IntEnum

from zdce_core.adjustments import Adjustments
from zdce_core.enhancer import Enhancer
from zdce_core.pipeline import Enhanced
from zdce_core.preview import Preview, UpsampledMaps, draft_of, render_preview
from zdce_core.render_plan import planned_maps


class Quality(IntEnum):
    """How a preview is rendered: a draft (a quarter of the pixels) or the full preview."""

    DRAFT = 1
    FULL = 2


class OneAtATime:
    """Renders of one kind run one at a time: a request made while one runs waits (a full
    render wins over a draft: fast slider moves coalesce) and is handed back when it ends."""

    def __init__(self) -> None:
        self.running = False
        self.waiting: Quality | None = None

    def start(self, quality: Quality = Quality.FULL) -> bool:
        """Whether a render of ``quality`` may start now (else it waits for :meth:`end`)."""
        if self.running:
            self.waiting = max(quality, self.waiting or quality)
            return False
        self.running, self.waiting = True, None
        return True

    def end(self) -> Quality | None:
        """The running render ended: the request that waited meanwhile, if any."""
        self.running = False
        quality, self.waiting = self.waiting, None
        return quality


Rendered = tuple[Preview, UpsampledMaps]
"""What was rendered (the preview or its draft) and its upsampled maps, kept for re-renders."""


def cached_for(
    rendered: dict[Quality, Rendered], quality: Quality, preview: Preview
) -> Rendered | None:
    """The kept render of ``preview`` at ``quality``, if the one kept is of that photo."""
    cached = rendered.get(quality)
    return cached if cached is not None and cached[0].path == preview.path else None


def render_at(
    enhancer: Enhancer,
    preview: Preview,
    quality: Quality,
    adjustments: Adjustments,
    cached: Rendered | None,
) -> tuple[Preview, UpsampledMaps, Enhanced]:
    """``preview`` (or its draft) rendered with ``adjustments``, reusing ``cached`` maps (in a
    worker: it upsamples the maps when none are cached)."""
    if cached is not None:
        shown, maps = cached
    else:
        shown = preview if quality is Quality.FULL else draft_of(preview)
        maps = UpsampledMaps(planned_maps(shown.maps, adjustments))
    return shown, maps, render_preview(enhancer, shown, adjustments, maps)
