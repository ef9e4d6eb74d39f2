"""``countylink serve`` stays inside its folder and answers only to localhost names (issue #15)."""

from __future__ import annotations

import http.client
import threading

import pytest

from countylink.cli.serve import make_server


@pytest.fixture()
def served(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("outside the served folder", encoding="utf-8")
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "pairs_map.html").write_text("<html>map</html>", encoding="utf-8")
    (folder / ".hidden").write_text("dotfile", encoding="utf-8")
    (folder / ".git").mkdir()
    (folder / ".git" / "config").write_text("[core]", encoding="utf-8")
    (folder / "maps").mkdir()
    (folder / "maps" / "zj.html").write_text("<html>zj</html>", encoding="utf-8")
    (folder / "leak.txt").symlink_to(secret)
    (folder / "up").symlink_to(tmp_path)
    (folder / "inside.html").symlink_to(folder / "pairs_map.html")
    server = make_server(folder, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def get(port: int, path: str, host: str | None = None) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest("GET", path, skip_host=True)
    conn.putheader("Host", host if host is not None else f"127.0.0.1:{port}")
    conn.endheaders()
    res = conn.getresponse()
    body = res.read().decode("utf-8", "replace")
    conn.close()
    return res.status, body


def test_files_of_the_folder_are_served(served):
    assert get(served, "/pairs_map.html") == (200, "<html>map</html>")
    assert get(served, "/maps/zj.html") == (200, "<html>zj</html>")
    assert get(served, "/inside.html")[0] == 200  # a link that stays inside is fine
    assert get(served, "/pairs_map.html", host=f"localhost:{served}")[0] == 200
    assert get(served, "/pairs_map.html", host="[::1]")[0] == 200


@pytest.mark.parametrize(
    "path",
    ["/.hidden", "/.git/config", "/leak.txt", "/up/secret.txt", "/../secret.txt", "/maps/", "/%2e%2e/secret.txt"],
)
def test_nothing_outside_or_hidden_is_served(served, path):
    status, body = get(served, path)
    assert status == 404 and "outside the served folder" not in body and "dotfile" not in body


def test_only_the_top_folder_is_listed_without_hidden_names(served):
    status, body = get(served, "/")
    assert status == 200
    assert "pairs_map.html" in body and "inside.html" in body
    for name in (".hidden", ".git", "leak.txt", "up", "maps"):
        assert f">{name}<" not in body


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.evil.example:80", "", "localhost.evil.example"])
def test_foreign_host_header_is_refused(served, host):
    status, body = get(served, "/pairs_map.html", host=host)
    assert status == 421 and "map" not in body
