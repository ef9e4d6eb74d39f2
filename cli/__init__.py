"""The ``countylink`` command line.

Each sub-command lives in its own module in this package; :data:`COMMANDS`
lists them. Command modules import only click and light helpers at the top
(``countylink --help`` must not import geopandas); the work happens in the
library, imported inside the command functions.

The main group is the one error path of the command line (see
:mod:`countylink.errors`): an input problem prints one line and exits 2; an
environment problem (disk full, permission, locked output) one line and exit
1; SIGINT/SIGTERM/SIGHUP unwind the command (its ``finally`` blocks remove
staging files) and exit 128 + signal; any other exception prints one line and
the path of a file with the full traceback, exit 3 (``--debug`` or
``COUNTYLINK_DEBUG=1`` shows the traceback instead). Each distinct warning
the library raised during a command is shown once, as
``countylink: warning: <message>``.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

import click

from countylink.errors import (
    EXIT_INTERNAL,
    CountylinkError,
    Interrupted,
    describe_os_error,
    signals_unwind,
)

# module name in countylink.cli -> attribute holding the click command
COMMANDS: list[tuple[str, str]] = [
    ("export", "export"),
    ("run", "run"),
    ("boundaries", "boundaries"),
    ("gaps", "gaps"),
    ("access", "access"),
    ("cost", "cost"),
    ("pairs", "pairs"),
    ("scenario", "scenario"),
    ("map", "map_command"),
    ("serve", "serve"),
    ("network", "network"),
    ("matrix", "matrix"),
]

#: Warning categories meant for developers, not for the person running a command.
DEVELOPER_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, FutureWarning, ImportWarning, ResourceWarning)


def show_warnings(caught: list[warnings.WarningMessage]) -> None:
    """Print each distinct user-facing warning once on stderr, without source path or category."""
    shown = set()
    for w in caught:
        text = str(w.message)
        if issubclass(w.category, DEVELOPER_WARNINGS) or text in shown:
            continue
        shown.add(text)
        click.echo(f"countylink: warning: {text}", err=True)


def write_traceback(exc: BaseException) -> Path | None:
    """Write ``exc``'s full traceback to a file for a bug report; its path (None if nothing could be written)."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    name = f"countylink-error-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
    for folder in (os.environ.get("COUNTYLINK_CACHE"), tempfile.gettempdir()):
        if not folder:
            continue
        with contextlib.suppress(OSError):
            path = Path(folder) / name
            path.write_text(f"countylink {' '.join(sys.argv[1:])}\n\n{text}", encoding="utf-8")
            return path
    return None


def _debug_wanted(ctx: click.Context) -> bool:
    return bool(ctx.params.get("debug")) or os.environ.get("COUNTYLINK_DEBUG") == "1"


class CountylinkGroup(click.Group):
    """The main group: the one error path (exit 2 / 1 / 128+signal / 3) and each library warning shown once."""

    def invoke(self, ctx: click.Context):
        with warnings.catch_warnings(record=True) as caught, signals_unwind():
            warnings.simplefilter("always")

            def fail(message: str, code: int):
                show_warnings(caught)
                caught.clear()
                click.echo(f"countylink: error: {message}", err=True)
                sys.exit(code)

            try:
                return super().invoke(ctx)
            except (click.exceptions.Exit, click.ClickException, click.Abort):
                raise  # click's own exits and usage errors (exit 2) keep click's handling
            except CountylinkError as exc:
                fail(str(exc), exc.exit_code)
            except OSError as exc:  # the machine refused: disk full, permission, ...
                if _debug_wanted(ctx):
                    raise
                fail(describe_os_error(exc), 1)
            except KeyboardInterrupt:
                fail("interrupted (SIGINT); partial output was removed", 128 + signal.SIGINT)
            except Interrupted as exc:
                name = signal.Signals(exc.signum).name
                fail(f"interrupted ({name}); partial output was removed", 128 + exc.signum)
            except Exception as exc:
                if _debug_wanted(ctx):
                    raise
                path = write_traceback(exc)
                where = f"full traceback in {path}" if path else "rerun with --debug for the traceback"
                fail(
                    f"internal error {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} "
                    f"({where}; please report it)",
                    EXIT_INTERNAL,
                )
            finally:
                show_warnings(caught)


@click.group(cls=CountylinkGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="countylink")
@click.option(
    "--debug", is_flag=True, default=False, help="Show the full traceback of an internal error (or COUNTYLINK_DEBUG=1)."
)
def main(debug: bool) -> None:
    """Road, rail and logistics analysis for China's county pairing programmes."""


for _module, _attr in COMMANDS:
    main.add_command(getattr(importlib.import_module(f"countylink.cli.{_module}"), _attr))
