// Small behaviours of the portal's pages; everything works without them, they make it quicker to use.
(function () {
  "use strict";

  function onClick(selector, handler) {
    document.addEventListener("click", function (event) {
      var target = event.target.closest(selector);
      if (target) handler(target, event);
    });
  }

  // On a phone the filters start folded unless one is in use, so the table is on the first screen.
  function foldFilters() {
    if (!window.matchMedia("(max-width: 820px)").matches) return;
    document.querySelectorAll("details.facets").forEach(function (details) {
      if (!details.querySelector("input:checked")) details.removeAttribute("open");
    });
  }
  document.addEventListener("DOMContentLoaded", foldFilters);
  document.addEventListener("htmx:afterSwap", foldFilters);

  // Compact rows in catalog tables: a choice kept in this browser (it is not part of the shared URL).
  function applyDensity() {
    var compact = false;
    try { compact = localStorage.getItem("callboard-density") === "compact"; } catch (e) { /* storage off */ }
    document.querySelectorAll("table.catalog-table").forEach(function (table) { table.classList.toggle("compact", compact); });
    document.querySelectorAll("input[data-density]").forEach(function (box) {
      box.checked = compact;
      box.closest("label").hidden = false;
    });
  }
  document.addEventListener("DOMContentLoaded", applyDensity);
  document.addEventListener("htmx:afterSwap", applyDensity);
  document.addEventListener("change", function (event) {
    if (!event.target.matches("input[data-density]")) return;
    event.stopPropagation();  // a display choice, not a filter: the form is not sent
    try { localStorage.setItem("callboard-density", event.target.checked ? "compact" : "comfortable"); } catch (e) { /* off */ }
    applyDensity();
  }, true);

  // htmx leaves the page as it was when an answer is an error, so a card would stay "Loading…" and a refused
  // button would say nothing. An error that comes as HTML says what went wrong in words: show it in place.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    var type = xhr.getResponseHeader("Content-Type") || "";
    if (xhr.status >= 400 && type.indexOf("text/html") === 0) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  onClick(".theme-toggle", function () {
    var next = document.documentElement.getAttribute("data-theme") === "dark" ? "light" : "dark";
    document.documentElement.setAttribute("data-theme", next);
    try { localStorage.setItem("callboard-theme", next); } catch (e) { /* storage disabled */ }
  });

  onClick(".nav-toggle", function (button) {
    var open = document.body.classList.toggle("nav-open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });

  onClick("[data-copy]", function (button) {
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.value !== undefined ? source.value : source.textContent;
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () {});
    } else {
      var area = document.createElement("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      try { document.execCommand("copy"); done(); } catch (e) { /* nothing to do */ }
      area.remove();
    }
  });

  // Quick jump: "/" focuses the box, arrows move through results, Enter opens the first one.
  document.addEventListener("keydown", function (event) {
    var box = document.getElementById("quick-jump-input");
    if (!box) return;
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
    if (event.key === "/" && !typing) {
      event.preventDefault();
      box.focus();
      return;
    }
    var results = document.getElementById("quick-jump-results");
    var links = results ? Array.prototype.slice.call(results.querySelectorAll("a")) : [];
    if (!links.length || !box.closest("form").contains(document.activeElement)) return;
    var index = links.indexOf(document.activeElement);
    if (event.key === "ArrowDown") {
      event.preventDefault();
      links[Math.min(index + 1, links.length - 1)].focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (index <= 0) box.focus(); else links[index - 1].focus();
    } else if (event.key === "Escape") {
      results.innerHTML = "";
      box.focus();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList.contains("quick-jump")) return;
    var first = form.querySelector("#quick-jump-results a");
    if (first) {
      event.preventDefault();
      window.location.href = first.getAttribute("href");
    }
  });

  document.addEventListener("click", function (event) {
    var results = document.getElementById("quick-jump-results");
    if (results && !event.target.closest(".quick-jump")) results.innerHTML = "";
  });
})();
