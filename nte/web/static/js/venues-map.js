// Public venue directory: the same venues as the list, as points on a self-hosted Leaflet map.
(function () {
  var el = document.getElementById("venue-map");
  if (!el || typeof L === "undefined") { if (el) el.hidden = true; return; }
  var map = L.map(el).setView([51.507, -0.15], 12);
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" }).addTo(map);
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
          a.href = p.url; a.textContent = p.name;
          box.appendChild(a);
          box.appendChild(document.createElement("br"));
          box.appendChild(document.createTextNode(p.venue_type_label + (p.example ? " (example, not verified)" : "")));
          layer.bindPopup(box);
        }
      }).addTo(map);
      if (data.features && data.features.length) { map.fitBounds(layer.getBounds(), { maxZoom: 16 }); }
    });
})();
