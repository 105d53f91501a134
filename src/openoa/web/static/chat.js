// Live chats in the Chat app. The pages work without this file; with it:
// - a WebSocket (/app/ws, notices.js) says when an account's messages changed; the open chat fetches
//   the new items as server-rendered HTML (…/items?after=<cursor>) and appends them, the inbox
//   refreshes its list, and a message in another chat is announced in the page (and as a
//   notification when the person allowed them), with the same preview text as push notifications
//   (R-MSG-06);
// - the account's loading animation ("… is typing") shows on a "loading" notice until its end or
//   until the account's next message arrives;
// - on a "read" notice the "Read" marks of the person's messages are refreshed from the same
//   server-rendered items;
// - the chat's forms are sent in the background, so the page (and its socket) stays put.
import { listen } from "./notices.js";

const root = document.querySelector("[data-live]");
if (root) start(root);

function start(root) {
  const isChat = root.dataset.live === "chat";
  const accountId = Number(root.dataset.accountId || 0);
  const log = document.getElementById("chat-log");
  const notice = document.getElementById("chat-notice");
  let after = root.dataset.after || "";
  let busy = null;
  let again = false;

  // The newest messages sit just above the composer: bring both into view.
  const scrollToEnd = () => document.getElementById("composer")?.scrollIntoView({ block: "end" });
  const typing = isChat ? typingIndicator(root, scrollToEnd) : null;

  async function fetchItems() {
    if (!isChat) return refreshInbox();
    if (busy) { again = true; return busy; }
    busy = (async () => {
      do {
        again = false;
        const url = `${root.dataset.itemsUrl}?after=${encodeURIComponent(after)}`;
        const response = await fetch(url, { credentials: "same-origin" });
        if (!response.ok) break;
        const template = document.createElement("template");
        template.innerHTML = await response.text();
        const entries = [...template.content.querySelectorAll(".chat-entry")];
        if (!entries.length) continue;
        log.querySelector(".chat-empty")?.remove();
        // Quick replies belong to the newest message only.
        for (const old of log.querySelectorAll(".quick-replies")) old.remove();
        log.append(...entries);
        after = entries[entries.length - 1].dataset.cursor;
        // The account answered: its loading animation ends, as on LINE.
        if (entries.some((entry) => entry.classList.contains("chat-entry-out"))) typing?.hide();
        scrollToEnd();
      } while (again);
    })().catch(() => {}).finally(() => { busy = null; });
    return busy;
  }

  async function refreshInbox() {
    const response = await fetch(location.href, { credentials: "same-origin" });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("inbox-list");
    const list = document.getElementById("inbox-list");
    if (fresh && list) list.replaceWith(fresh);
  }

  async function announce(otherAccountId) {
    const response = await fetch("/app/api/chats", { credentials: "same-origin" });
    if (!response.ok) return;
    const chat = (await response.json()).find((c) => c.account_id === otherAccountId);
    if (!chat || !chat.last_message || chat.last_from_me) return;
    const text = `${chat.display_name}: ${chat.last_message}`;
    if (notice) notice.textContent = `New message from ${text}`;
    if ("Notification" in window && Notification.permission === "granted" && document.hidden) {
      const shown = new Notification(chat.display_name, { body: chat.last_message, tag: `chat-${otherAccountId}` });
      shown.onclick = () => { window.focus(); location.href = `/app/chats/${chat.basic_id}`; };
    }
  }

  // The "Read" marks come from the server's renderer too: fetch the items from just before the
  // first of the person's messages not yet read, and take each one's meta line (time, "Read").
  async function refreshReadMarks() {
    const entries = [...log.querySelectorAll(".chat-entry")];
    const first = entries.findIndex((entry) => entry.classList.contains("chat-entry-in")
      && !entry.querySelector(".msg-is-unsent, .msg-read"));
    if (first < 0) return;
    const query = first > 0 ? `?after=${encodeURIComponent(entries[first - 1].dataset.cursor)}` : "";
    const response = await fetch(`${root.dataset.itemsUrl}${query}`, { credentials: "same-origin" });
    if (!response.ok) return;
    const template = document.createElement("template");
    template.innerHTML = await response.text();
    const fresh = new Map();
    for (const entry of template.content.querySelectorAll(".chat-entry-in")) fresh.set(entry.dataset.cursor, entry);
    for (const entry of entries.slice(first)) {
      const meta = fresh.get(entry.dataset.cursor)?.querySelector(".msg-meta");
      const old = entry.querySelector(".msg-meta");
      if (meta && old && meta.querySelector(".msg-read") && !old.querySelector(".msg-read")) old.replaceWith(meta);
    }
  }

  listen((data) => {
    if (isChat && data.accountId === accountId) {
      if (data.type === "messages") fetchItems();
      else if (data.type === "loading") typing.show(data.until);
      else if (data.type === "read") refreshReadMarks().catch(() => {});
    } else if (data.type === "messages") {
      if (!isChat) fetchItems();
      announce(data.accountId);
    }
  }, () => { fetchItems(); if (isChat) refreshReadMarks().catch(() => {}); });

  if (isChat) {
    enhanceForms(root, fetchItems);
    measureDurations(root);
    offerNotifications();
    scrollToEnd();
  }
}

// The account's loading animation. Its end is the server's time: the page carries the server's
// clock at rendering (data-now), so a phone whose clock is off still hides it on time.
function typingIndicator(root, onShow) {
  const element = document.getElementById("chat-typing");
  const skew = root.dataset.now ? Date.parse(root.dataset.now) - Date.now() : 0;
  let timer = null;
  const hide = () => {
    clearTimeout(timer);
    if (element) element.hidden = true;
  };
  const show = (until) => {
    const left = Date.parse(until) - (Date.now() + (Number.isFinite(skew) ? skew : 0));
    clearTimeout(timer);
    if (!element || !(left > 0)) return hide();
    element.hidden = false;
    // LINE shows it for at most 60 seconds, whatever a bad clock says.
    timer = setTimeout(hide, Math.min(left, 60000));
    onShow();
  };
  if (root.dataset.typingUntil) show(root.dataset.typingUntil);
  return { show, hide };
}

// Chat forms go in the background; a refused one is sent again the plain way, so the server's
// page shows the message next to the field.
function enhanceForms(root, fetchItems) {
  root.addEventListener("submit", async (event) => {
    const form = event.target;
    if (form.dataset.plain || (form.method || "").toLowerCase() !== "post") return;
    event.preventDefault();
    const submitter = event.submitter;
    const body = new FormData(form, submitter);
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST", body, credentials: "same-origin", headers: { "X-Requested-With": "fetch" },
      });
    } catch {
      response = null;
    }
    if (response && response.status === 204) {
      if (form.closest("#composer")) form.reset();
      form.closest("details")?.removeAttribute("open");
      fetchItems();
      return;
    }
    form.dataset.plain = "1";
    form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
  });
}

// Videos and audio carry their length to the bot (LINE's "duration", ms) when the browser can tell.
function measureDurations(root) {
  const input = root.querySelector("#composer-attach input[type=file]");
  const duration = root.querySelector("#composer-attach input[name=duration]");
  if (!input || !duration) return;
  input.addEventListener("change", () => {
    duration.value = "";
    const file = input.files && input.files[0];
    if (!file || !/^(video|audio)\//.test(file.type)) return;
    const media = document.createElement(file.type.startsWith("video/") ? "video" : "audio");
    const url = URL.createObjectURL(file);
    media.preload = "metadata";
    media.addEventListener("loadedmetadata", () => {
      if (Number.isFinite(media.duration)) duration.value = String(Math.round(media.duration * 1000));
      URL.revokeObjectURL(url);
    });
    media.src = url;
  });
}

function offerNotifications() {
  const button = document.getElementById("enable-notifications");
  if (!button || !("Notification" in window) || Notification.permission !== "default") return;
  button.closest(".chat-alerts").hidden = false;
  button.addEventListener("click", async () => {
    await Notification.requestPermission();
    button.closest(".chat-alerts").hidden = true;
  });
}
