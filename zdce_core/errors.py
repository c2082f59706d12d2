"""Errors the front ends catch by type, kept free of heavy imports so that ``zdce --help``
and usage errors do not load torch."""


class WeightsError(ValueError):
    """A weight file that cannot be used; the message names the file and the reason."""
