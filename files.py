"""File helpers shared by every reader and writer: atomic output, CSV reading, the data directory."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from countylink.errors import CountylinkError, DataError, EnvironmentProblem, NotFoundError, environment_problem

if TYPE_CHECKING:
    import pandas as pd

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


def fsync_path(path: str | os.PathLike) -> None:
    """Flush a file's (or a folder's) data to the disk, so a rename after it is durable."""
    flags = os.O_RDONLY | (os.O_DIRECTORY if Path(path).is_dir() else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_output(
    path: str | os.PathLike,
    *,
    suffix: str | None = None,
    verify: Callable[[Path], None] | None = None,
) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it into place on success.

    The temporary file is flushed to disk (``fsync``), checked (it exists, it is
    not empty, ``verify(tmp)`` does not raise) and only then renamed over
    ``path``; the folder is flushed after the rename. Nothing is left behind when
    the body, the flush or the check fails, so a failed export never leaves a
    half-written file (and never clobbers an existing good one). The temporary
    name carries the writer's process id: temporary files of a writer that died
    without cleaning up (a segfault, SIGKILL) are removed by the next write of
    the same file.

    Parameters
    ----------
    path
        The final file.
    suffix
        Suffix of the temporary file (default: ``path``'s), for writers that
        choose a format from it.
    verify
        Reads the written file back and raises when it is incomplete (for
        example re-opening a GeoTIFF and reading every band).

    Raises
    ------
    CountylinkError
        If the output directory does not exist or is a file.
    EnvironmentProblem
        If the disk is full, the folder not writable, or any other write fails.
    """
    target = Path(path).expanduser()
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        what = "is a file" if parent.exists() else "does not exist"
        raise CountylinkError(f"cannot write {target}: {parent} {what}; choose an existing folder")
    if target.is_dir():
        raise CountylinkError(f"cannot write {target}: it is a directory")
    sfx = suffix if suffix is not None else "".join(target.suffixes) or ".tmp"
    _remove_orphans(parent, target.stem)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.tmp-{os.getpid()}-", suffix=sfx, dir=parent)
    except OSError as exc:
        raise environment_problem(exc, action=f"cannot write {target}:") from None
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers (GDAL drivers in particular) want to create the file themselves
    try:
        yield tmp
        if not tmp.exists():
            raise CountylinkError(f"writer produced no output for {target}")
        if tmp.is_file() and tmp.stat().st_size == 0:
            raise EnvironmentProblem(f"cannot write {target}: the writer produced an empty file (disk full?)")
        fsync_path(tmp)
        if verify is not None:
            verify(tmp)
        os.replace(tmp, target)
        fsync_path(parent)
    except OSError as exc:
        _remove(tmp)
        exc.filename = str(target)
        raise environment_problem(exc, action="cannot write") from None
    except BaseException:
        _remove(tmp)
        raise


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def _remove_orphans(parent: Path, stem: str) -> None:
    """Remove temporary files of ``stem`` whose writing process died without cleaning up (a crash, SIGKILL)."""
    for orphan in parent.glob(f".{stem}.tmp-*-*"):
        pid = orphan.name[len(stem) + 6 :].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            _remove(orphan)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


#: encodings tried, in order, for a text table that is not UTF-8 (GB18030 is a superset of GBK and GB2312)
FALLBACK_ENCODINGS = ("gb18030",)


def read_csv_table(path: str | os.PathLike, *, what: str, **kwargs: Any) -> pd.DataFrame:
    """Read a CSV file with :func:`pandas.read_csv`, turning every failure into one sentence.

    UTF-8 (with or without a byte-order mark) is read as is; a file that is not
    UTF-8 but decodes as GB18030/GBK (Excel's default on Chinese Windows) is read
    as that, with a warning saying so.

    Parameters
    ----------
    path
        The file.
    what
        What the file is, for the message ("indicator file", "points file").
    **kwargs
        Passed to :func:`pandas.read_csv` (``encoding`` is chosen here).

    Raises
    ------
    DataError
        File missing, not a table (parser error, empty), or in an unknown encoding.
    EnvironmentProblem
        The file exists but cannot be read (permission).
    """
    import pandas as pd

    p = Path(path)
    if not p.exists():
        raise NotFoundError(f"{what} not found: {p}")
    if p.is_dir():
        raise DataError(f"{what} {p} is a folder; give a CSV file")
    kwargs.pop("encoding", None)
    for encoding in ("utf-8-sig", *FALLBACK_ENCODINGS):
        try:
            frame = pd.read_csv(p, encoding=encoding, **kwargs)
        except UnicodeDecodeError:
            continue
        except pd.errors.EmptyDataError:
            raise DataError(f"{what} {p} is empty; it needs a header line and rows") from None
        except pd.errors.ParserError as exc:
            detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else "malformed"
            raise DataError(
                f"{what} {p} is not a well-formed CSV ({detail}); check quoting and column counts"
            ) from None
        except OSError as exc:
            raise environment_problem(exc, action=f"cannot read {what}") from None
        if encoding != "utf-8-sig":
            warnings.warn(
                f"{what} {p} is not UTF-8; read it as {encoding.upper()} (re-save as UTF-8 to avoid this)", stacklevel=2
            )
        return frame
    raise DataError(f"{what} {p} is neither UTF-8 nor GB18030/GBK text; re-save it as UTF-8 CSV")
