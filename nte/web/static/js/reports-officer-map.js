// Officers' map of exact report points (the data comes from an officer-only JSON endpoint).
(function () {
  "use strict";
  var el = document.getElementById("report-map");
  if (!el || typeof L === "undefined") return;
  var map = L.map(el, { keyboard: true, maxZoom: 19 }).setView([51.51, -0.13], 12);
  if (el.dataset.tileUrl) L.tileLayer(el.dataset.tileUrl, { maxZoom: 19 }).addTo(map);
  var colours = { "new": "#1d70b8", "accepted": "#00703c", "spam": "#d4351c", "duplicate": "#505a5f" };

  function add(lon, lat, props) {
    var m = L.circleMarker([lat, lon], { radius: 6, color: colours[props.status] || "#1d70b8", weight: 2, fillOpacity: 0.6 });
    if (props.id) {
      var div = document.createElement("div");
      var a = document.createElement("a");
      a.href = "/officer/reports/" + props.id;
      a.textContent = "#" + props.id + " " + (props.category || "") + " (" + props.status + ")";
      div.appendChild(a);
      if (props.source_label) {
        // Whose record it is: a public report or police-recorded crime.
        div.appendChild(document.createElement("br"));
        div.appendChild(document.createTextNode(props.source_label));
      }
      m.bindPopup(div);
    }
    return m.addTo(map);
  }

  if (el.dataset.points) {
    var p = el.dataset.points.split(",").map(Number);
    add(p[0], p[1], {});
    map.setView([p[1], p[0]], 16);
    return;
  }
  fetch(el.dataset.pointsUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (fc) {
    var group = [];
    fc.features.forEach(function (f) {
      group.push(add(f.geometry.coordinates[0], f.geometry.coordinates[1], f.properties));
    });
    var count = document.getElementById("map-count");
    if (count) count.textContent = fc.features.length + " points";
    if (group.length) map.fitBounds(L.featureGroup(group).getBounds().pad(0.1), { maxZoom: 17 });
  });
})();
