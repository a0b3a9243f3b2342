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


  // Entity pickers (Owner, System...): a searchable list showing each entity's title, kind and ref, instead of
  // the browser's bare suggestions. The value stays the ref; without script the datalist still suggests.
  function enhancePicker(input) {
    if (input.pickerReady) return;
    input.pickerReady = true;
    var source = document.getElementById(input.getAttribute("list"));
    if (!source) return;
    var options = Array.prototype.map.call(source.options, function (option) {
      return { ref: option.value, title: option.textContent, kind: option.getAttribute("data-kind") || "" };
    });
    input.removeAttribute("list");
    var list = document.createElement("ul");
    list.className = "picker-list";
    list.id = input.id + "-listbox";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.parentNode.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");
    var shown = [], active = -1;

    function render() {
      var text = input.value.trim().toLowerCase();
      shown = options.filter(function (o) {
        return !text || o.title.toLowerCase().indexOf(text) >= 0 || o.ref.toLowerCase().indexOf(text) >= 0;
      }).slice(0, 50);
      list.innerHTML = "";
      shown.forEach(function (o, index) {
        var item = document.createElement("li");
        item.id = list.id + "-" + index;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", index === active ? "true" : "false");
        var kind = o.kind in { component: 1, api: 1, system: 1, domain: 1, resource: 1, group: 1, user: 1 } ? o.kind : "other";
        item.innerHTML = '<svg class="kind-icon kind-' + kind + '" aria-hidden="true"><use href="/static/kinds.svg#kind-' + kind + '"/></svg>';
        var title = document.createElement("span");
        title.className = "picker-title";
        title.textContent = o.title;
        var ref = document.createElement("span");
        ref.className = "muted small";
        ref.textContent = o.kind + " · " + o.ref;
        item.appendChild(title);
        item.appendChild(ref);
        item.addEventListener("mousedown", function (event) { event.preventDefault(); choose(index); });
        list.appendChild(item);
      });
      var open = shown.length > 0 && document.activeElement === input;
      list.hidden = !open;
      input.setAttribute("aria-expanded", open ? "true" : "false");
      if (active >= 0 && shown[active]) input.setAttribute("aria-activedescendant", list.id + "-" + active);
      else input.removeAttribute("aria-activedescendant");
    }
    function choose(index) {
      if (!shown[index]) return;
      input.value = shown[index].ref;
      active = -1;
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
    input.addEventListener("input", function () { active = -1; render(); });
    input.addEventListener("focus", render);
    input.addEventListener("blur", function () { list.hidden = true; input.setAttribute("aria-expanded", "false"); });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (list.hidden) render();
        active = Math.max(0, Math.min(shown.length - 1, active + (event.key === "ArrowDown" ? 1 : -1)));
        render();
      } else if (event.key === "Enter" && !list.hidden && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape") {
        list.hidden = true;
        input.setAttribute("aria-expanded", "false");
      }
    });
  }
  function enhancePickers(root) {
    (root || document).querySelectorAll("input[data-entity-picker]").forEach(enhancePicker);
  }
  document.addEventListener("DOMContentLoaded", function () { enhancePickers(document); });
  document.addEventListener("htmx:afterSwap", function (event) { enhancePickers(event.target); });

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
