// Starts Swagger UI on /api/docs from this host's own copy (no inline script, so the CSP holds).
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null, // the default validator badge would call a third-party host
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
