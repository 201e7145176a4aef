// Report form: a pin on a self-hosted Leaflet map, "use my location", keyboard placement.
// Without JavaScript the page offers the ward list only (stored as approximate).
(function () {
  "use strict";
  var el = document.getElementById("report-map");
  if (!el || typeof L === "undefined") return;
  var latInput = document.getElementById("lat");
  var lonInput = document.getElementById("lon");
  var status = document.getElementById("pin-status");
  var controls = document.getElementById("map-controls");
  var wardSelect = document.getElementById("ward");
  var b = (el.dataset.bounds || "51.48,-0.25,51.58,-0.02").split(",").map(Number);
  var bounds = L.latLngBounds([b[0], b[1]], [b[2], b[3]]);
  var area = null;

  el.innerHTML = "";
  el.setAttribute("tabindex", "0");
  el.setAttribute("aria-label", el.dataset.label || "Map");
  el.setAttribute("role", "region");
  var map = L.map(el, { keyboard: true, maxZoom: 19, maxBounds: bounds.pad(0.5) }).fitBounds(bounds);
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" }).addTo(map);
  }
  // Ward outlines with their names, and the served area, readable without tiles (ward-layer.js).
  if (el.dataset.wardsUrl && window.NTEWards) {
    window.NTEWards.add(map, { url: el.dataset.wardsUrl }).ready.then(function (h) { area = h.wards; })
      .catch(function () {});
  }
  var marker = null;
  controls.hidden = false;

  function say(text) { status.textContent = text; }

  function inside(latlng) {
    if (!area) return bounds.contains(latlng);
    var found = false;
    area.eachLayer(function (layer) {
      if (!found && layer.getBounds().contains(latlng) && pointInLayer(latlng, layer)) found = true;
    });
    return found;
  }

  function pointInLayer(latlng, layer) {
    var rings = layer.getLatLngs();
    var polys = Array.isArray(rings[0]) && Array.isArray(rings[0][0]) ? rings : [rings];
    for (var p = 0; p < polys.length; p++) {
      if (ringContains(polys[p][0], latlng)) return true;
    }
    return false;
  }

  function ringContains(ring, pt) {
    var c = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var a = ring[i], d = ring[j];
      if (((a.lat > pt.lat) !== (d.lat > pt.lat)) &&
          (pt.lng < (d.lng - a.lng) * (pt.lat - a.lat) / (d.lat - a.lat) + a.lng)) c = !c;
    }
    return c;
  }

  function place(latlng) {
    if (!inside(latlng)) { say(el.dataset.msgOutside); return; }
    if (marker) marker.setLatLng(latlng);
    else marker = L.circleMarker(latlng, { radius: 10, color: "#d4351c", weight: 3, fillOpacity: 0.6 }).addTo(map);
    latInput.value = latlng.lat.toFixed(6);
    lonInput.value = latlng.lng.toFixed(6);
    if (wardSelect) wardSelect.value = "";
    say(el.dataset.msgPin);
  }

  function clear() {
    if (marker) { map.removeLayer(marker); marker = null; }
    latInput.value = ""; lonInput.value = "";
    say(el.dataset.msgCleared);
  }

  map.on("click", function (e) { place(e.latlng); });
  el.addEventListener("keydown", function (e) {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); place(map.getCenter()); }
  });
  document.getElementById("pin-centre").addEventListener("click", function () { place(map.getCenter()); });
  document.getElementById("clear-pin").addEventListener("click", clear);
  var locate = document.getElementById("use-location");
  if (!("geolocation" in navigator)) locate.hidden = true;
  locate.addEventListener("click", function () {
    say(el.dataset.msgLocating);
    navigator.geolocation.getCurrentPosition(function (pos) {
      var ll = L.latLng(pos.coords.latitude, pos.coords.longitude);
      map.setView(ll, 17);
      place(ll);
    }, function () { say(el.dataset.msgNoloc); }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
  if (wardSelect) wardSelect.addEventListener("change", function () { if (wardSelect.value && marker) clear(); });
  // "Where did it happen?" by postcode or street (place-search.js): the pin moves there, the map
  // zooms in, and the person can tap or click to adjust it.
  var finder = document.getElementById("report-place");
  if (finder) {
    finder.addEventListener("nte:place", function (e) {
      var ll = L.latLng(e.detail.lat, e.detail.lon);
      map.setView(ll, e.detail.approximate ? 16 : 17);
      place(ll);
      if (marker) say(el.dataset.msgMoved || el.dataset.msgPin);
    });
  }
  if (latInput.value && lonInput.value) {
    var start = L.latLng(Number(latInput.value), Number(lonInput.value));
    marker = L.circleMarker(start, { radius: 10, color: "#d4351c", weight: 3, fillOpacity: 0.6 }).addTo(map);
    map.setView(start, 16);
  }
})();
