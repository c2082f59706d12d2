"""Zero-DCE engine: models, curves, weights, image I/O, enhancer, batch runner, CLI.

This package never imports Qt or ``zdce_gui``.
"""

__version__ = "0.1.0"
