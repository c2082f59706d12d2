"""Frozen entry point of the command line (PyInstaller runs this file)."""

from zdce_core.cli import run

run()
