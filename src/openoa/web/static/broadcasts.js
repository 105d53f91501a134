// Recent broadcasts: while any is on its way, ask the page's JSON twin once a second how far each
// has got and move its bar. The server's numbers are the truth; nothing is guessed here, and the
// polling stops once every broadcast has finished (or the tab is hidden).
const table = document.getElementById("broadcasts");
const labels = { waiting: "Waiting", sending: "Sending", succeeded: "Sent", failed: "Failed" };
const number = new Intl.NumberFormat("en");

function update(row, b) {
  const bar = row.querySelector("progress");
  const counts = `${number.format(b.success_count)} of ${number.format(b.target_count)}`;
  if (b.status === "waiting") {
    bar.removeAttribute("value");
  } else {
    bar.max = Math.max(b.target_count, 1);
    bar.value = b.success_count;
  }
  bar.setAttribute("aria-label", `Delivered to ${counts}`);
  row.querySelector("[data-status]").textContent = labels[b.status] || b.status;
  row.querySelector("[data-counts]").textContent = counts;
  row.toggleAttribute("data-in-flight", b.in_flight);
}

async function poll() {
  if (!table.querySelector("tr[data-in-flight]")) return;
  if (!document.hidden) {
    try {
      const answer = await fetch(table.dataset.progressUrl, { headers: { Accept: "application/json" } });
      if (answer.ok) {
        const { recent } = await answer.json();
        for (const b of recent) {
          const row = table.querySelector(`tr[data-request-id="${CSS.escape(b.request_id)}"]`);
          if (row) update(row, b);
        }
      }
    } catch { /* the network blinked: the next tick asks again */ }
  }
  setTimeout(poll, 1000);
}

if (table) setTimeout(poll, 1000);
