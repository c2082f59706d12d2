"""Zero-DCE engine: models, curves, weights, image I/O, enhancer, batch runner, CLI.

This package never imports Qt or ``zdce_gui``.
"""

__version__ = "0.2.0"
"""The version, in this one place (pyproject.toml and build.spec read it)."""
