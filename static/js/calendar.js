// The launch calendar. Progressive enhancement only: the page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // The feed address: a Copy button (the address box stays selectable without JavaScript).
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const box = document.querySelector(button.dataset.copy);
    const status = button.closest(".field")?.querySelector(".cal-copy-status");
    if (!box) continue;
    button.hidden = false;
    box.addEventListener("focus", () => box.select());
    button.addEventListener("click", async () => {
      box.select();
      try {
        await navigator.clipboard.writeText(box.value);
        if (status) status.textContent = "Copied. Paste it into your calendar app.";
      } catch (e) {
        if (status) status.textContent = "Press Ctrl+C (⌘C on a Mac) to copy the selected address.";
      }
    });
  }
});
