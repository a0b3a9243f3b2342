// The Changes page stays current: each change the server streams reloads the list and the picture.
(function () {
  const status = document.querySelector(".live-status");
  const region = () => document.getElementById("changes-live");
  if (!status || !window.EventSource) return;
  let pending = false;
  async function refresh() {
    pending = false;
    const current = region();
    if (!current) return;
    const response = await fetch(current.dataset.fragment, { headers: { Accept: "text/html" } });
    if (response.ok) current.outerHTML = await response.text();
  }
  const source = new EventSource(status.dataset.stream);
  source.addEventListener("open", () => { status.textContent = "live"; });
  source.addEventListener("error", () => { status.textContent = "reconnecting…"; });
  source.addEventListener("change", () => {
    status.textContent = "live · updated " + new Date().toLocaleTimeString();
    if (!pending) { pending = true; setTimeout(refresh, 200); }
  });
})();
