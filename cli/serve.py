"""``countylink serve``: view a folder of maps in the browser (127.0.0.1 only)."""

from __future__ import annotations

import functools
import html
import http.server
import io
import os
import urllib.parse
from http import HTTPStatus
from pathlib import Path

import click

from countylink.errors import CountylinkError, NotFoundError


def make_server(folder: Path, *, port: int = 8000) -> http.server.ThreadingHTTPServer:
    """An HTTP server for ``folder`` bound to 127.0.0.1 (``port=0`` picks a free port).

    Confined to the folder: a path resolving outside it (``..``, a symbolic
    link pointing out) or through a hidden name (``.git``, a staging folder) is
    not found; only the top folder is listed, without hidden names; a request
    whose ``Host`` header is not a localhost name is refused (a web page on
    another site cannot reach the server through DNS rebinding).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise NotFoundError(f"folder not found: {folder}")
    handler = functools.partial(_ConfinedHandler, directory=str(folder.resolve()))
    try:
        return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        raise CountylinkError(f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}") from None


#: Host header names the server answers to (with any port)
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")


class _ConfinedHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        click.echo(f"{self.address_string()} {format % args}", err=True)

    def _host_ok(self) -> bool:
        host = (self.headers.get("Host") or "").strip().lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return name in LOCAL_HOSTS

    def _inside(self) -> bool:
        root = Path(self.directory).resolve()
        target = Path(self.translate_path(self.path))
        rel = target.relative_to(root) if target.is_relative_to(root) else None
        if rel is None or any(part.startswith(".") for part in rel.parts):
            return False
        return target.resolve().is_relative_to(root)

    def send_head(self):
        if not self._host_ok():
            self.send_error(HTTPStatus.MISDIRECTED_REQUEST, "only localhost names are served")
            return None
        if not self._inside():
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        return super().send_head()

    def list_directory(self, path):
        root = Path(self.directory).resolve()
        if Path(path).resolve() != root:
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        names = sorted(
            n for n in os.listdir(root) if not n.startswith(".") and (root / n).resolve().is_relative_to(root)
        )
        items = "".join(
            f'<li><a href="{urllib.parse.quote(n)}">{html.escape(n)}</a></li>' for n in names if (root / n).is_file()
        )
        body = f"<!DOCTYPE html><html><meta charset=utf-8><title>countylink</title><ul>{items}</ul></html>".encode()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


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
