// "Find help now": use the browser's location, or a point picked on the map, then submit the
// search form (the server renders the list, so the page works the same without JavaScript).
// After a search, focus and scroll go to the results (they come before the map).
(function () {
  "use strict";
  var form = document.getElementById("help-search");
  if (!form) return;
  var lonInput = document.getElementById("search-lon");
  var latInput = document.getElementById("search-lat");
  var nearInput = document.getElementById("search-near");
  var status = document.getElementById("locate-status");
  var ward = document.getElementById("ward");

  function setPoint(lon, lat, near) {
    lonInput.value = lon === null ? "" : lon.toFixed(6);
    latInput.value = lat === null ? "" : lat.toFixed(6);
    nearInput.value = near || "";
    lonInput.disabled = lon === null;
    latInput.disabled = lat === null;
    nearInput.disabled = !near;
  }

  function searchFrom(lon, lat, near) {
    setPoint(lon, lat, near);
    if (ward) ward.value = "";
    // The place was found already: the typed text must not be searched for again.
    var typed = form.querySelector("input[name=place]");
    if (typed) typed.value = "";
    form.submit();
  }

  // Choosing a ward replaces the point searched from (and the server prefers a chosen ward anyway).
  if (ward) ward.addEventListener("change", function () { if (ward.value) setPoint(null, null, ""); });

  // A place found by postcode or street name (the place search widget) searches from there.
  form.addEventListener("nte:place", function (event) {
    var d = event.detail || {};
    if (typeof d.lon === "number" && typeof d.lat === "number") searchFrom(d.lon, d.lat, d.label || "");
  });

  var group = document.getElementById("locate-group");
  var button = document.getElementById("locate-me");
  if (group && button && navigator.geolocation) {
    group.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = NTE.t("locating");
      navigator.geolocation.getCurrentPosition(function (pos) {
        status.textContent = NTE.t("searching");
        searchFrom(pos.coords.longitude, pos.coords.latitude, "");
      }, function () {
        status.textContent = NTE.t("no_location");
      }, {enableHighAccuracy: true, timeout: 10000, maximumAge: 60000});
    });
  }

  // The answer first: move focus to the results heading (a screen reader reads it) and scroll it
  // to the top of the screen.
  // Done again once the page has loaded: landing on the #results-title fragment moves focus too.
  var title = document.getElementById("results-title");
  function toResults() {
    if (!title || document.activeElement === title) return;
    title.focus({preventScroll: true});
    title.scrollIntoView({block: "start"});
  }
  toResults();
  window.addEventListener("load", toResults);

  var mapEl = document.getElementById("help-map");
  if (!mapEl || typeof L === "undefined") return;
  mapEl.hidden = false;
  var map = L.map(mapEl, {scrollWheelZoom: false});
  var tileUrl = mapEl.getAttribute("data-tile-url");
  if (tileUrl) {
    L.tileLayer(tileUrl, {maxZoom: 19, attribution: mapEl.getAttribute("data-tile-attribution") || ""}).addTo(map);
  }
  if (window.NTEWards && mapEl.getAttribute("data-wards-url")) {
    window.NTEWards.add(map, {url: mapEl.getAttribute("data-wards-url")});
  }
  var bounds = [];
  var lon = parseFloat(mapEl.getAttribute("data-lon"));
  var lat = parseFloat(mapEl.getAttribute("data-lat"));
  if (!isNaN(lon) && !isNaN(lat)) {
    L.circleMarker([lat, lon], {radius: 7, color: "#0b0c0c", fillColor: "#1d70b8", fillOpacity: 1})
      .addTo(map).bindTooltip(NTE.t("search_point"));
    bounds.push([lat, lon]);
  }
  var items = document.querySelectorAll(".safe-space-list .safe-space");
  Array.prototype.forEach.call(items, function (item, index) {
    var y = parseFloat(item.getAttribute("data-lat"));
    var x = parseFloat(item.getAttribute("data-lon"));
    if (isNaN(x) || isNaN(y)) return;
    var open = item.getAttribute("data-open") === "yes";
    L.circleMarker([y, x], {radius: 9, color: "#0b0c0c", weight: 2,
                            fillColor: open ? "#00703c" : "#6f777b", fillOpacity: 0.9})
      .addTo(map).bindTooltip((index + 1) + ". " + item.getAttribute("data-name"));
    bounds.push([y, x]);
  });
  if (bounds.length > 1) {
    map.fitBounds(bounds, {padding: [30, 30], maxZoom: 17});
  } else if (bounds.length === 1) {
    map.setView(bounds[0], 15);
  } else {
    map.setView([51.505, -0.15], 11);  // the six boroughs
  }
  map.on("click", function (event) {
    searchFrom(event.latlng.lng, event.latlng.lat, "");
  });
})();
