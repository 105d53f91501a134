// A group's page, live. Without this file it is a plain page; with it, a "group" notice for this
// group fetches its latest posts as server-rendered HTML (the page's own renderer) and appends
// those not shown yet.
import { listen } from "./notices.js";

const log = document.querySelector("[data-live=group]");
if (log) start(log);

function start(log) {
  let busy = null;
  let again = false;

  async function fetchPosts() {
    if (busy) { again = true; return busy; }
    busy = (async () => {
      do {
        again = false;
        const response = await fetch(log.dataset.postsUrl, { credentials: "same-origin" });
        if (!response.ok) break;
        const template = document.createElement("template");
        template.innerHTML = await response.text();
        const shown = new Set([...log.querySelectorAll(".msg[data-message-id]")].map((m) => m.dataset.messageId));
        const fresh = [...template.content.querySelectorAll(".msg[data-message-id]")]
          .filter((m) => !shown.has(m.dataset.messageId));
        if (!fresh.length) continue;
        log.querySelector(".chat-empty")?.remove();
        log.append(...fresh);
        fresh[fresh.length - 1].scrollIntoView({ block: "nearest" });
      } while (again);
    })().catch(() => {}).finally(() => { busy = null; });
    return busy;
  }

  listen((notice) => {
    if (notice.type === "group" && notice.groupId === log.dataset.groupId) fetchPosts();
  }, fetchPosts);
}
