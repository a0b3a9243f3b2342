// Relation graphs, system diagrams and domain maps, laid out in the browser by ELK (the Eclipse Layout Kernel,
// elkjs from the npm registry, served by the portal). The server draws each graph too, for pages without
// scripts; this replaces that drawing with a layered layout whose edge labels never overlap, fitted to its card,
// with pan (drag), zoom (buttons, or Ctrl + wheel), a Fit button and a choice of direction.
(function () {
  "use strict";

  var ELK_SOURCE = "/static/vendor/elkjs/elk.bundled.js";
  var ICONS = "/static/kinds.svg";
  var KINDS = ["component", "api", "system", "domain", "resource", "group", "user", "location", "template"];
  var NODE_HEIGHT = 46, MIN_WIDTH = 130, MAX_WIDTH = 250, PADDING = 12, ICON = 16, MARGIN = 12;
  var MAX_HEIGHT = 760, MIN_HEIGHT = 160;
  var SVG = "http://www.w3.org/2000/svg";
  var elkLoading = null, elk = null, measurer = null;

  function loadElk() {
    if (elk) return Promise.resolve(elk);
    if (!elkLoading) {
      elkLoading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = ELK_SOURCE;
        script.onload = function () { elk = new window.ELK(); resolve(elk); };
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    return elkLoading;
  }

  function textWidth(text, font) {
    measurer = measurer || document.createElement("canvas").getContext("2d");
    measurer.font = font;
    return measurer.measureText(text).width;
  }

  function fitText(text, font, room) {
    if (textWidth(text, font) <= room) return text;
    var shown = text;
    while (shown.length > 1 && textWidth(shown + "…", font) > room) shown = shown.slice(0, -1);
    return shown + "…";
  }

  function make(name, attributes, parent) {
    var element = document.createElementNS(SVG, name);
    Object.keys(attributes || {}).forEach(function (key) { element.setAttribute(key, attributes[key]); });
    if (parent) parent.appendChild(element);
    return element;
  }

  function kindOf(node) {
    var kind = String(node.kind || "").toLowerCase();
    return KINDS.indexOf(kind) >= 0 ? kind : "other";
  }

  // Box sizes come from the text they hold, so names are not cut short when there is room.
  function boxes(data, fonts) {
    return data.nodes.map(function (node) {
      var kindLine = node.members ? node.kind.toLowerCase() + " · select to show" : node.kind.toLowerCase();
      var wanted = Math.max(textWidth(node.title, fonts.name), textWidth(kindLine, fonts.kind) + ICON + 6);
      var width = Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, Math.ceil(wanted) + 2 * PADDING));
      return {
        node: node,
        width: width,
        kindLine: kindLine,
        title: fitText(node.title, fonts.name, width - 2 * PADDING),
      };
    });
  }

  function elkGraph(data, sized, direction, fonts) {
    return {
      id: "graph",
      layoutOptions: {
        "elk.algorithm": "layered",
        "elk.direction": direction,
        "elk.edgeRouting": "ORTHOGONAL",
        "elk.edgeLabels.placement": "CENTER",
        "elk.spacing.nodeNode": "16",
        "elk.spacing.edgeLabel": "3",
        "elk.spacing.edgeEdge": "8",
        "elk.layered.spacing.nodeNodeBetweenLayers": "36",
        "elk.layered.spacing.edgeNodeBetweenLayers": "12",
        "elk.layered.nodePlacement.strategy": "NETWORK_SIMPLEX",
        "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
        // Edges into one box share its entry, so a team owning twelve things gets one arrow head, not twelve.
        "elk.layered.mergeEdges": "true",
      },
      children: sized.map(function (box) {
        return { id: box.node.id, width: box.width, height: NODE_HEIGHT };
      }),
      edges: data.edges.map(function (edge, index) {
        return {
          id: "e" + index,
          sources: [edge.source],
          targets: [edge.target],
          labels: [{ text: edge.type, width: Math.ceil(textWidth(edge.type, fonts.label)) + 6, height: 14 }],
        };
      }),
    };
  }

  function pathOf(section) {
    var points = [section.startPoint].concat(section.bendPoints || [], [section.endPoint]);
    return points.map(function (point, index) { return (index ? "L" : "M") + point.x + "," + point.y; }).join(" ");
  }

  function draw(svg, laid, sized, data) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var defs = make("defs", {}, svg);
    var marker = make("marker", {
      id: "arrow-" + svg.id, viewBox: "0 0 10 10", refX: "9", refY: "5",
      markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse",
    }, defs);
    make("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow-head" }, marker);
    var byId = {};
    sized.forEach(function (box) { byId[box.node.id] = box; });
    var edges = make("g", { class: "edges" }, svg);
    var labels = make("g", { class: "edge-labels" }, svg);
    laid.edges.forEach(function (edge, index) {
      var source = data.edges[index];
      (edge.sections || []).forEach(function (section) {
        var path = make("path", { class: "edge", d: pathOf(section), "marker-end": "url(#arrow-" + svg.id + ")" }, edges);
        make("title", {}, path).textContent = byId[source.source].node.title + " " + source.type + " " + byId[source.target].node.title;
      });
      (edge.labels || []).forEach(function (label) {
        var text = make("text", {
          class: "edge-label", x: label.x + label.width / 2, y: label.y + label.height - 3, "text-anchor": "middle",
        }, labels);
        text.textContent = label.text;
      });
    });
    laid.children.forEach(function (child) {
      var box = byId[child.id], node = box.node;
      var classes = "node kind-" + kindOf(node) + (node.root ? " root" : "") + (node.unknown ? " unknown" : "") +
        (node.members ? " collapsed" : "");
      var link = make("a", { href: node.href, class: classes, "data-ref": node.id }, svg);
      var tip = node.members ? node.members.map(function (m) { return m.title; }).join(", ") :
        node.id + (node.unknown ? " (not in the catalog)" : "");
      make("title", {}, link).textContent = tip;
      make("rect", { x: child.x, y: child.y, width: child.width, height: child.height, rx: 8 }, link);
      make("rect", { class: "stripe", x: child.x, y: child.y + 8, width: 4, height: child.height - 16, rx: 2 }, link);
      make("use", {
        href: ICONS + "#kind-" + kindOf(node), class: "node-icon",
        x: child.x + PADDING, y: child.y + 6, width: ICON - 4, height: ICON - 4,
      }, link);
      make("text", { x: child.x + PADDING + ICON, y: child.y + 16, class: "node-kind" }, link).textContent = box.kindLine;
      make("text", { x: child.x + PADDING, y: child.y + 35, class: "node-name" }, link).textContent = box.title;
    });
  }

  // The view box: the part of the drawing shown. Fit shows all of it; zoom and pan move it.
  function setView(state, view) {
    state.view = view;
    state.svg.setAttribute("viewBox", [view.x, view.y, view.width, view.height].join(" "));
  }

  function fit(state) {
    var width = state.bounds.width + 2 * MARGIN, height = state.bounds.height + 2 * MARGIN;
    var room = state.figure.clientWidth - 2;
    var scale = Math.min(1, room / width);
    state.svg.style.height = Math.max(MIN_HEIGHT, Math.min(MAX_HEIGHT, Math.ceil(height * scale))) + "px";
    setView(state, { x: -MARGIN, y: -MARGIN, width: width, height: height });
  }

  function toDrawing(state, clientX, clientY) {
    var point = state.svg.createSVGPoint();
    point.x = clientX;
    point.y = clientY;
    return point.matrixTransform(state.svg.getScreenCTM().inverse());
  }

  function zoom(state, factor, clientX, clientY) {
    var rect = state.svg.getBoundingClientRect();
    var centre = toDrawing(state, clientX === undefined ? rect.left + rect.width / 2 : clientX,
      clientY === undefined ? rect.top + rect.height / 2 : clientY);
    var view = state.view;
    setView(state, {
      x: centre.x - (centre.x - view.x) / factor,
      y: centre.y - (centre.y - view.y) / factor,
      width: view.width / factor,
      height: view.height / factor,
    });
  }

  function enablePanning(state) {
    var start = null;
    state.svg.addEventListener("pointerdown", function (event) {
      if (event.button !== 0 || event.target.closest("a")) return;
      start = { point: toDrawing(state, event.clientX, event.clientY), view: state.view };
      state.svg.setPointerCapture(event.pointerId);
      state.svg.classList.add("panning");
    });
    state.svg.addEventListener("pointermove", function (event) {
      if (!start) return;
      setView(state, start.view);
      var point = toDrawing(state, event.clientX, event.clientY);
      setView(state, {
        x: start.view.x - (point.x - start.point.x), y: start.view.y - (point.y - start.point.y),
        width: start.view.width, height: start.view.height,
      });
    });
    ["pointerup", "pointercancel"].forEach(function (type) {
      state.svg.addEventListener(type, function () { start = null; state.svg.classList.remove("panning"); });
    });
    // A plain wheel scrolls the page as everywhere else; Ctrl + wheel (and a touchpad's pinch) zooms.
    state.svg.addEventListener("wheel", function (event) {
      if (!event.ctrlKey && !event.metaKey) return;
      event.preventDefault();
      zoom(state, event.deltaY < 0 ? 1.15 : 1 / 1.15, event.clientX, event.clientY);
    }, { passive: false });
  }

  function toolbar(state) {
    var bar = document.createElement("div");
    bar.className = "graph-toolbar";
    bar.innerHTML =
      '<button type="button" data-act="fit" title="Show the whole graph">Fit</button>' +
      '<button type="button" data-act="in" aria-label="Zoom in" title="Zoom in (or Ctrl + wheel)">+</button>' +
      '<button type="button" data-act="out" aria-label="Zoom out" title="Zoom out">−</button>' +
      '<label>Direction <select data-act="direction">' +
      '<option value="RIGHT">Left to right</option><option value="DOWN">Top to bottom</option></select></label>';
    var select = bar.querySelector("select");
    select.value = state.direction;
    bar.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) return;
      var act = button.getAttribute("data-act");
      if (act === "fit") fit(state);
      if (act === "in") zoom(state, 1.25);
      if (act === "out") zoom(state, 1 / 1.25);
    });
    select.addEventListener("change", function () {
      state.direction = select.value;
      try { localStorage.setItem("callboard-graph-direction", state.direction); } catch (e) { /* storage off */ }
      layOut(state);
    });
    return bar;
  }

  // A box standing for several entities opens into them in place (without scripts it links to a page that does).
  function expand(state, id) {
    var data = state.data, group = null;
    data.nodes = data.nodes.filter(function (node) {
      if (node.id !== id) return true;
      group = node;
      return false;
    });
    if (!group) return;
    var edges = [];
    data.edges.forEach(function (edge) {
      if (edge.source !== id && edge.target !== id) { edges.push(edge); return; }
      group.members.forEach(function (member) {
        data.nodes.push(member);
        edges.push({
          source: edge.source === id ? member.id : edge.source,
          target: edge.target === id ? member.id : edge.target,
          type: edge.type,
        });
      });
    });
    data.edges = edges;
    layOut(state);
  }

  function layOut(state) {
    var style = getComputedStyle(state.figure);
    var family = style.fontFamily;
    var fonts = { name: "600 13px " + family, kind: "11px " + family, label: "11px " + family };
    var sized = boxes(state.data, fonts);
    return loadElk().then(function (engine) {
      return engine.layout(elkGraph(state.data, sized, state.direction, fonts));
    }).then(function (laid) {
      state.bounds = { width: laid.width, height: laid.height };
      draw(state.svg, laid, sized, state.data);
      fit(state);
      state.figure.classList.add("laid-out");
      state.figure.dispatchEvent(new CustomEvent("graph:laid-out", { bubbles: true }));
    }).catch(function (error) {
      // The server's drawing stays: it is the same graph, only less tidy.
      state.figure.classList.remove("laid-out");
      if (window.console) console.warn("Graph layout failed; showing the server's drawing.", error);
    });
  }

  var count = 0;

  function start(figure) {
    if (figure.graphState) return;
    var source = figure.querySelector("script.graph-data");
    if (!source) return;
    var direction = "RIGHT";
    try { direction = localStorage.getItem("callboard-graph-direction") || direction; } catch (e) { /* off */ }
    var label = (figure.querySelector("svg.graph-static") || figure).getAttribute("aria-label") || "Relations";
    var svg = make("svg", { class: "graph-canvas", role: "img", "aria-label": label, id: "graph-" + (++count) });
    figure.insertBefore(svg, figure.firstChild);
    var state = { figure: figure, svg: svg, data: JSON.parse(source.textContent), direction: direction };
    figure.graphState = state;
    figure.insertBefore(toolbar(state), svg);
    enablePanning(state);
    svg.addEventListener("click", function (event) {
      var link = event.target.closest("a.node.collapsed");
      if (!link) return;
      event.preventDefault();
      expand(state, link.getAttribute("data-ref"));
    });
    layOut(state);
  }

  // On the Dependencies tab, changing depth or relation types redraws the graph without a Draw button.
  function liveControls(root) {
    root.querySelectorAll("form.graph-controls").forEach(function (form) {
      if (form.liveControls) return;
      form.liveControls = true;
      var button = form.querySelector("button[type=submit]");
      if (button) button.hidden = true;
      form.addEventListener("change", function () {
        var query = new URLSearchParams(new FormData(form)).toString();
        var url = form.action + (query ? "?" + query : "");
        fetch(url, { credentials: "same-origin" }).then(function (response) {
          if (!response.ok) throw new Error(response.status + " " + response.statusText);
          return response.text();
        }).then(function (html) {
          var page = new DOMParser().parseFromString(html, "text/html");
          var fresh = page.querySelector("figure.graph"), old = document.querySelector("figure.graph");
          if (!fresh || !old) return;
          old.replaceWith(fresh);
          var summary = page.querySelector(".graph-summary"), oldSummary = document.querySelector(".graph-summary");
          if (summary && oldSummary) oldSummary.replaceWith(summary);
          history.replaceState(null, "", url);
          start(fresh);
        }).catch(function (error) {
          if (button) button.hidden = false;  // fall back to the Draw button, which reloads the page
          if (window.console) console.warn("Could not redraw the graph.", error);
        });
      });
    });
  }

  function startAll(root) {
    root.querySelectorAll("figure.graph[data-graph]").forEach(start);
    liveControls(root);
  }

  document.addEventListener("DOMContentLoaded", function () { startAll(document); });
  document.addEventListener("htmx:afterSwap", function (event) { startAll(event.target); });
})();
