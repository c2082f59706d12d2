"""Frozen entry point of the desktop app (PyInstaller runs this file)."""

import sys

from zdce_gui.app import main

sys.exit(main())
