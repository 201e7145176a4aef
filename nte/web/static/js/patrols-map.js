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

  var draw = document.getElementById("area-draw");
  if (draw) {
    var map = baseMap(draw);
    var target = document.getElementById(draw.getAttribute("data-target"));
    var points = [];
    var shape = null;
    var markers = L.layerGroup().addTo(map);
    var url = draw.getAttribute("data-areas-url");
    if (url) {
      // The existing areas are only a backdrop (not clickable: every click adds a corner). Once they
      // are shown and the map has stopped moving, the map is marked ready (data-ready): a corner
      // clicked while the map is still zooming to them would land somewhere else.
      var ready = function () { draw.setAttribute("data-ready", "true"); };
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
        if (!data || !data.features.length) { ready(); return; }
        var layer = L.geoJSON(data, { interactive: false, style: { color: "#505a5f", weight: 2, fillOpacity: 0.1 } }).addTo(map);
        map.fitBounds(layer.getBounds(), { maxZoom: 16, animate: false });  // no animation: done at once
        ready();
      }).catch(ready);
    } else {
      draw.setAttribute("data-ready", "true");
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
