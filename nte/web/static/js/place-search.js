// Place search widget (templates/places/_search.html): find a place by postcode, street or name.
//
// USAGE: render the macro, then load this script after site.js:
//   {% from "places/_search.html" import place_search with context %}
//   {{ place_search("help-place", _("Postcode or street"), _("For example SW1A 2AA")) }}
//   {% block scripts %}<script src="/static/js/place-search.js"></script>{% endblock %}
// and listen for the choice on the widget (the event bubbles, so document works too):
//   document.getElementById("help-place").addEventListener("nte:place", function (e) {
//     // e.detail = {lon: -0.1313, lat: 51.5136, label: "WC2H 9NG", approximate: false}
//   });
// "Find" (or Enter in the box) asks GET /api/places?q=...&limit=5 on this host only, lists up to 5
// places as buttons and says "N places found" / "No place found: check the postcode" in the
// role=status line. Text comes from the widget's data-messages (the catalogue, places.po); a page can
// override a key in its js_messages block (NTE.t). Without JavaScript the widget still works: its
// own form reloads the page with ?place=..., or (form=False) it submits the page's form with
// place_find=1, and the page resolves the place on the server.
(function () {
  "use strict";

  function setup(root) {
    var input = root.querySelector("input[type=text]");
    var button = root.querySelector("button");
    var status = root.querySelector("[role=status]");
    var list = root.querySelector("ul");
    if (!input || !button || !status || !list) return;
    var own = {};
    try { own = JSON.parse(root.getAttribute("data-messages") || "{}") || {}; } catch (e) { own = {}; }
    var api = root.getAttribute("data-api") || "/api/places";
    var limit = parseInt(root.getAttribute("data-limit") || "5", 10) || 5;
    var ownForm = root.querySelector("form");
    var pending = 0;

    function t(key, vars) {
      var fromPage = window.NTE ? window.NTE.t(key, vars) : key;
      if (fromPage !== key) return fromPage;
      var text = Object.prototype.hasOwnProperty.call(own, key) ? own[key] : key;
      Object.keys(vars || {}).forEach(function (name) { text = text.split("%(" + name + ")s").join(String(vars[name])); });
      return text;
    }

    function say(text) { status.textContent = text; }

    function clear() {
      while (list.firstChild) list.removeChild(list.firstChild);
      list.hidden = true;
    }

    function choose(place) {
      clear();
      input.value = place.label;
      say(t(place.approximate ? "place_search.chosen_approximate" : "place_search.chosen", {label: place.label}));
      root.dispatchEvent(new CustomEvent("nte:place", {
        bubbles: true,
        detail: {lon: place.lon, lat: place.lat, label: place.label, approximate: !!place.approximate}
      }));
    }

    function show(results) {
      clear();
      if (!results.length) { say(t("place_search.none")); return; }
      results.slice(0, limit).forEach(function (place) {
        var item = document.createElement("li");
        var choice = document.createElement("button");
        choice.type = "button";
        choice.className = "secondary";
        choice.style.margin = "0 0 8px";
        choice.style.textAlign = "start";
        var name = document.createElement("bdi");
        name.textContent = place.label;
        choice.appendChild(name);
        var about = t("place_search.kind." + place.kind);
        var detail = document.createElement("span");
        detail.style.fontWeight = "400";
        detail.textContent = " (" + about + ")";
        choice.appendChild(detail);
        if (place.ward_name && place.ward_name !== place.label) {
          var ward = document.createElement("bdi");
          ward.style.fontWeight = "400";
          ward.textContent = place.ward_name;
          choice.appendChild(document.createTextNode(" · "));
          choice.appendChild(ward);
        }
        choice.addEventListener("click", function () { choose(place); });
        item.appendChild(choice);
        list.appendChild(item);
      });
      list.hidden = false;
      var shown = Math.min(results.length, limit);
      say(shown === 1 ? t("place_search.found_one") : t("place_search.found_many", {count: shown}));
    }

    function find() {
      var q = input.value.replace(/\s+/g, " ").trim();
      if (q.length < 2) { clear(); say(t("place_search.too_short")); input.focus(); return; }
      var mine = ++pending;
      say(t("place_search.searching"));
      var url = api + "?q=" + encodeURIComponent(q.slice(0, 80)) + "&limit=" + limit;
      fetch(url, {headers: {Accept: "application/json"}, credentials: "same-origin"})
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
        .then(function (data) { if (mine === pending) show(data.results || []); })
        .catch(function () { if (mine === pending) { clear(); say(t("place_search.failed")); } });
    }

    if (ownForm) {
      ownForm.addEventListener("submit", function (e) { e.preventDefault(); find(); });
    } else {
      // Inside the page's form: "Find" must not submit it, and Enter in the box searches.
      button.type = "button";
      button.removeAttribute("name");
      button.addEventListener("click", function (e) { e.preventDefault(); find(); });
      input.addEventListener("keydown", function (e) {
        if (e.key === "Enter") { e.preventDefault(); find(); }
      });
    }
  }

  var roots = document.querySelectorAll("[data-place-search]");
  for (var i = 0; i < roots.length; i++) setup(roots[i]);
})();
