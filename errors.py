"""User-facing errors.

Anything raised as :class:`CountylinkError` is a problem with the user's input
or environment; the CLI prints its message on one line and exits non-zero
instead of showing a traceback.
"""


class CountylinkError(Exception):
    """A clear, user-facing error (bad input, missing data, unwritable output)."""


class DataError(CountylinkError):
    """Input data is malformed: missing columns, bad values, unknown keys."""


class NotFoundError(CountylinkError):
    """A named thing (province, programme, layer, file) does not exist."""
