"""Issue 21, item 6: compare two models on the selected photo. "Compare" picks a second
model; the Before pane shows the photo rendered with it (labelled with its name), the After
pane the model in use (labelled with its own), at the same adjustments; the loupe shows both
at 100 %; "Original" ends the comparison, as does deleting the second model (a rename is
followed). The batch keeps using the model in use."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest

import zdce_gui.model_compare as model_compare
from tests.conftest import dark_rgb, darkening_net, save_photo
from tests.gui.conftest import add
from tests.gui.test_model_manager import delete_with_button, manager_of, row_of
from zdce_core import nets
from zdce_core.enhancer import Enhancer
from zdce_core.loupe import Region, load_full_photo, render_region
from zdce_core.preview import make_preview, render_preview
from zdce_core.weights import load_model, save_model
from zdce_gui.compare_view import ViewMode
from zdce_gui.main_window import MainWindow
from zdce_gui.model_compare import CompareState

HEIGHT, WIDTH = 1300, 2000  # larger than a preview (1600): the loupe has its own pixels


def faint_net() -> nets.CurveNet:
    """A DCE-Net whose maps are -0.1 everywhere: it brightens a little (the test's "bright"
    model, -0.5, brightens a lot)."""
    net = nets.build("dcenet")
    with torch.no_grad():
        for p in net.parameters():
            p.zero_()
        last = net.get_submodule("e_conv7")
        assert isinstance(last, torch.nn.Conv2d) and last.bias is not None
        last.bias.fill_(float(np.arctanh(-0.1)))
    return net.eval()


def pixels(image: QImage) -> np.ndarray:
    """``image`` as ``(h, w, 3)`` uint8 RGB."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    h, w = rgb.height(), rgb.width()
    data = np.frombuffer(rgb.constBits(), np.uint8).reshape(h, rgb.bytesPerLine())
    return data[:, : 3 * w].reshape(h, w, 3).copy()


def choose(combo, label: str) -> None:
    """Pick ``label`` in ``combo``, as a user does."""
    index = combo.findText(label)
    assert index >= 0, f"{label!r} is not offered"
    combo.setCurrentIndex(index)


@pytest.fixture
def comparing(make_window, user_home, tmp_path, qtbot) -> tuple[MainWindow, Path, Path]:
    """A window using "bright", a "faint" model installed, a dark photo selected and shown at
    a manual strength of 4 (auto would lift both models' results alike)."""
    faint = save_model(faint_net(), user_home / "models" / "faint.safetensors")
    window = make_window()
    window.resize(1300, 800)
    window.show()
    choose(window.ui.model_combo, "bright (yours)")
    photo = save_photo(tmp_path / "night.png", dark_rgb(HEIGHT, WIDTH, seed=3))
    add(window, qtbot, [photo])
    window.ui.table.selectRow(0)
    qtbot.waitUntil(lambda: window.ui.view.after is not None, timeout=10_000)
    window.ui.auto_check.click()
    window.ui.strength_spin.setValue(4.0)
    qtbot.waitUntil(lambda: not window.preview.renders.running, timeout=10_000)
    return window, faint, photo


def wait_for_other(window: MainWindow, qtbot) -> None:
    compare = window.preview.compare
    qtbot.waitUntil(
        lambda: (
            window.ui.view.other is not None
            and not compare.renders.running
            and not compare.renders.waiting
        ),
        timeout=10_000,
    )


def test_compare_with_another_model_shows_it_in_the_before_pane(comparing, qtbot, monkeypatch):
    window, faint, photo = comparing
    threads: list[threading.Thread] = []
    load = model_compare.load_enhancer

    def recording(path: Path, device: str) -> Enhancer:
        threads.append(threading.current_thread())
        return load(path, device)

    monkeypatch.setattr(model_compare, "load_enhancer", recording)
    view, in_use = window.ui.view, window.models.enhancer
    assert window.ui.compare_combo.currentText() == "Original"
    assert (view.other_label, view.after_label) == (None, "After")

    choose(window.ui.compare_combo, "faint (yours)")
    assert window.preview.compare.state is CompareState.LOADING
    assert view.other_label == "Before — faint: loading…"  # the original meanwhile, said so
    wait_for_other(window, qtbot)
    assert threads and all(t is not threading.main_thread() for t in threads)
    assert (view.other_label, view.after_label) == ("faint", "bright")

    faint_enhancer = Enhancer(load_model(faint), "cpu")
    expected = render_preview(
        faint_enhancer,
        make_preview(faint_enhancer, photo),
        window.preview.adjustments(4.0),
    )
    assert view.other is not None
    assert np.abs(pixels(view.other).astype(int) - expected.pixels).max() <= 1
    assert pixels(view.other).mean() < pixels(view.after).mean() - 20  # faint: darker
    assert window.models.enhancer is in_use  # the batch still uses "bright"

    shot = view.grab().toImage()
    shot.save("/tmp/issue21_compare_split.png")
    y, x = view.height() // 2, round(view.split * view.width())
    left, right = shot.pixelColor(x - 40, y), shot.pixelColor(x + 40, y)
    assert left.lightness() < right.lightness() - 20  # faint | bright on screen

    choose(window.ui.mode_combo, "Side by side")
    assert view.mode is ViewMode.SIDE_BY_SIDE and view.other is not None
    window.grab().save("/tmp/issue21_compare_side.png")

    QTest.keyPress(view, Qt.Key.Key_Space)  # Space: the original in both panes
    shot = view.grab().toImage()
    QTest.keyRelease(view, Qt.Key.Key_Space)
    half = view.width() // 2
    original = shot.pixelColor(half // 2, y).lightness()
    assert abs(original - shot.pixelColor(half + half // 2, y).lightness()) <= 2
    assert original < left.lightness()

    window.ui.strength_spin.setValue(6.0)  # the same strength for both models: drafts first
    expected = render_preview(
        faint_enhancer, make_preview(faint_enhancer, photo), window.preview.adjustments(6.0)
    )
    qtbot.waitUntil(lambda: not window.preview.full_render_timer.isActive(), timeout=10_000)
    wait_for_other(window, qtbot)
    qtbot.waitUntil(lambda: view.other is not None and view.other.width() == 1600, timeout=10_000)
    assert np.abs(pixels(view.other).astype(int) - expected.pixels).max() <= 1

    choose(window.ui.compare_combo, "Original")
    assert window.preview.compare.state is CompareState.OFF
    assert view.other is None and (view.other_label, view.after_label) == (None, "After")
    shot = view.grab().toImage()
    assert abs(shot.pixelColor(half // 2, y).lightness() - original) <= 2  # Original again


def test_the_loupe_shows_the_second_models_full_resolution_render(comparing, qtbot):
    window, faint, photo = comparing
    view = window.ui.view
    choose(window.ui.compare_combo, "faint (yours)")
    wait_for_other(window, qtbot)
    window.ui.actual_button.click()  # 100 %
    qtbot.waitUntil(lambda: view.loupe is not None and view.loupe.other is not None, timeout=10_000)
    tile = view.loupe
    assert tile is not None and tile.other is not None
    rect = tile.rect
    faint_enhancer = Enhancer(load_model(faint), "cpu")
    region = Region(rect.x(), rect.y(), rect.width(), rect.height())
    expected = render_region(
        faint_enhancer,
        load_full_photo(faint_enhancer, photo),
        window.preview.adjustments(4.0),
        region,
    )
    assert np.abs(pixels(tile.other).astype(int) - expected.after).max() <= 1
    assert pixels(tile.other).mean() < pixels(tile.after).mean() - 20
    assert pixels(tile.before).mean() < pixels(tile.other).mean()
    shot = view.grab().toImage()
    shot.save("/tmp/issue21_compare_loupe.png")
    y, x = view.height() // 2, round(view.split * view.width())
    assert shot.pixelColor(x - 40, y).lightness() < shot.pixelColor(x + 40, y).lightness() - 20

    choose(window.ui.compare_combo, "Original")
    assert view.other is None  # the Before pane: the original again
    qtbot.waitUntil(lambda: view.loupe is not None and view.loupe.other is None, timeout=10_000)


def test_renaming_the_second_model_is_followed_and_deleting_it_ends_the_comparison(
    comparing, user_home, qtbot
):
    window, _faint, _photo = comparing
    view, combo = window.ui.view, window.ui.compare_combo
    choose(combo, "faint (yours)")
    wait_for_other(window, qtbot)
    manager = manager_of(window)
    manager.list.setCurrentRow(row_of(manager, "faint"))
    window.asker.answers.append("faint v2")
    with qtbot.waitSignal(manager.models_changed, timeout=10_000):
        qtbot.mouseClick(manager.rename_button, Qt.MouseButton.LeftButton)
    assert combo.currentText() == "faint v2 (yours)"
    assert combo.currentData() == str(user_home / "models" / "faint v2.safetensors")
    wait_for_other(window, qtbot)  # (the manager has the model in use load again)
    assert view.other_label == "faint v2" and view.after_label == "bright"
    assert window.preview.compare.state is CompareState.READY

    delete_with_button(manager, qtbot, "faint v2")
    assert combo.currentText() == "Original" and combo.findText("faint v2 (yours)") < 0
    assert window.preview.compare.state is CompareState.OFF
    assert view.other is None and (view.other_label, view.after_label) == (None, "After")
    assert window.ui.status_label.text() == "Stopped comparing: faint v2 was deleted."
    assert window.ui.model_combo.currentText() == "bright (yours)"
    assert window.asker.shown == []


def test_a_refused_rendering_of_the_second_model_says_why(comparing, user_home, qtbot):
    window, _faint, _photo = comparing
    save_model(darkening_net(), user_home / "models" / "crusher.safetensors")
    window.models.refresh()  # listed, as after an import
    window.models.models_changed.emit()
    view = window.ui.view
    choose(window.ui.compare_combo, "crusher (yours)")
    qtbot.waitUntil(
        lambda: "crusher: " in (view.other_label or "") and "…" not in (view.other_label or ""),
        timeout=10_000,
    )
    assert view.other is None and view.other_label is not None
    assert "black" in view.other_label and view.after_label == "bright"
    assert window.asker.shown == []
