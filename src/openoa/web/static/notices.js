// The Chat app's notice socket (/app/ws), shared by the pages that update live (chat.js,
// groups.js). A notice only says "this changed, fetch"; the page asks the server for the rest.
// The socket reconnects with growing pauses, and every (re)connection calls onOpen so the page
// catches up on whatever it missed while it was away.
export function listen(onNotice, onOpen = () => {}) {
  let pause = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}/app/ws`);
    socket.addEventListener("open", () => { pause = 1000; onOpen(); });
    socket.addEventListener("message", (event) => {
      let notice;
      try { notice = JSON.parse(event.data); } catch { return; }
      if (notice && typeof notice.type === "string") onNotice(notice);
    });
    socket.addEventListener("close", () => {
      setTimeout(connect, pause + Math.random() * 500);
      pause = Math.min(pause * 2, 30000);
    });
  }
  connect();
}
