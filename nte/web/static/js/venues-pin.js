// Venue sign-up and portal: place a pin on the map; fills the (always visible) longitude and latitude
// fields and shows the typed address back next to the pin. Without JS the fields are typed in (or, on
// the sign-up, left empty: the server uses the postcode's point).
// On the sign-up page the map also follows the place search widget (places/_search.html: its
// nte:place event moves the pin to the chosen place) and starts at the typed postcode's point
// (GET /api/places/postcode/{postcode}, this host only). A pin that came from a postcode or a search,
// not from a click, is sent with location_approximate=1 until someone moves it.
(function () {
  var el = document.getElementById("pin-map");
  if (!el || typeof L === "undefined") { if (el) el.hidden = true; return; }
  var lonInput = document.getElementById("lon");
  var latInput = document.getElementById("lat");
  var approxInput = document.getElementById("location_approximate");
  var readout = document.getElementById("pin-readout");
  var centreButton = document.getElementById("pin-centre");
  var postcodeApi = el.getAttribute("data-postcode-api");
  var map = L.map(el, { keyboard: true }).setView([51.507, -0.15], 12);
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" }).addTo(map);
  }
  // Ward outlines with their names and the served area, so the pin can be checked without tiles.
  if (window.NTEWards && el.dataset.wardsUrl) window.NTEWards.add(map, { url: el.dataset.wardsUrl });
  // Page text (sign-up: translated in js_messages); English where a page gives none (the portal).
  var ENGLISH = {
    "pin.placed": "Pin placed at %(lat)s, %(lon)s.",
    "pin.placed_for": "Pin placed at %(lat)s, %(lon)s for %(where)s.",
    "pin.at_place": "The pin is at %(label)s's point. Move it to the venue's entrance: click or tap the map.",
    "pin.at_postcode": "The map starts at %(label)s. Click or tap the venue's entrance to place the pin.",
    "pin.venue": "Venue"
  };
  function t(key, vars) {
    var text = window.NTE ? window.NTE.t(key, vars) : key;
    if (text !== key) return text;
    text = ENGLISH[key] || key;
    Object.keys(vars || {}).forEach(function (name) { text = text.split("%(" + name + ")s").join(String(vars[name])); });
    return text;
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
    var vars = { lat: lat.toFixed(5), lon: lon.toFixed(5), where: where };
    readout.textContent = where ? t("pin.placed_for", vars) : t("pin.placed", vars);
    marker.bindTooltip(where || t("pin.venue"), { permanent: false });
  }
  function setApproximate(value) { if (approxInput) approxInput.value = value ? "1" : ""; }
  function fromInputs() {
    var lon = parseFloat(lonInput.value), lat = parseFloat(latInput.value);
    if (isFinite(lon) && isFinite(lat) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
      show(lat, lon, true);
      map.setView([lat, lon], Math.max(map.getZoom(), 15));
      return true;
    }
    return false;
  }
  // A pin from a place (search choice or postcode): placed there, marked approximate, said so.
  function toPlace(lat, lon, label, message) {
    show(lat, lon, false);
    setApproximate(true);
    map.setView([lat, lon], 17);
    readout.textContent = t(message, { label: label });
  }
  map.on("click", function (e) { show(e.latlng.lat, e.latlng.lng, false); setApproximate(false); });
  lonInput.addEventListener("change", function () { setApproximate(false); fromInputs(); });
  latInput.addEventListener("change", function () { setApproximate(false); fromInputs(); });
  ["address", "postcode"].forEach(function (id) {
    var input = document.getElementById(id);
    if (input) input.addEventListener("change", function () { if (marker) { var ll = marker.getLatLng(); show(ll.lat, ll.lng, true); } });
  });
  if (centreButton) {
    centreButton.hidden = false;
    centreButton.addEventListener("click", function () { var c = map.getCenter(); show(c.lat, c.lng, false); setApproximate(false); });
  }
  document.addEventListener("nte:place", function (e) {
    var d = e.detail || {};
    if (isFinite(d.lat) && isFinite(d.lon)) toPlace(d.lat, d.lon, d.label || "", "pin.at_place");
  });
  // The typed postcode: until a pin is placed, the map starts at its point.
  var postcode = document.getElementById("postcode");
  function followPostcode() {
    if (!postcodeApi || !postcode || (marker && (!approxInput || approxInput.value !== "1"))) return;
    var value = postcode.value.replace(/\s+/g, "");
    if (value.length < 5 || value.length > 8) return;
    fetch(postcodeApi + encodeURIComponent(value), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (place) {
        if (place && (!marker || (approxInput && approxInput.value === "1"))) toPlace(place.lat, place.lon, place.label, "pin.at_postcode");
      })
      .catch(function () { /* no point: the map stays where it is */ });
  }
  if (postcode) postcode.addEventListener("change", followPostcode);
  if (!fromInputs()) followPostcode();
})();
