// Patrol maps (no inline scripts: data comes from data-* attributes and the GeoJSON endpoint).
// - #area-draw: click to add polygon corners; the GeoJSON goes into the textarea named by data-target.
// - .patrol-area-map[data-geometry]: shows one area; with data-pick-lon/lat a click fills those inputs.
(function () {
  if (typeof L === "undefined") return;

  function baseMap(el) {
    var map = L.map(el, { keyboard: true }).setView([51.513, -0.134], 15);
    var tiles = el.getAttribute("data-tile-url");
    if (tiles) L.tileLayer(tiles, { maxZoom: 19 }).addTo(map);
    return map;
  }

  // The drawing map shows, under the drawing, the ward lines (thin), the borough lines (thicker,
  // dashed) and the outline of the area this council serves (blue, from ward-layer.js), so a shape
  // that crosses the edge can be pulled back in. A shape posted back after an error (the textarea's
  // GeoJSON) is drawn again and can be edited corner by corner. data-ready is set once every layer
  // has loaded and the map has stopped moving: a corner clicked before that would land elsewhere.
  var draw = document.getElementById("area-draw");
  if (draw) {
    var map = baseMap(draw);
    var target = document.getElementById(draw.getAttribute("data-target"));
    var points = [];
    var shape = null;
    var markers = L.layerGroup().addTo(map);
    var bounds = null;
    function extend(b) { if (b && b.isValid()) bounds = bounds ? bounds.extend(b) : L.latLngBounds(b.getSouthWest(), b.getNorthEast()); }
    function getJSON(url) {
      return fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; }).catch(function () { return null; });
    }
    function redraw() {
      if (shape) { map.removeLayer(shape); shape = null; }
      markers.clearLayers();
      points.forEach(function (p) { L.circleMarker(p, { radius: 4, color: "#d4351c" }).addTo(markers); });
      if (points.length >= 3) {
        shape = L.polygon(points, { color: "#d4351c" }).addTo(map);
        var ring = points.map(function (p) { return [Number(p.lng.toFixed(6)), Number(p.lat.toFixed(6))]; });
        ring.push(ring[0]);
        target.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
      } else if (points.length) {
        shape = L.polyline(points, { color: "#d4351c" }).addTo(map);
        target.value = "";
      } else {
        target.value = "";
      }
    }
    // The shape posted back (or pasted): its outer ring becomes the corners again.
    function restore() {
      var text = (target.value || "").trim();
      if (!text) return false;
      var g;
      try { g = JSON.parse(text); } catch (e) { return false; }
      if (g && g.type === "FeatureCollection" && g.features && g.features.length === 1) g = g.features[0];
      if (g && g.type === "Feature") g = g.geometry;
      if (g && g.type === "MultiPolygon" && g.coordinates.length === 1) g = { type: "Polygon", coordinates: g.coordinates[0] };
      if (!g || g.type !== "Polygon" || !g.coordinates || !g.coordinates[0]) return false;
      var ring = g.coordinates[0].slice();
      if (ring.length > 1 && ring[0][0] === ring[ring.length - 1][0] && ring[0][1] === ring[ring.length - 1][1]) ring.pop();
      if (ring.length < 3) return false;
      var original = target.value;
      points = ring.map(function (c) { return L.latLng(c[1], c[0]); });
      redraw();
      target.value = original;  // keep exactly what was posted until a corner changes
      extend(shape.getBounds());
      draw.setAttribute("data-restored", String(points.length));
      return true;
    }
    var restored = restore();

    var waits = [];
    var url = draw.getAttribute("data-areas-url");
    if (url) {
      // The existing areas are only a backdrop (not clickable: every click adds a corner).
      waits.push(getJSON(url).then(function (data) {
        if (!data || !data.features || !data.features.length) return;
        var layer = L.geoJSON(data, { interactive: false, style: { color: "#505a5f", weight: 2, fillOpacity: 0.1 } }).addTo(map);
        if (!restored) extend(layer.getBounds());
      }));
    }
    var wardsUrl = draw.getAttribute("data-wards-url");
    if (wardsUrl && window.NTEWards) {
      var wards = window.NTEWards.add(map, { url: wardsUrl, labelZoom: 15 });
      waits.push(wards.ready.then(function (h) {
        var byBorough = {};
        h.wards.eachLayer(function (layer) {
          var p = (layer.feature && layer.feature.properties) || {};
          var key = p.borough_code || p.borough_name || "";
          (byBorough[key] = byBorough[key] || []).push(layer.feature);
        });
        var keys = Object.keys(byBorough);
        keys.forEach(function (key) {
          var lines = window.NTEWards.outerEdges({ features: byBorough[key] });
          L.polyline(lines, { color: "#0b0c0c", weight: 2.5, dashArray: "6 4", opacity: 0.9, interactive: false }).addTo(map);
        });
        draw.setAttribute("data-boroughs", String(keys.length));
      }).catch(function () { return null; }));
    }
    Promise.all(waits).then(function () {
      if (bounds) map.fitBounds(bounds, { maxZoom: 16, animate: false });  // no animation: done at once
      draw.setAttribute("data-ready", "true");
    });

    map.on("click", function (e) { points.push(e.latlng); redraw(); });
    document.getElementById("draw-undo").addEventListener("click", function () { points.pop(); redraw(); });
    document.getElementById("draw-clear").addEventListener("click", function () { points = []; redraw(); });
  }

  Array.prototype.forEach.call(document.querySelectorAll(".patrol-area-map[data-geometry]"), function (el) {
    var map = baseMap(el);
    var layer;
    try {
      layer = L.geoJSON(JSON.parse(el.getAttribute("data-geometry")), { style: { color: "#1d70b8", weight: 3, fillOpacity: 0.15 } }).addTo(map);
      map.fitBounds(layer.getBounds());
    } catch (e) { return; }
    var lonId = el.getAttribute("data-pick-lon");
    var latId = el.getAttribute("data-pick-lat");
    if (lonId && latId) {
      var marker = null;
      map.on("click", function (e) {
        document.getElementById(lonId).value = e.latlng.lng.toFixed(6);
        document.getElementById(latId).value = e.latlng.lat.toFixed(6);
        if (marker) map.removeLayer(marker);
        marker = L.circleMarker(e.latlng, { radius: 6, color: "#d4351c" }).addTo(map);
      });
    }
  });
})();
