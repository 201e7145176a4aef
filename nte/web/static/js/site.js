// Quick exit: leave at once (replacing this page in history), by the button or Shift pressed 3 times.
(function () {
  var btn = document.getElementById("quick-exit");
  if (!btn) return;
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

// After a form comes back with mistakes, move focus to the list of them, so a screen reader reads
// them first and a keyboard user can go straight to each field.
(function () {
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
