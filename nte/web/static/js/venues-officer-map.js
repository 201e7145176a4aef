// Officer's venue page: a small map with the venue's pin and the ward outlines and names around it
// (ward-layer.js), so the officer can check where the venue is without base tiles. Read-only.
// Markup: <div id="venue-pin-map" data-lon data-lat data-wards-url data-tile-url data-tile-attribution>
// with a text alternative next to it (the coordinates and ward are written on the page).
// When the pin is drawn the element gets data-pin="<lat>,<lon>".
(function () {
  "use strict";
  var el = document.getElementById("venue-pin-map");
  if (!el || typeof L === "undefined") { if (el) el.hidden = true; return; }
  var lat = parseFloat(el.dataset.lat), lon = parseFloat(el.dataset.lon);
  if (!isFinite(lat) || !isFinite(lon)) { el.hidden = true; return; }
  el.style.height = "260px";
  var map = L.map(el, { scrollWheelZoom: false }).setView([lat, lon], 16);
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" }).addTo(map);
  }
  if (window.NTEWards && el.dataset.wardsUrl) window.NTEWards.add(map, { url: el.dataset.wardsUrl, labelZoom: 14 });
  var marker = L.marker([lat, lon], { keyboard: false, title: el.dataset.name || "" }).addTo(map);
  if (el.dataset.name) {
    var label = document.createElement("bdi");
    label.textContent = el.dataset.name;
    marker.bindTooltip(label, { permanent: true, direction: "top", offset: [0, -36] });
  }
  el.setAttribute("data-pin", lat.toFixed(6) + "," + lon.toFixed(6));
})();
