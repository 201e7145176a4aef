// Ward outlines and names on any Leaflet map, readable without a tile layer (no third-party requests).
//
// Usage (load after /static/vendor/leaflet/leaflet.js):
//   <div id="m" data-wards-url="/api/wards"></div>
//   var handle = NTEWards.add(map, {url: el.dataset.wardsUrl});
//   handle.ready.then(function (h) { /* h.wards: L.GeoJSON, h.served: the served area's outline */ });
// Options:
//   url        GeoJSON FeatureCollection of wards (properties.name, properties.borough_name), e.g. /api/wards
//   servedUrl  optional GeoJSON of the served area; without it the outline is the wards' outer edges
//   labelZoom  ward names are shown from this zoom up (default 14) and hidden below, to avoid clutter
//   fit        true: fit the map to the served wards once they are loaded
//   pane       optional Leaflet pane name for the outlines (default: the overlay pane)
// The outlines are not interactive (clicks and hovers reach the layers beneath, nothing extra to tab
// through). Names are permanent tooltips at each polygon's centre, each name in a <bdi> so it reads
// right in right-to-left pages. When done the map element gets data-wards-loaded="<number of wards>".
window.NTEWards = (function () {
  "use strict";
  var STYLE_ID = "nte-ward-layer-style";

  function addStyle() {
    if (document.getElementById(STYLE_ID)) return;
    var style = document.createElement("style");
    style.id = STYLE_ID;
    style.textContent =
      ".nte-ward-label{background:rgba(255,255,255,.92);border:0;box-shadow:none;color:#0b0c0c;" +
      "font:600 12px/1.2 system-ui,sans-serif;padding:1px 4px;white-space:nowrap}" +
      ".nte-ward-label:before{display:none}";
    document.head.appendChild(style);
  }

  function get(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); });
  }

  // The served area's outline from the wards alone: an edge shared by two wards is inside the area,
  // an edge used once is on its boundary (ward sets are topologically consistent).
  function outerEdges(fc) {
    var seen = {};
    function ring(coords) {
      for (var i = 0; i + 1 < coords.length; i++) {
        var a = coords[i], b = coords[i + 1];
        var ka = a[0] + "," + a[1], kb = b[0] + "," + b[1];
        if (ka === kb) continue;
        var key = ka < kb ? ka + ";" + kb : kb + ";" + ka;
        if (seen[key]) seen[key].n += 1;
        else seen[key] = { n: 1, line: [[a[1], a[0]], [b[1], b[0]]] };
      }
    }
    (fc.features || []).forEach(function (f) {
      var g = f.geometry;
      if (!g) return;
      var polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
      polys.forEach(function (p) { p.forEach(ring); });
    });
    var lines = [];
    Object.keys(seen).forEach(function (k) { if (seen[k].n === 1) lines.push(seen[k].line); });
    return lines;
  }

  function label(props) {
    var bdi = document.createElement("bdi");
    bdi.textContent = props.name || "";
    return bdi;
  }

  function add(map, options) {
    var opts = options || {};
    var labelZoom = opts.labelZoom === undefined ? 14 : opts.labelZoom;
    var handle = { wards: null, served: null, labelled: false };
    var el = map.getContainer();
    addStyle();

    function showLabels() {
      if (!handle.wards) return;
      var want = map.getZoom() >= labelZoom;
      el.setAttribute("data-ward-labels", want ? "shown" : "hidden");
      if (want === handle.labelled) return;
      handle.labelled = want;
      handle.wards.eachLayer(function (layer) {
        if (want) {
          layer.bindTooltip(label(layer.feature.properties || {}), {
            permanent: true, direction: "center", className: "nte-ward-label", opacity: 1
          });
        } else {
          layer.unbindTooltip();
        }
      });
    }

    var lineStyle = { color: "#0b0c0c", weight: 1, opacity: 0.7, fill: false, interactive: false };
    var servedStyle = { color: "#1d70b8", weight: 3, opacity: 0.9, fill: false, interactive: false };
    if (opts.pane) { lineStyle.pane = opts.pane; servedStyle.pane = opts.pane; }

    handle.ready = get(opts.url).then(function (fc) {
      handle.wards = L.geoJSON(fc, { style: lineStyle, interactive: false }).addTo(map);
      var served = opts.servedUrl
        ? get(opts.servedUrl).then(function (area) { return L.geoJSON(area, { style: servedStyle, interactive: false }); })
        : Promise.resolve(L.polyline(outerEdges(fc), servedStyle));
      return served.then(function (layer) {
        handle.served = layer.addTo(map);
        if (opts.fit && handle.wards.getLayers().length) map.fitBounds(handle.wards.getBounds());
        map.on("zoomend", showLabels);
        showLabels();
        el.setAttribute("data-wards-loaded", String((fc.features || []).length));
        return handle;
      });
    });
    return handle;
  }

  return { add: add, outerEdges: outerEdges };
})();
