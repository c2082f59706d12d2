"""Windows open within the screen: a laptop's 1366×768 must show every control."""

from PySide6.QtCore import Qt

from zdce_gui.screen_fit import FRAME_ALLOWANCE


def fits_screen(widget) -> bool:
    """The widget, with a window manager's frame around it, fits its screen's free area."""
    area = widget.screen().availableGeometry().size()
    return widget.height() + FRAME_ALLOWANCE.height() <= area.height()


def test_first_start_on_a_small_screen_fits_it_maximised(window, qtbot):
    # the offscreen screen (800×800) is smaller than the 1400×850 a first start asks for
    assert fits_screen(window)
    assert window.windowState() & Qt.WindowState.WindowMaximized
    window.show()
    qtbot.waitExposed(window)
    assert fits_screen(window)


def test_training_dialog_fits_a_small_screen(window, qtbot):
    window.ui.train_action.trigger()
    dialog = window.models.training_dialog
    assert dialog is not None
    assert fits_screen(dialog)
