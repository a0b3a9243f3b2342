// The deployments matrix and the fleet stay current: their fragment is fetched every few seconds and swapped in
// when it changed (a watch in the cluster shows a rollout here within seconds).
(function () {
  const find = () => document.getElementById("deployments-live");
  const first = find();
  if (!first) return;
  const every = Number(first.dataset.every || 3000);
  let last = first.outerHTML;
  async function refresh() {
    const current = find();
    if (!current || document.hidden) return;
    try {
      const response = await fetch(current.dataset.fragment, { headers: { Accept: "text/html" } });
      if (!response.ok) throw new Error(String(response.status));
      const html = (await response.text()).trim();
      if (html !== last) { current.outerHTML = html; last = html; }
      const status = find().querySelector(".live-status");
      if (status) status.textContent = "live · checked " + new Date().toLocaleTimeString();
    } catch (error) {
      const status = current.querySelector(".live-status");
      if (status) status.textContent = "reconnecting…";
    }
  }
  setInterval(refresh, every);
})();
