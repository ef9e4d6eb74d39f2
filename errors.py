"""User-facing errors and how the command line reports them.

Three kinds of failure reach the person running a command, each as one line:

* :class:`CountylinkError` (and :class:`DataError`, :class:`NotFoundError`): a
  problem with the user's input (file, option, value): exit status 2.
* :class:`EnvironmentProblem`: the machine refused (disk full, no permission,
  another run holds the output folder): exit status 1.
* :class:`Interrupted`: SIGINT/SIGTERM/SIGHUP arrived; exit status 128 + signal.

Anything else is an internal error: the CLI prints one line and the path of a
file holding the full traceback (``countylink --debug`` shows it instead).
"""

from __future__ import annotations

import contextlib
import errno
import signal
from collections.abc import Iterator

#: exit status of an input problem, an environment problem and an internal error
EXIT_INPUT, EXIT_ENVIRONMENT, EXIT_INTERNAL = 2, 1, 3


class CountylinkError(Exception):
    """A clear, user-facing error (bad input, missing data, unwritable output)."""

    exit_code = EXIT_INPUT


class DataError(CountylinkError):
    """Input data is malformed: missing columns, bad values, unknown keys."""


class NotFoundError(CountylinkError):
    """A named thing (province, programme, layer, file) does not exist."""


class EnvironmentProblem(CountylinkError):
    """The machine refused: disk full, permission denied, output folder locked."""

    exit_code = EXIT_ENVIRONMENT


class Interrupted(BaseException):  # a signal, like KeyboardInterrupt: not an Exception
    """A termination signal arrived; ``finally`` blocks clean up on the way out."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


#: errno -> what to tell the user to do about it
_OS_ADVICE = {
    errno.ENOSPC: "the disk is full: free some space or write elsewhere",
    errno.EDQUOT: "the disk quota is exhausted: free some space or write elsewhere",
    errno.EACCES: "permission denied: choose a folder you can write",
    errno.EPERM: "operation not permitted: choose a folder you can write",
    errno.EROFS: "the file system is read-only: write elsewhere",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "the path is a folder, not a file",
    errno.ENOENT: "no such file or folder",
}


def describe_os_error(exc: OSError, *, action: str = "") -> str:
    """One sentence for an :class:`OSError`: what failed, on which file, and what to do."""
    where = exc.filename if exc.filename is not None else ""
    advice = _OS_ADVICE.get(exc.errno or -1, exc.strerror or str(exc))
    head = f"{action} {where}".strip() if action or where else "input/output failed"
    return f"{head}: {advice}"


def environment_problem(exc: OSError, *, action: str = "") -> EnvironmentProblem:
    """An :class:`EnvironmentProblem` carrying :func:`describe_os_error`'s sentence."""
    return EnvironmentProblem(describe_os_error(exc, action=action))


#: signals that end a command by unwinding it (so staging folders and temporary files are removed)
STOP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))


def _raise_interrupted(signum, frame):
    raise Interrupted(signum)


@contextlib.contextmanager
def signals_unwind() -> Iterator[None]:
    """While the body runs, SIGTERM and SIGHUP raise :class:`Interrupted` (main thread only).

    ``finally`` blocks and context managers then run as for Ctrl-C, so
    temporary files and staging folders are removed before the process ends.
    """
    try:
        previous = {s: signal.signal(s, _raise_interrupted) for s in STOP_SIGNALS}
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
