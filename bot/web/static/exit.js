// "Exit this page", after GOV.UK's pattern: the link works without this script; with it,
// the page is blanked at once and replaced (location.replace), so Back does not return to
// it, and pressing Shift three times within five seconds does the same.
(function () {
  "use strict";
  var link = document.querySelector("[data-exit-this-page]");
  if (!link) { return; }
  var hint = document.getElementById("exit-this-page-hint");
  if (hint) { hint.hidden = false; }

  function exitNow(event) {
    if (event) { event.preventDefault(); }
    document.title = "Loading";
    document.body.innerHTML = "";
    document.body.className = "exit-this-page--exiting";
    window.location.replace(link.href);
  }

  var presses = 0;
  var timer = null;
  link.addEventListener("click", exitNow);
  document.addEventListener("keyup", function (event) {
    if (event.key !== "Shift") { presses = 0; return; }
    presses += 1;
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { presses = 0; }, 5000);
    if (presses >= 3) { exitNow(); }
  });
})();
