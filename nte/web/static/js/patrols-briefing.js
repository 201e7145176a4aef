// The volunteer's shift briefings (patrols/volunteer_home.html): each .briefing-map[data-area-url]
// draws that shift's patrol area, fetched from GET /api/patrols/me/shifts/{id}/area.geojson (only for
// shifts the volunteer is on), over the ward outlines and names (ward-layer.js), so it reads without
// base tiles; tiles only when data-tile-url names a server. Load after leaflet.js, leaflet-locale.js
// and ward-layer.js. When drawn, the map element gets data-area-loaded="1" ("0" if it could not be).
(function () {
  "use strict";
  if (typeof L === "undefined") return;
  Array.prototype.forEach.call(document.querySelectorAll(".briefing-map[data-area-url]"), function (el) {
    el.hidden = false;
    var map = L.map(el, { keyboard: true, scrollWheelZoom: false }).setView([51.513, -0.134], 14);
    if (el.dataset.tileUrl) L.tileLayer(el.dataset.tileUrl, { maxZoom: 19 }).addTo(map);
    if (window.NTEWards && el.dataset.wardsUrl) {
      window.NTEWards.add(map, { url: el.dataset.wardsUrl }).ready.catch(function () {});
    }
    fetch(el.dataset.areaUrl, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (feature) {
        var layer = L.geoJSON(feature, {
          interactive: false,
          className: "briefing-area",
          style: { color: "#1d70b8", weight: 3, fillOpacity: 0.15 }
        }).addTo(map);
        map.fitBounds(layer.getBounds(), { padding: [8, 8] });
        el.setAttribute("data-area-loaded", "1");
      })
      .catch(function () { el.setAttribute("data-area-loaded", "0"); });
  });
})();
