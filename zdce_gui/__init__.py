"""The PySide6 desktop application (calls ``zdce_core`` for all work)."""
