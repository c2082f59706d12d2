"""zdce-gui says in one line what to install before Qt would abort (no Qt imported)."""

import subprocess
import sys

from zdce_gui import system_check


def test_xcb_is_used_on_linux_unless_another_platform_is_chosen(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    assert system_check.uses_xcb({})
    assert not system_check.uses_xcb({"QT_QPA_PLATFORM": "offscreen"})
    assert system_check.uses_xcb({"QT_QPA_PLATFORM": "xcb"})
    assert not system_check.uses_xcb(
        {"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"}
    )
    monkeypatch.setattr(sys, "platform", "darwin")
    assert not system_check.uses_xcb({})


def test_missing_libraries_are_named_with_the_packages_to_install(monkeypatch):
    monkeypatch.setattr(system_check, "uses_xcb", lambda: True)
    monkeypatch.setattr(
        system_check, "_loads", lambda so: so not in ("libxcb-cursor.so.0", "libxcb-icccm.so.4")
    )
    line = system_check.startup_problem()
    assert line is not None and "\n" not in line
    assert "libxcb-cursor.so.0, libxcb-icccm.so.4" in line
    assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4" in line
    monkeypatch.setattr(system_check, "_loads", lambda so: True)
    assert system_check.startup_problem() is None


def test_without_the_gui_extra_it_says_how_to_install_it(monkeypatch):
    real = system_check.importlib.util.find_spec
    monkeypatch.setattr(
        system_check.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "PySide6" else real(name, *a),
    )
    assert system_check.startup_problem() == (
        'zdce-gui: the app is not installed; install it with: pip install "zdce[gui]"'
    )


def test_zdce_gui_stops_before_importing_qt():
    code = (
        "import sys, os\n"
        "os.environ.pop('QT_QPA_PLATFORM', None)\n"
        "from zdce_gui import system_check\n"
        "system_check.uses_xcb = lambda: True\n"
        "system_check._loads = lambda so: so != 'libxcb-keysyms.so.1'\n"
        "from zdce_gui.app import main\n"
        "code = main([])\n"
        "print(code, [m for m in sys.modules if m.startswith('PySide6.Qt')])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.split() == ["1", "[]"], result.stdout + result.stderr
    assert "apt-get install libxcb-keysyms1" in result.stderr
