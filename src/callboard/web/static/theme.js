// Runs before the page paints, so a dark-theme reader never sees a white flash.
(function () {
  var saved = null;
  try { saved = localStorage.getItem("callboard-theme"); } catch (e) { /* storage disabled */ }
  var dark = saved ? saved === "dark" : window.matchMedia("(prefers-color-scheme: dark)").matches;
  document.documentElement.setAttribute("data-theme", dark ? "dark" : "light");
})();
