// The interactive OpenAPI viewer (Swagger UI from the npm registry, served by the portal itself).
// "Try it out" is off: requests from a portal page would carry the reader's session to arbitrary servers.
(function () {
  "use strict";
  function start() {
    var host = document.querySelector("[data-openapi]");
    if (!host || typeof window.SwaggerUIBundle !== "function") return;
    var documentNode = document.querySelector(host.getAttribute("data-openapi"));
    var spec = JSON.parse(documentNode.textContent);
    host.innerHTML = "";
    window.SwaggerUIBundle({
      spec: spec,
      domNode: host,
      deepLinking: false,
      supportedSubmitMethods: [],
      validatorUrl: null,
      defaultModelsExpandDepth: 0
    });
    // Swagger UI leaves some of its pickers (servers, media types) without an accessible name.
    var label = function () {
      host.querySelectorAll("select:not([aria-label])").forEach(function (select) {
        select.setAttribute("aria-label", select.id === "servers" ? "Server" : "Choice");
      });
    };
    label();
    new MutationObserver(label).observe(host, { childList: true, subtree: true });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
