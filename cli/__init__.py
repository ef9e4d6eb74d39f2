"""The ``countylink`` command line.

Each sub-command lives in its own module in this package; :data:`COMMANDS`
lists them. Command modules import only click and light helpers at the top
(``countylink --help`` must not import geopandas); the work happens in the
library, imported inside the command functions.

The main group turns every :class:`~countylink.errors.CountylinkError` into
one line on stderr and exit status 2, and shows each distinct warning the
library raised during a command once, as ``countylink: warning: <message>``.
"""

from __future__ import annotations

import importlib
import sys
import warnings

import click

from countylink.errors import CountylinkError

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


class CountylinkGroup(click.Group):
    """The main group: one-line errors (exit 2) and each library warning shown once."""

    def invoke(self, ctx: click.Context):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                return super().invoke(ctx)
            except CountylinkError as exc:
                show_warnings(caught)
                caught.clear()
                click.echo(f"countylink: error: {exc}", err=True)
                sys.exit(2)
            finally:
                show_warnings(caught)


@click.group(cls=CountylinkGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="countylink")
def main() -> None:
    """Road, rail and logistics analysis for China's county pairing programmes."""


for _module, _attr in COMMANDS:
    main.add_command(getattr(importlib.import_module(f"countylink.cli.{_module}"), _attr))
