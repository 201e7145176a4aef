// Venue sign-up and portal: place a pin on the map; fills the (always visible) longitude and latitude
// fields and shows the typed address back next to the pin. Without JS the fields are typed in.
(function () {
  var el = document.getElementById("pin-map");
  if (!el || typeof L === "undefined") { if (el) el.hidden = true; return; }
  var lonInput = document.getElementById("lon");
  var latInput = document.getElementById("lat");
  var readout = document.getElementById("pin-readout");
  var centreButton = document.getElementById("pin-centre");
  var map = L.map(el, { keyboard: true }).setView([51.507, -0.15], 12);
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" }).addTo(map);
  }
  var marker = null;
  function addressText() {
    var a = document.getElementById("address"), p = document.getElementById("postcode");
    return [a && a.value.trim(), p && p.value.trim()].filter(Boolean).join(", ");
  }
  function show(lat, lon, fromInputs) {
    if (marker) { marker.setLatLng([lat, lon]); } else { marker = L.marker([lat, lon], { keyboard: false }).addTo(map); }
    if (!fromInputs) { lonInput.value = lon.toFixed(6); latInput.value = lat.toFixed(6); }
    var where = addressText();
    var text = "Pin placed at " + lat.toFixed(5) + ", " + lon.toFixed(5) + (where ? " for " + where : "") + ".";
    readout.textContent = text;
    marker.bindTooltip(where || "Venue", { permanent: false });
  }
  function fromInputs() {
    var lon = parseFloat(lonInput.value), lat = parseFloat(latInput.value);
    if (isFinite(lon) && isFinite(lat) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
      show(lat, lon, true);
      map.setView([lat, lon], Math.max(map.getZoom(), 15));
    }
  }
  map.on("click", function (e) { show(e.latlng.lat, e.latlng.lng, false); });
  lonInput.addEventListener("change", fromInputs);
  latInput.addEventListener("change", fromInputs);
  ["address", "postcode"].forEach(function (id) {
    var input = document.getElementById(id);
    if (input) input.addEventListener("change", function () { if (marker) { var ll = marker.getLatLng(); show(ll.lat, ll.lng, true); } });
  });
  if (centreButton) {
    centreButton.hidden = false;
    centreButton.addEventListener("click", function () { var c = map.getCenter(); show(c.lat, c.lng, false); });
  }
  fromInputs();
})();
