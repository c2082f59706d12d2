"""Small synthetic camera RAW files: now in ``tests.synthetic``, re-exported here."""

from tests.synthetic import BLACK, BLUE, RED, WHITE, scene, write_dng

__all__ = ["BLACK", "BLUE", "RED", "WHITE", "scene", "write_dng"]
