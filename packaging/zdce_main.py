"""Frozen entry point of the command line (PyInstaller runs this file)."""

import sys

from zdce_core.cli import main

sys.exit(main())
