"""Errors the front ends catch by type, kept free of heavy imports so that ``zdce --help``
and usage errors do not load torch."""


class UserFacingError(Exception):
    """An error whose message is written for the user (it names the file and the reason);
    front ends show it as it is. Any other exception reaching a front end is a bug."""


class WeightsError(UserFacingError, ValueError):
    """A weight file that cannot be used; the message names the file and the reason."""


class ModelFileError(UserFacingError, ValueError):
    """A model name or model file operation that cannot be done (a clash, a bad name, a
    folder that cannot be written); the message says which and why."""


class ImageReadError(UserFacingError):
    """A file that cannot be read as a photo; the message says why (the caller adds the path)."""
