"""``countylink serve``: view a folder of maps in the browser (127.0.0.1 only)."""

from __future__ import annotations

import functools
import http.server
from pathlib import Path

import click

from countylink.errors import CountylinkError, NotFoundError


def make_server(folder: Path, *, port: int = 8000) -> http.server.ThreadingHTTPServer:
    """An HTTP server for ``folder`` bound to 127.0.0.1 (``port=0`` picks a free port)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NotFoundError(f"folder not found: {folder}")
    handler = functools.partial(_QuietHandler, directory=str(folder.resolve()))
    try:
        return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        raise CountylinkError(f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}") from None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        click.echo(f"{self.address_string()} {format % args}", err=True)


@click.command("serve")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port on 127.0.0.1 (0 = any free port).",
)
def serve(folder: Path, port: int) -> None:
    """Serve FOLDER (for example a 'countylink run' output) on http://127.0.0.1:PORT/.

    Maps also open directly from the file; serving is for sharing a folder
    with a browser on this machine. Stop with Ctrl-C.
    """
    server = make_server(folder, port=port)
    host, real_port = server.server_address[:2]
    if isinstance(host, bytes | bytearray):  # socket addresses may be bytes; print the text
        host = host.decode("ascii")
    maps = sorted(p.name for p in Path(folder).glob("*.html"))
    click.echo(f"serving {folder} on http://{host}:{real_port}/ (Ctrl-C to stop)")
    for name in maps:
        click.echo(f"  http://{host}:{real_port}/{name}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
