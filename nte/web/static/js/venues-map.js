// Public venue directory: the same venues as the list, as points on a self-hosted Leaflet map.
// Popup text comes translated from the page (NTE.t); venue names are data, set in <bdi>.
(function () {
  var el = document.getElementById("venue-map");
  if (!el || typeof L === "undefined") { if (el) el.hidden = true; return; }
  // Leaflet's own words (zoom buttons, popup close, credit) in the page's language too.
  var map = L.map(el, { zoomControl: false }).setView([51.507, -0.15], 12);
  L.control.zoom({ zoomInTitle: NTE.t("zoom_in"), zoomOutTitle: NTE.t("zoom_out") }).addTo(map);
  map.attributionControl.setPrefix('<a href="https://leafletjs.com" lang="en">Leaflet</a>');
  map.on("popupopen", function (e) {
    var close = e.popup.getElement() && e.popup.getElement().querySelector(".leaflet-popup-close-button");
    if (close) { close.setAttribute("aria-label", NTE.t("close_popup")); close.setAttribute("title", NTE.t("close_popup")); }
  });
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" }).addTo(map);
  }
  // Ward outlines with their names and the served area, so the venues can be placed without tiles.
  if (window.NTEWards && el.dataset.wardsUrl) window.NTEWards.add(map, { url: el.dataset.wardsUrl });
  function typeLabel(p) {
    var key = "type." + p.venue_type;
    var text = NTE.t(key);
    return text === key ? p.venue_type_label : text;
  }
  fetch(el.dataset.geojsonUrl, { headers: { accept: "application/geo+json" } })
    .then(function (r) { return r.ok ? r.json() : { features: [] }; })
    .then(function (data) {
      var layer = L.geoJSON(data, {
        pointToLayer: function (feature, latlng) {
          var example = feature.properties.example;
          return L.circleMarker(latlng, { radius: 6, weight: 2, color: example ? "#505a5f" : "#00703c",
                                          fillOpacity: example ? 0.3 : 0.8 });
        },
        onEachFeature: function (feature, layer) {
          var p = feature.properties;
          var box = document.createElement("div");
          var a = document.createElement("a");
          var name = document.createElement("bdi");
          a.href = NTE.href(p.url);
          name.textContent = p.name;
          a.appendChild(name);
          box.appendChild(a);
          box.appendChild(document.createElement("br"));
          var type = typeLabel(p);
          box.appendChild(document.createTextNode(p.example ? NTE.t("example", { type: type }) : type));
          layer.bindPopup(box);
        }
      }).addTo(map);
      // No animation: a tap on a venue while the map is still zooming would miss it. Then the map
      // says it is ready (data-ready), for anyone waiting on it.
      if (data.features && data.features.length) { map.fitBounds(layer.getBounds(), { maxZoom: 16, animate: false }); }
      el.setAttribute("data-ready", "true");
    });
})();
