"""Offline Leaflet assets: every script and stylesheet inlined into the map file.

Folium writes ``<script src="https://cdn...">`` and ``<link href="https://cdn...">``
tags. Planners open maps on machines without internet, so :func:`inline_assets`
replaces each of those tags with the file's text, taken from the copy that the
``folium-offline`` distribution ships (module ``offlinefolium``, a table from
CDN address to file content). A map that needs an asset the table lacks is
refused with a clear error rather than written with a dangling CDN link.

:func:`new_map` also trims folium's default asset list to Leaflet alone: the
pairing maps use no jQuery, Bootstrap or Font Awesome, and leaving them out
keeps about 1.2 MB out of every file.
"""

from __future__ import annotations

import re
from functools import cache

import folium

from countylink.errors import CountylinkError

LEAFLET_JS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
LEAFLET_CSS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"

_SCRIPT_TAG = re.compile(r"""<script\s+src=["'](?P<url>https?://[^"']+)["']\s*>\s*</script>""")
_LINK_TAG = re.compile(r"""<link\s+[^>]*href=["'](?P<url>https?://[^"']+)["'][^>]*/?>""")
_REMOTE = re.compile(r"""(?:src|href)\s*=\s*["'](https?://[^"']+)["']|url\(\s*["']?(https?://[^)"']+)""")


@cache
def _asset_table() -> dict[str, str]:
    """CDN address -> file text, from the ``folium-offline`` distribution."""
    try:
        from offlinefolium import elements
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise CountylinkError("offline maps need the folium-offline package (pip install folium-offline)") from exc
    return dict(elements._res)


def asset_text(url: str) -> str:
    """Return the text of the asset folium would load from ``url``.

    Raises
    ------
    CountylinkError
        If no offline copy of that asset is available.
    """
    table = _asset_table()
    if url not in table:
        raise CountylinkError(f"no offline copy of map asset {url}; cannot write an offline map")
    return table[url]


def new_map(**kwargs) -> folium.Map:
    """A :class:`folium.Map` that loads Leaflet only (no jQuery/Bootstrap/fonts).

    Keyword arguments go to :class:`folium.Map`.
    """
    fmap = folium.Map(**kwargs)
    # instance attributes shadow the class lists folium renders from
    fmap.default_js = [("leaflet", LEAFLET_JS)]
    fmap.default_css = [("leaflet_css", LEAFLET_CSS)]
    return fmap


def inline_assets(html: str) -> str:
    """Replace CDN ``<script src>`` / stylesheet ``<link>`` tags by inline copies.

    Parameters
    ----------
    html
        A rendered folium page.

    Returns
    -------
    str
        The same page with every remote script and stylesheet inlined.

    Raises
    ------
    CountylinkError
        If an asset has no offline copy.
    """

    def script(match: re.Match) -> str:
        body = asset_text(match.group("url")).replace("</script", "<\\/script")
        return f"<script>{body}</script>"

    def link(match: re.Match) -> str:
        tag = match.group(0)
        if "stylesheet" not in tag:
            return tag
        return f"<style>{asset_text(match.group('url'))}</style>"

    html = _SCRIPT_TAG.sub(script, html)
    return _LINK_TAG.sub(link, html)


def remote_references(html: str) -> list[str]:
    """Remote addresses the page would fetch (scripts, styles, images, CSS urls).

    Plain ``<a href>`` links (the attribution line) are not fetched and not
    reported; tile URL templates are reported only if tiles were added.
    """
    found: list[str] = []
    for match in _REMOTE.finditer(html):
        url = match.group(1) or match.group(2)
        start = html.rfind("<", 0, match.start())
        if html[start : start + 2].lower() == "<a":
            continue
        found.append(url)
    return found
