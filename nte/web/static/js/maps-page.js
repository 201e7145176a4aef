// Map pages (officer, public, coordinator): Leaflet layers described by the page in data-layers.
// No inline script (CSP): the page passes every URL and option through data- attributes.
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L) return;
  var configs = JSON.parse(el.getAttribute("data-layers") || "[]");
  // Text from the page's translated messages (NTE.t), or the English given here when a page has none.
  function msg(key, english, vars) {
    var text = window.NTE ? NTE.t(key, vars) : key;
    if (text !== key) return text;
    Object.keys(vars || {}).forEach(function (name) { english = english.split("%(" + name + ")s").join(String(vars[name])); });
    return english;
  }
  // Zoom titles and the credit in the page's language come from leaflet-locale.js, where loaded.
  var map = L.map(el).setView([51.51, -0.13], 12);
  var tileUrl = el.getAttribute("data-tile-url");
  if (tileUrl) {
    L.tileLayer(tileUrl, { attribution: el.getAttribute("data-tile-attribution") || "", maxZoom: 19 }).addTo(map);
  }
  if (el.getAttribute("data-wards-url") && window.NTEWards) {
    NTEWards.add(map, { url: el.getAttribute("data-wards-url"), servedUrl: el.getAttribute("data-served-url") || undefined });
  }
  // Open beside the map on wide screens; on a phone a button, so it does not cover the zoom buttons.
  var control = L.control.layers(null, null, { collapsed: el.clientWidth < 600 }).addTo(map);
  var toggle = control.getContainer().querySelector(".leaflet-control-layers-toggle");
  if (toggle) {
    toggle.setAttribute("title", msg("layers", "Map layers"));
    toggle.setAttribute("aria-label", msg("layers", "Map layers"));
  }
  var status = document.getElementById("map-status");
  var panel = document.getElementById("ward-panel");
  var requests = {};
  var fitted = false;

  function say(text) { if (status) status.textContent = text; }

  function get(url) {
    if (!requests[url]) {
      requests[url] = fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); });
    }
    return requests[url];
  }

  function tooltip(props, cfg) {
    var box = document.createElement("div");
    var strong = document.createElement("strong");
    var name = document.createElement("bdi");
    name.textContent = props.name || props.label || "";
    strong.appendChild(name);
    box.appendChild(strong);
    if (cfg.figures && props.code) {
      // The page's table holds each ward's figures already in words, translated, one cell per source.
      var table = document.getElementById(cfg.figures);
      var row = table ? table.querySelector('tr[data-ward="' + String(props.code).replace(/["\\]/g, "") + '"]') : null;
      (row ? row.querySelectorAll("td[data-source]") : []).forEach(function (cell) {
        box.appendChild(document.createElement("br"));
        box.appendChild(document.createTextNode(cell.getAttribute("data-label") + ": " + cell.textContent));
      });
      return box;
    }
    if (cfg.value && props[cfg.value] !== undefined && props[cfg.value] !== null) {
      box.appendChild(document.createElement("br"));
      box.appendChild(document.createTextNode(String(props[cfg.value]) + (cfg.valueLabel ? " " + cfg.valueLabel : "")));
    }
    return box;
  }

  function openPanel(url) {
    if (!panel) return;
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.text(); })
      .then(function (html) { panel.innerHTML = html; panel.focus(); })  // server-rendered, escaped fragment
      .catch(function () { say(msg("panel_failed", "The ward figures could not be loaded.")); });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-panel]") : null;
    if (link && panel) { event.preventDefault(); openPanel(link.getAttribute("href")); }
  });

  function style(cfg) {
    return function (feature) {
      var p = feature.properties || {};
      if (cfg.kind === "areas") return { color: cfg.colour, weight: 2, fillOpacity: 0.08 };
      if (cfg.kind === "cells" && cfg.cellStyle === "outlined") {
        // The officer's map: hot spot cells are sharp squares with a dark outline, solid for hot and
        // dashed for cold, so they never read as the ward shading below and not by colour alone.
        return { fillColor: p.fill || "#999", color: "#0b0c0c", weight: 1.5, dashArray: p.bin < 0 ? "4 3" : null, fillOpacity: 0.85 };
      }
      if (cfg.kind === "cells") {
        return { fillColor: p.fill || "#999", color: cfg.outline || p.fill || "#999", weight: cfg.outline ? 2 : 0.5, fillOpacity: 0.75 };
      }
      if (cfg.palette && p.count) {
        var shade = cfg.palette[Math.min(Number(p["class"]) || 0, cfg.palette.length - 1)];
        return { fillColor: shade, color: "#505a5f", weight: 1, fillOpacity: 0.65 };
      }
      return { fillColor: p.fill || "#f2f2f2", color: "#505a5f", weight: 1, fillOpacity: 0.7 };
    };
  }

  configs.forEach(function (cfg) {
    get(cfg.url).then(function (data) {
      var collection = cfg.key ? data[cfg.key] : data;
      if (!collection || !collection.features) {
        // Nothing to draw (e.g. too few reports for hot spots): say so where the page asks, and mark
        // the layer loaded with none, so a reader (or a test) is not left waiting.
        if (cfg.explainEmpty && data.notes && data.notes.length) say(data.notes[data.notes.length - 1]);
        el.setAttribute("data-loaded-" + (cfg.key || cfg.kind), "0");
        return;
      }
      var features = collection.features;
      if (cfg.only) features = features.filter(function (f) { return f.properties && f.properties[cfg.only] === true; });
      var layer = L.geoJSON({ type: "FeatureCollection", features: features }, {
        style: style(cfg),
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, { radius: 6, color: "#0b0c0c", weight: 1, fillColor: cfg.colour || "#1f78b4", fillOpacity: 0.9 });
        },
        onEachFeature: function (f, lyr) {
          var p = f.properties || {};
          lyr.bindTooltip(tooltip(p, cfg));
          if (cfg.panel && p.code) {
            lyr.on("click", function () { openPanel(cfg.panel.replace("{code}", encodeURIComponent(p.code))); });
            // The drawn shape names its ward, so a ward can be found on the map (by a test, or a
            // script) whatever other layer happens to be drawn over it.
            lyr.on("add", function () {
              var shape = lyr.getElement ? lyr.getElement() : null;
              if (shape) shape.setAttribute("data-ward", p.code);
            });
          }
        }
      });
      if (!cfg.hidden) layer.addTo(map);  // hidden layers start switched off in the layer control
      control.addOverlay(layer, cfg.name + " (" + features.length + ")");
      if (cfg.fit && !fitted && features.length) { map.fitBounds(layer.getBounds()); fitted = true; }
      el.setAttribute("data-loaded-" + (cfg.key || cfg.kind), String(features.length));
    }).catch(function () {
      say(msg("layer_unavailable", "%(name)s: not available.", { name: cfg.name }));
    });
  });
})();
