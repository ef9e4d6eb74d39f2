"""File helpers shared by every writer: atomic output and the data directory."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from countylink.errors import CountylinkError, NotFoundError

DATA_ENV = "COUNTYLINK_DATA"
CACHE_ENV = "COUNTYLINK_CACHE"


def data_dir(path: str | os.PathLike | None = None) -> Path:
    """Return the offline data-pack directory the user named.

    Parameters
    ----------
    path
        Explicit directory (``--data DIR``). When ``None`` the environment
        variable ``COUNTYLINK_DATA`` is used.

    Raises
    ------
    NotFoundError
        If no directory was named or it does not exist.
    """
    chosen = path if path is not None else os.environ.get(DATA_ENV)
    if not chosen:
        raise NotFoundError(f"no data directory given: pass --data DIR or set {DATA_ENV} (for example ../shared/data)")
    p = Path(chosen).expanduser()
    if not p.is_dir():
        raise NotFoundError(f"data directory not found: {p}")
    return p


def cache_dir(path: str | os.PathLike | None = None) -> Path:
    """Return (and create) the folder for rebuildable caches: network extracts, all-China boundaries.

    Parameters
    ----------
    path
        Explicit folder. When ``None``: ``$COUNTYLINK_CACHE``, else
        ``$XDG_CACHE_HOME/countylink``, else ``~/.cache/countylink``.

    Raises
    ------
    CountylinkError
        If the folder cannot be created.
    """
    if path is not None:
        chosen = Path(path).expanduser()
    elif os.environ.get(CACHE_ENV):
        chosen = Path(os.environ[CACHE_ENV]).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        chosen = Path(base).expanduser() / "countylink"
    try:
        chosen.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CountylinkError(f"cannot create the cache folder {chosen}: {exc.strerror}") from exc
    return chosen


def data_file(relative: str, *, data: str | os.PathLike | None = None) -> Path:
    """Return ``relative`` inside the data directory, or raise a clear error."""
    p = data_dir(data) / relative
    if not p.exists():
        raise NotFoundError(f"data file missing from the data directory: {p}")
    return p


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it into place on success.

    Nothing is left behind when the body raises, so a failed export never
    leaves a half-written file (and never clobbers an existing good one).

    Raises
    ------
    CountylinkError
        If the output directory does not exist or is not writable.
    """
    target = Path(path).expanduser()
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise CountylinkError(f"cannot write {target}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise CountylinkError(f"cannot write {target}: directory {parent} is not writable")
    if target.is_dir():
        raise CountylinkError(f"cannot write {target}: it is a directory")
    sfx = suffix if suffix is not None else "".join(target.suffixes) or ".tmp"
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=sfx, dir=parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers (GDAL drivers in particular) want to create the file themselves
    try:
        yield tmp
        if not tmp.exists():
            raise CountylinkError(f"writer produced no output for {target}")
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
