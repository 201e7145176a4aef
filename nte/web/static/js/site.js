// Text for scripts, translated on the server: each page puts a JSON object of its messages in
// <script type="application/json" id="nte-messages"> (block js_messages in base.html).
// NTE.t("key", {name: value}) returns the message with %(name)s replaced; NTE.href(path) keeps the
// page's ?lang= on a link a script builds.
window.NTE = (function () {
  var messages = {};
  var node = document.getElementById("nte-messages");
  try { messages = JSON.parse(node ? node.textContent : "{}") || {}; } catch (e) { messages = {}; }
  var lang = document.documentElement.getAttribute("lang") || "en";
  function t(key, vars) {
    var text = Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : key;
    if (vars) {
      Object.keys(vars).forEach(function (name) { text = text.split("%(" + name + ")s").join(String(vars[name])); });
    }
    return text;
  }
  function href(path) {
    if (lang === "en" || /[?&]lang=/.test(path)) return path;
    var parts = path.split("#");
    var base = parts[0] + (parts[0].indexOf("?") >= 0 ? "&" : "?") + "lang=" + encodeURIComponent(lang);
    return parts.length > 1 ? base + "#" + parts.slice(1).join("#") : base;
  }
  return {t: t, href: href, lang: lang};
})();

// Quick exit: leave at once (replacing this page in history), by the button or Shift pressed 3 times.
(function () {
  var btn = document.getElementById("quick-exit");
  if (!btn) return;
  // The bar stays at the top of the screen: keep what a link or a script scrolls to out from under it.
  var bar = btn.closest(".quick-exit-bar");
  function pad() { document.documentElement.style.scrollPaddingTop = (bar.offsetHeight + 8) + "px"; }
  if (bar) { pad(); window.addEventListener("resize", pad); }
  function leave(event) {
    if (event) event.preventDefault();
    document.body.style.display = "none";
    window.location.replace(btn.href);
  }
  btn.addEventListener("click", leave);
  var presses = [];
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Shift") return;
    var now = Date.now();
    presses = presses.filter(function (t) { return now - t < 2000; });
    presses.push(now);
    if (presses.length >= 3) leave();
  });
})();

// A page that answered a form (its mistakes, or the receipt) puts a plain address in the browser's
// history in place of the POST, so Back and reload never ask "Confirm form resubmission".
(function () {
  var meta = document.querySelector('meta[name="nte-history-url"]');
  if (meta && window.history && window.history.replaceState) {
    window.history.replaceState(null, "", meta.getAttribute("content"));
  }
})();

// After a form comes back with mistakes, move focus to the list of them, so a screen reader reads
// them first and a keyboard user can go straight to each field.
(function () {
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
