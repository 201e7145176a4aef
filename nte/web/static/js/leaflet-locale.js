// Leaflet's own words in the page's language: load right after leaflet.js, before any map is made.
// The zoom buttons' titles come from the layout's translated map words (base.html,
// <script type="application/json" id="nte-map-messages">), and the credit's "Leaflet" link is
// marked English, so a screen reader reading Arabic or Bengali pronounces it right.
(function () {
  "use strict";
  if (typeof L === "undefined") return;
  var words = {};
  var node = document.getElementById("nte-map-messages");
  try { words = JSON.parse(node ? node.textContent : "{}") || {}; } catch (e) { words = {}; }
  if (words.zoom_in) L.Control.Zoom.prototype.options.zoomInTitle = words.zoom_in;
  if (words.zoom_out) L.Control.Zoom.prototype.options.zoomOutTitle = words.zoom_out;
  L.Control.Attribution.prototype.options.prefix = '<a href="https://leafletjs.com" lang="en">Leaflet</a>';
})();
