// Copy buttons of LINE clipboard actions. Without JavaScript the text stays visible beside its
// hidden button; with it, the buttons appear and copy their text. One listener serves the messages
// already on the page and those added later.
const reveal = (root) => {
  for (const button of root.querySelectorAll("button.copy-button[data-copy][hidden]")) button.hidden = false;
};

// A module runs once per page however many messages include it.
if (navigator.clipboard) {
  reveal(document);
  new MutationObserver(() => reveal(document)).observe(document.body, { childList: true, subtree: true });
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    try {
      await navigator.clipboard.writeText(button.dataset.copy);
      const label = button.textContent;
      if (button.classList.contains("copy-button")) {
        button.textContent = "Copied";
        setTimeout(() => { button.textContent = label; }, 1500);
      }
    } catch {
      // The browser refused (no permission or not a secure context): the text is still on screen.
    }
  });
}
