// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  const override = document.querySelector("#id_override");
  const gate = document.querySelector(".gate-errors");
  const overrideField = override && override.closest(".field, p");
  if (overrideField && gate) overrideField.classList.add("attention");

  // After a refused submit, start where the first problem is.
  const invalid = document.querySelector("main .has-errors input, main .has-errors select, main .has-errors textarea");
  if (invalid) invalid.focus();

  // Destructive one-click buttons ask first (the server still does the work without JavaScript).
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }

  // The portfolio switcher is a GET form with a Go button; with JavaScript, choosing goes straight there.
  const switcher = document.querySelector("form.switcher");
  if (switcher) {
    const select = switcher.querySelector("select");
    const go = switcher.querySelector(".switcher-go");
    if (go) go.hidden = true;
    if (select) select.addEventListener("change", () => switcher.submit());
  }
});

// Time zone select: a filter box narrows the (long, grouped) list; a new portfolio starts in the
// browser's own zone. Without JavaScript the select still works (type to jump, as in any select).
document.addEventListener("DOMContentLoaded", () => {
  const select = document.querySelector("select.zone-select");
  if (!select) return;
  if (select.dataset.browserDefault === "true" && !select.form.querySelector(".errorlist")) {
    try {
      const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (zone && select.querySelector(`option[value="${CSS.escape(zone)}"]`)) select.value = zone;
    } catch (e) { /* keep the server's default */ }
  }
  const box = document.querySelector(".zone-field");
  const filter = box && box.querySelector(".zone-filter");
  if (!filter) return;
  box.hidden = false;
  filter.addEventListener("input", () => {
    const words = filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    let first = null;
    for (const option of select.options) {
      const text = (option.value + " " + option.textContent).toLowerCase().replace(/_/g, " ");
      const match = words.every((w) => text.includes(w));
      option.hidden = !match;
      if (match && !first) first = option;
    }
    for (const group of select.querySelectorAll("optgroup")) {
      group.hidden = ![...group.children].some((o) => !o.hidden);
    }
    if (first && words.length) select.value = first.value;
  });
});

// An import's page follows its progress (GET /api/v1/imports/{id}/) until it is done or failed, then
// reloads once to show the result: every second while the tab is seen, every 5 s while it is hidden.
// Without JavaScript the page shows the state when it was loaded.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector(".import-progress[data-import-url]");
  if (!box || box.dataset.finished === "true") return;
  const field = (name) => box.querySelector(`[data-field="${name}"]`);
  const labels = { queued: "Queued", validating: "Checking rows", importing: "Importing", done: "Done", failed: "Failed" };
  const hints = {
    queued: "Waiting for a worker to start on this file.",
    validating: "A worker is checking every row before anything is written.",
    importing: "All rows checked; writing them and updating the rollups…",
  };
  const after = " This page updates by itself; you can leave it and come back.";
  let last = "", still = 0;
  const poll = async () => {
    try {
      const response = await fetch(box.dataset.importUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        const data = await response.json();
        if (data.status === "done" || data.status === "failed") {
          window.location.reload();
          return;
        }
        const status = field("status");
        status.textContent = labels[data.status] || data.status;
        status.className = `status status-${data.status}`;
        const bar = field("progress");
        if (bar) {
          if (data.status === "importing") bar.removeAttribute("value"); // moving, without a figure
          else bar.value = data.percent;
        }
        for (const name of ["processed", "total", "created", "updated"]) {
          const cell = field(name);
          if (cell) cell.textContent = Number(data[name]).toLocaleString("en");
        }
        const percent = field("percent");
        if (percent) percent.textContent = data.percent;
        const now = `${data.status}:${data.processed}`;
        still = now === last ? still + 1 : 0;
        last = now;
        const hint = field("hint");
        if (hint) {
          const stalled = still > 60 ? ` No progress for ${Math.round(still / 60)} min: a stalled import is handed to a worker again within minutes.` : "";
          hint.textContent = (hints[data.status] || "") + stalled + after;
        }
      }
    } catch (e) { /* the network hiccuped: try again */ }
    window.setTimeout(poll, document.hidden ? 5000 : 1000);
  };
  window.setTimeout(poll, 500);
});
