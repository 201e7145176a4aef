// The /ogc feature page's small map (no inline scripts: the geometry is the element's data-geometry,
// GeoJSON in WGS 84). Ward outlines and names come from this host (ward-layer.js), so the map reads
// without a tile layer; tiles only when the site is configured with a tile host of its own.
// When the feature is drawn the element gets data-ready="1".
(function () {
  "use strict";
  var el = document.getElementById("feature-map");
  if (!el) return;
  if (typeof L === "undefined") { el.hidden = true; return; }
  var geometry;
  try { geometry = JSON.parse(el.getAttribute("data-geometry") || "null"); } catch (e) { geometry = null; }
  if (!geometry) { el.hidden = true; return; }
  var map = L.map(el, { keyboard: true, scrollWheelZoom: false }).setView([51.513, -0.134], 14);
  var tiles = el.getAttribute("data-tile-url");
  if (tiles) L.tileLayer(tiles, { maxZoom: 19, attribution: el.getAttribute("data-tile-attribution") || "" }).addTo(map);
  if (window.NTEWards && el.getAttribute("data-wards-url")) window.NTEWards.add(map, { url: el.getAttribute("data-wards-url") });
  var layer = L.geoJSON(geometry, {
    style: function () { return { color: "#d4351c", weight: 3, fillOpacity: 0.15 }; },
    pointToLayer: function (_feature, latlng) { return L.circleMarker(latlng, { radius: 8, color: "#d4351c", weight: 3 }); },
    interactive: false
  }).addTo(map);
  var bounds = layer.getBounds();
  if (bounds.isValid()) {
    var point = bounds.getNorthEast().equals(bounds.getSouthWest());
    if (point) map.setView(bounds.getCenter(), 16); else map.fitBounds(bounds, { padding: [12, 12] });
  }
  el.setAttribute("data-ready", "1");
})();
