"""The ``countylink`` command line.

Each sub-command lives in its own module in this package; :data:`COMMANDS`
lists them. Every :class:`~countylink.errors.CountylinkError` becomes one
line on stderr and exit status 2.
"""

from __future__ import annotations

import importlib
import sys

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


class _Group(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CountylinkError as exc:
            click.echo(f"countylink: error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="countylink")
def main() -> None:
    """Road, rail and logistics analysis for China's county pairing programmes."""


for _module, _attr in COMMANDS:
    main.add_command(getattr(importlib.import_module(f"countylink.cli.{_module}"), _attr))
