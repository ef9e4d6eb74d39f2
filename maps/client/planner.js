/* countylink planner map: draws every layer from one data object (county polygons once). */
/* exported countylinkPlanner */
function countylinkPlanner(map, D, extra) {
  "use strict";
  // fixed drawing order, whatever is toggled: each layer lives in its own pane
  const PANES = [["clLand", 200], ["clCounties", 405], ["clGaps", 410], ["clLines", 420], ["clOutlines", 430],
    ["clCorridors", 440], ["clRail", 450], ["clGapLinks", 455], ["clPairs", 460], ["clStations", 470],
    ["clHighlight", 480], ["clLabels", 490]];
  PANES.forEach(([name, z]) => { map.createPane(name).style.zIndex = z; });
  ["clLand", "clLines", "clOutlines", "clLabels", "clGapLinks"].forEach(n => { map.getPane(n).style.pointerEvents = "none"; });
  // geometry arrives delta-encoded (maps/layers.py encode_coordinates): decode once, in place
  const DEPTH = {LineString: 0, MultiLineString: 1, Polygon: 1, MultiPolygon: 2};
  const ring = a => { const out = []; let x = 0, y = 0; for (let i = 0; i < a.length; i += 2) { x += a[i]; y += a[i + 1]; out.push([x / D.scale, y / D.scale]); } return out; };
  const decode = (q, d) => d === 0 ? ring(q) : q.map(x => decode(x, d - 1));
  const decodeAll = fc => (fc.features || fc).forEach(f => { if (f.geometry.q) { f.geometry.coordinates = decode(f.geometry.q, DEPTH[f.geometry.type]); delete f.geometry.q; } });
  [D.counties, D.context.land, D.context.prefectures, D.rail, D.corridors].forEach(x => { if (x) decodeAll(x); });
  const esc = s => String(s == null ? "" : s).replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  const byCode = {};
  D.counties.features.forEach(f => { byCode[f.properties.a] = f; });
  const panelWidth = () => document.getElementById("cl-panel").getBoundingClientRect().width;
  // one options object per map size: asking the map's size for every feature forced a layout each time
  let popupCache = null;
  map.on("resize", () => { popupCache = null; });
  const popupOpts = () => popupCache || (popupCache = {maxWidth: Math.min(380, map.getSize().x - 70),
    minWidth: Math.min(240, map.getSize().x - 90), autoPanPaddingTopLeft: [50, 20], autoPanPaddingBottomRight: [20, 30]});
  const table = rows => "<table class='cl-figures'>" + rows.map(r => `<tr><th>${r[0]}</th><td>${r[1]}</td></tr>`).join("") + "</table>";

  // --- roles: which pairs each county is in ---------------------------------------------
  const roles = {};
  D.pairs.forEach(p => {
    [["helped", p.helped], ["helper", p.helper]].forEach(([role, code]) => {
      if (code) (roles[code] = roles[code] || []).push({role, pair: p});
    });
  });
  const progLabel = id => (D.programmes.find(p => p.id === id) || {label: id}).label;

  function countyPopup(code) {
    const f = byCode[code];
    if (!f) return "";
    const p = f.properties;
    const rows = [["Prefecture", esc(p.p)]];
    (roles[code] || []).forEach(r => {
      const other = r.role === "helped" ? r.pair.helper_name : r.pair.helped_name;
      rows.push([r.role === "helped" ? "Helped by" : "Helps", `${esc(other)} <small>(${esc(progLabel(r.pair.prog))}, ${esc(r.pair.status)})</small>`]);
    });
    if (!(roles[code] || []).length) rows.push(["Role", "not in a pair"]);
    (p.i || []).forEach(x => rows.push([esc(x[0]), `${esc(x[1])}${x[2] ? ` <small>(${esc(x[2])})</small>` : ""}`]));
    const g = D.gaps[code];
    if (g) rows.push(["Rail", `${g.label}${g.station ? `; nearest station ${g.station} (${g.km} km)` : ""}`]);
    if (g && g.freight) rows.push(["Freight rail", g.freight]);
    return `<b>${esc(p.n)}</b> <small>${esc(p.a)}</small>` + table(rows);
  }

  // --- layers ------------------------------------------------------------------------
  const layers = {};  // id -> {layer, def}
  let highlight = L.layerGroup().addTo(map);

  function countyLayer(filter, style, pane, interactive) {
    return L.geoJSON(D.counties, {pane, filter, style, interactive, smoothFactor: 0.5});
  }

  const builders = {
    land: () => L.layerGroup([
      L.geoJSON(D.context.land, {pane: "clLand", interactive: false,
        style: {fillColor: "#f3f1ea", fillOpacity: 1, color: "#8a8a8a", weight: 0.8, className: "cl-land"}}),
      L.geoJSON(D.context.land, {pane: "clLines", interactive: false,
        style: {fill: false, color: "#555", weight: 1.6, opacity: 0.9, className: "cl-province-line"}}),
    ]),
    prefectures: () => L.layerGroup([
      L.geoJSON(D.context.prefectures, {pane: "clLines", interactive: false,
        style: {color: "#888", weight: 1.1, opacity: 0.9, className: "cl-prefecture-line"}}),
      ...D.context.seats.map(s => labelMarker(s[0], s[1], s[2], "cl-seat-label", 3)),
    ]),
    counties: () => {
      const lyr = countyLayer(null, f => ({fillColor: f.properties.f, fillOpacity: 0.75, color: "#ffffff", weight: 0.6, className: "cl-county"}), "clCounties", true);
      lyr.eachLayer(l => {
        l.bindTooltip(esc(l.feature.properties.n) + (l.feature.properties.v ? `: ${esc(l.feature.properties.v)}` : ""), {sticky: true});
        l.on("click", e => { highlightCounties([l.feature.properties.a]); L.popup(popupOpts()).setLatLng(e.latlng).setContent(countyPopup(l.feature.properties.a)).openOn(map); });
      });
      return lyr;
    },
    gaps: () => {
      const parts = [countyLayer(f => f.properties.a in D.gaps,
        f => ({fillColor: D.gaps[f.properties.a].colour, fillOpacity: 0.85, color: "#ffffff", weight: 0.8, className: "cl-gap cl-gap-" + D.gaps[f.properties.a].cls}), "clGaps", true)];
      parts[0].eachLayer(l => {
        l.bindTooltip(`${esc(l.feature.properties.n)}: ${D.gaps[l.feature.properties.a].label}`, {sticky: true});
        l.on("click", e => { highlightCounties([l.feature.properties.a]); L.popup(popupOpts()).setLatLng(e.latlng).setContent(countyPopup(l.feature.properties.a)).openOn(map); });
      });
      Object.entries(D.gaps).forEach(([code, g]) => {
        if (!g.line) return;
        parts.push(L.polyline(g.line, {pane: "clGapLinks", color: "#222", weight: 1.6, opacity: 0.9, interactive: false, className: "cl-gap-link"}));
        parts.push(L.circleMarker(g.line[1], {pane: "clGapLinks", radius: 3, color: "#222", weight: 1, fillColor: "#fff", fillOpacity: 1, interactive: false, className: "cl-gap-station"}));
        // the distance sits beside the station it measures to (the seat end carries the county name)
        parts.push(labelMarker(g.line[1][0], g.line[1][1], `${g.km} km`, "cl-distance-label", 1));
      });
      return L.layerGroup(parts);
    },
    rail: () => L.geoJSON({type: "FeatureCollection", features: D.rail}, {pane: "clRail",
      style: f => f.properties.h ? {color: "#e41a1c", weight: 3, opacity: 0.9, className: "cl-rail-hsr"} : {color: "#555", weight: 1.4, opacity: 0.8, className: "cl-rail"},
      onEachFeature: (f, l) => l.bindTooltip(f.properties.n || (f.properties.h ? "high-speed corridor" : "railway track (use not in the data)"))}),
    stations: () => L.layerGroup(D.stations.map(s => L.circleMarker([s[0], s[1]], s[3]
      ? {pane: "clStations", radius: 4.5, color: "#fff", weight: 1.2, fillColor: "#e41a1c", fillOpacity: 1, className: "cl-station cl-station-hsr"}
      : {pane: "clStations", radius: 3, color: "#222", weight: 1, fillColor: "#fff", fillOpacity: 1, className: "cl-station"})
      .bindTooltip(`${esc(s[2])}${s[3] ? " — high-speed service" : ""}${s[4] != null ? `; ${s[4]} trains stop` : ""}`))),
    corridors: prog => L.geoJSON({type: "FeatureCollection", features: D.corridors.filter(f => f.properties.prog === prog)}, {pane: "clCorridors",
      style: {color: D.corridorColour, weight: 2.5, opacity: 0.6, className: "cl-corridor cl-corridor-" + prog},
      onEachFeature: (f, l) => {
        const p = f.properties;
        l.bindTooltip(`Road corridor ${p.name}: ${p.time}`, {sticky: true});
        l.bindPopup(`<b>Road corridor ${p.name}</b>` + table([["Road time", p.time], ["Length", p.km + " km"], ["Method", `${p.method}`], ["Counties crossed", p.crossed || "—"]]), popupOpts());
      }}),
    roles: prog => {
      const mine = D.pairs.filter(p => p.prog === prog);
      const helped = new Set(mine.map(p => p.helped)), helper = new Set(mine.map(p => p.helper).filter(Boolean));
      // names of the paired counties go with their outlines (also seen in the rail-gap view)
      return L.layerGroup([
        countyLayer(f => helper.has(f.properties.a), {fill: false, color: "#1a1a1a", weight: 2.4, className: "cl-helper"}, "clOutlines", false),
        countyLayer(f => helped.has(f.properties.a), {fill: false, color: "#c51b7d", weight: 3, className: "cl-helped"}, "clOutlines", false),
        ...[...helped].filter(c => byCode[c]).map(c => countyLabel(c, "cl-label-helped", 0)),
        ...[...helper].filter(c => byCode[c] && !helped.has(c)).map(c => countyLabel(c, "cl-label-helper", 2)),
      ]);
    },
    pairs: prog => {
      const parts = [];
      D.pairs.filter(p => p.prog === prog).forEach(p => {
        if (p.arc) {
          const line = L.polyline(p.arc, {pane: "clPairs", color: p.colour, weight: p.weight || 4, opacity: 0.95, dashArray: p.dash, lineCap: "butt",
            className: `cl-pair cl-pair-${prog} cl-status-${p.status}`});
          line.bindTooltip(`${p.helper_name} → ${p.helped_name}`, {sticky: true});
          line.on("click", e => { selectPair(p.id, {zoom: false, at: e.latlng}); });
          p._line = line;
          parts.push(line);
          parts.push(arrow(p));
        }
      });
      return L.layerGroup(parts);
    },
  };

  function labelMarker(lat, lon, text, cls, priority) {
    const m = L.marker([lat, lon], {pane: "clLabels", interactive: false, keyboard: false,
      icon: L.divIcon({className: "cl-label " + cls, html: `<span>${esc(text)}</span>`, iconSize: null})});
    m._clPriority = priority;
    return m;
  }
  function countyLabel(code, cls, priority) {
    const f = byCode[code], s = f.properties.s || L.geoJSON(f).getBounds().getCenter();
    return labelMarker(s[0] != null ? s[0] : s.lat, s[1] != null ? s[1] : s.lng, f.properties.n, cls, priority);
  }
  function arrow(p) {
    const a = p.arc, i = Math.floor(a.length / 2);
    const p0 = map.project(a[i - 1], 8), p1 = map.project(a[i + 1], 8);
    const deg = Math.atan2(p1.y - p0.y, p1.x - p0.x) * 180 / Math.PI;
    return L.marker(a[i], {pane: "clPairs", interactive: false, keyboard: false,
      icon: L.divIcon({className: "cl-arrow", iconSize: [16, 16], iconAnchor: [8, 8],
        html: `<span style="color:${p.colour};transform:rotate(${deg.toFixed(1)}deg)">&#9658;</span>`})});
  }

  // labels never overlap: higher priority first (helped, helper, prefecture seat)
  function declutter() {
    const labels = [];
    Object.values(layers).forEach(({layer}) => {
      if (!map.hasLayer(layer)) return;
      const walk = l => { if (l._clPriority != null && l.getElement()) labels.push(l); else if (l.eachLayer && !(l instanceof L.GeoJSON)) l.eachLayer(walk); };
      walk(layer);
    });
    labels.sort((x, y) => x._clPriority - y._clPriority);
    // read every box in one layout pass, then write (no layout per label)
    const boxes = labels.map(l => l.getElement().firstChild.getBoundingClientRect());
    const placed = [];
    labels.forEach((l, k) => {
      const r = boxes[k];
      const clash = placed.some(q => r.left < q.right + 2 && r.right > q.left - 2 && r.top < q.bottom + 1 && r.bottom > q.top - 1);
      l.getElement().classList.toggle("cl-hidden", clash);
      if (!clash) placed.push(r);
    });
  }

  // --- layer list, legend follows what is on -------------------------------------------
  let ready = false;  // legend and labels are laid out once after the first drawing
  function setLayer(id, on) {
    const entry = layers[id];
    if (on && !map.hasLayer(entry.layer)) map.addLayer(entry.layer);
    if (!on && map.hasLayer(entry.layer)) map.removeLayer(entry.layer);
    const box = document.querySelector(`.cl-layers input[data-layer="${id}"]`);
    if (box) box.checked = on;
    if (!ready) return;
    renderLegend();
    declutter();
  }
  const layerBox = document.getElementById("cl-layer-list");
  D.layers.forEach(def => {
    const [kind, prog] = def.id.split("@");
    layers[def.id] = {layer: builders[kind](prog), def};
    const label = document.createElement("label");
    label.innerHTML = `<input type="checkbox" data-layer="${def.id}"> ${esc(def.name)}`;
    layerBox.appendChild(label);
    label.firstChild.addEventListener("change", e => setLayer(def.id, e.target.checked));
  });
  (extra || []).forEach((x, k) => {
    const id = "extra" + k;
    layers[id] = {layer: x.layer, def: {id, name: x.name, legend: x.legend, on: false}};
    const label = document.createElement("label");
    label.innerHTML = `<input type="checkbox" data-layer="${id}"> ${esc(x.name)}`;
    layerBox.appendChild(label);
    label.firstChild.addEventListener("change", e => setLayer(id, e.target.checked));
  });
  if (D.tiles) {
    // online tiles only after one probe tile loads: unreachable, that single probe is the only request
    const tiles = L.tileLayer(D.tiles.url, {attribution: D.tiles.attr, subdomains: D.tiles.subdomains, pane: "clLand"});
    const note = document.getElementById("cl-tiles-note");
    layers.tiles = {layer: L.layerGroup(), def: {id: "tiles", name: D.tiles.name, legend: "", on: false}};
    const label = document.createElement("label");
    label.innerHTML = `<input type="checkbox" data-layer="tiles"> ${esc(D.tiles.name)}`;
    layerBox.appendChild(label);
    const probe = () => {
      const img = new Image();
      const c = map.getCenter(), z = 5, n = 2 ** z;
      const x = Math.floor((c.lng + 180) / 360 * n), y = Math.floor((1 - Math.log(Math.tan(c.lat * Math.PI / 180) + 1 / Math.cos(c.lat * Math.PI / 180)) / Math.PI) / 2 * n);
      img.onload = () => { layers.tiles.layer.addLayer(tiles); note.textContent = ""; setLayer("tiles", true); };
      img.onerror = () => { note.textContent = "Online base map not reachable (offline?): left off."; setLayer("tiles", false); };
      img.src = L.Util.template(D.tiles.url, {s: D.tiles.subdomains[0], x, y, z});
    };
    label.firstChild.addEventListener("change", e => { if (e.target.checked) probe(); else setLayer("tiles", false); });
    // a machine without network says so (navigator.onLine): then not even the probe is sent
    if (D.tiles.on && navigator.onLine) probe();
    else if (D.tiles.on) note.textContent = "Offline: online base map left off (tick it when online).";
  }
  function renderLegend() {
    const parts = [];
    Object.values(layers).forEach(({layer, def}) => { if (def.legend && map.hasLayer(layer)) parts.push(def.legend); });
    document.getElementById("cl-legend").innerHTML = parts.join("") || "<div class='note'>No layer on.</div>";
  }

  // --- highlight, pair list, search ------------------------------------------------
  function highlightCounties(codes, pair) {
    highlight.clearLayers();
    document.querySelectorAll("path.cl-pair.cl-highlight").forEach(el => el.classList.remove("cl-highlight"));
    highlight.addLayer(L.geoJSON({type: "FeatureCollection", features: codes.filter(c => byCode[c]).map(c => byCode[c])},
      {pane: "clHighlight", interactive: false, style: {fill: false, color: "#ffd400", weight: 5, className: "cl-highlight-county"}}));
    if (pair && pair._line && pair._line.getElement()) {
      pair._line.getElement().classList.add("cl-highlight");
      pair._line.bringToFront();
    }
  }
  function selectPair(id, opts) {
    const p = D.pairs.find(x => x.id === id);
    if (!p) return;
    const codes = [p.helper, p.helped].filter(c => c && byCode[c]);
    if (opts.zoom && codes.length) {
      map.fitBounds(L.geoJSON({type: "FeatureCollection", features: codes.map(c => byCode[c])}).getBounds(), {padding: [40, 40], animate: false});
    }
    highlightCounties(codes, p);
    document.querySelectorAll(".cl-pair-item").forEach(el => el.classList.toggle("cl-active", el.dataset.pair === id));
    let at = opts.at;
    if (!at) at = p.arc ? p.arc[Math.floor(p.arc.length / 2)] : (byCode[p.helped].properties.s || L.geoJSON(byCode[p.helped]).getBounds().getCenter());
    const head = `<b>${p.helper_name} → ${p.helped_name}</b> <small>${esc(progLabel(p.prog))}</small>`;
    L.popup(popupOpts()).setLatLng(at).setContent(head + table(p.rows)).openOn(map);
  }
  const list = document.getElementById("cl-pair-list");
  D.programmes.forEach(prog => {
    const h = document.createElement("h3");
    h.textContent = prog.label;
    list.appendChild(h);
    D.pairs.filter(p => p.prog === prog.id).forEach(p => {
      const item = document.createElement("div");
      item.className = "cl-pair-item";
      item.dataset.pair = p.id;
      const dash = p.dash ? ` stroke-dasharray="${p.dash}"` : "";
      item.innerHTML = `<svg width="30" height="10"><line x1="1" y1="5" x2="29" y2="5" stroke="${p.colour}" stroke-width="4"${dash}/></svg> `
        + `<span class="who">${p.helper_name} → ${p.helped_name}</span> <small>(${esc(p.status)})</small><div class="fig">${p.summary}</div>`;
      item.addEventListener("click", () => selectPair(p.id, {zoom: true}));
      list.appendChild(item);
    });
  });
  const search = document.getElementById("cl-search"), options = document.getElementById("cl-search-options");
  D.counties.features.forEach(f => {
    const o = document.createElement("option");
    o.value = `${f.properties.n} (${f.properties.p})`;
    options.appendChild(o);
  });
  function findCounty() {
    const q = search.value.trim();
    if (!q) return;
    const f = D.counties.features.find(x => `${x.properties.n} (${x.properties.p})` === q)
      || D.counties.features.find(x => x.properties.n === q) || D.counties.features.find(x => x.properties.n.includes(q.split(" (")[0]));
    if (!f) { search.setCustomValidity("no such county"); search.reportValidity(); return; }
    search.setCustomValidity("");
    const b = L.geoJSON(f).getBounds();
    map.fitBounds(b, {padding: [60, 60], maxZoom: 10, animate: false});
    highlightCounties([f.properties.a]);
    L.popup(popupOpts()).setLatLng(b.getCenter()).setContent(countyPopup(f.properties.a)).openOn(map);
  }
  search.addEventListener("change", findCounty);
  search.addEventListener("keydown", e => { if (e.key === "Enter") findCounty(); });

  // --- panel collapse, view, scale -------------------------------------------------------
  document.getElementById("cl-panel-toggle").addEventListener("click", () => {
    const collapsed = document.body.classList.toggle("cl-collapsed");
    document.getElementById("cl-panel-toggle").textContent = collapsed ? "»" : "«";
    document.getElementById("cl-panel-toggle").title = collapsed ? "show panel" : "hide panel";
    map.invalidateSize({animate: false});
    declutter();
  });
  L.control.scale({metric: true, imperial: false, position: "bottomleft"}).addTo(map);
  D.attributions.forEach(a => map.attributionControl.addAttribution(a));
  map.invalidateSize({animate: false});
  const all = layers.counties.layer.getBounds();  // the counties layer already holds every polygon
  map.fitBounds(all, {paddingTopLeft: [50, 20], paddingBottomRight: [20, 30], animate: false});
  if (D.context.frame) {  // never pan or zoom out past the drawn land and sea
    const frame = L.latLngBounds(D.context.frame);
    const limit = () => map.setMinZoom(Math.min(map.getZoom(), map.getBoundsZoom(frame, true)));
    map.setMaxBounds(frame);
    limit();
    map.on("resize", limit);
  }
  Object.entries(layers).forEach(([id, {def}]) => setLayer(id, !!def.on));
  ready = true;
  renderLegend();
  declutter();
  map.on("zoomend moveend", declutter);
  window.countylinkPlanner = {selectPair, setLayer, layers, declutter, findCounty};
}
