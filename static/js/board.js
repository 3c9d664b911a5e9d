// The roadmap board (templates/roadmap/board.html): drag a card within or between columns, or move a
// focused card with Alt+arrow keys. Every move is the POST the card's own buttons send without
// JavaScript (`horizon` and `before`: the card it goes before, empty for the end of the column); the
// server saves it and answers with the re-rendered board (or, on the portfolio board, the product's
// lane), which replaces the old one. Moves go one at a time, in the order they were made.
(() => {
  "use strict";

  const KEYS = { ArrowUp: "up", ArrowDown: "down", ArrowLeft: "left", ArrowRight: "right" };
  let queue = Promise.resolve();
  let dragged = null;
  let indicator = null;

  const csrfToken = () => {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  };

  const announce = (text) => {
    const region = document.getElementById("rm-live");
    if (!region || !text) return;
    region.textContent = "";
    window.setTimeout(() => { region.textContent = text; }, 60);
  };

  const cardById = (id) => document.getElementById(`card-${id}`);

  // Send one move; resolves once the answer is swapped in. `focus`: "card", a button's direction, or "".
  const send = (card, horizon, before, focus) => {
    const container = card.closest("[data-board]");
    if (!container || !window.htmx) return Promise.resolve();
    const id = card.dataset.itemId;
    const containerId = container.id;
    container.setAttribute("aria-busy", "true");
    return window.htmx
      .ajax("POST", card.dataset.moveUrl + window.location.search, {
        target: container,
        swap: "outerHTML",
        values: { horizon, before: before || "", board: container.dataset.board },
        headers: { "X-CSRFToken": csrfToken() },
      })
      .then(() => {
        const fresh = document.getElementById(containerId);
        if (fresh) fresh.removeAttribute("aria-busy");
        if (fresh && fresh.dataset.announce) announce(fresh.dataset.announce);
        const moved = cardById(id);
        if (!moved || !focus) return;
        const button = focus !== "card" && moved.querySelector(`button[data-move="${focus}"]`);
        (button || moved).focus();
      });
  };

  const enqueue = (work) => {
    queue = queue.then(work).catch(() => {});
    return queue;
  };

  // A card's one-step move (the values of its own button): up, down, left, right.
  const step = (id, direction, focus) =>
    enqueue(() => {
      const card = cardById(id);
      if (!card) return undefined;
      const button = card.querySelector(`button[data-move="${direction}"]`);
      if (!button) {
        const where = { up: "at the top of its column", down: "at the bottom of its column",
          left: "in the first column", right: "in the last column" }[direction];
        announce(`“${card.dataset.title}” is already ${where}.`);
        return undefined;
      }
      const [horizon, before] = button.value.split(":");
      return send(card, horizon, before, focus);
    });

  // --- keyboard: Alt+arrow on a focused card (or anything inside it) ---------------------------------
  document.addEventListener("keydown", (event) => {
    const direction = KEYS[event.key];
    if (!direction || !event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const card = event.target.closest && event.target.closest(".rm-card[data-move-url]");
    if (!card) return;
    event.preventDefault(); // Alt+← is also the browser's Back
    step(card.dataset.itemId, direction, "card");
  });

  // The card's buttons: with JavaScript, the same move without a page load, focus kept where it was.
  document.addEventListener("submit", (event) => {
    const form = event.target.closest && event.target.closest("form.rm-move");
    const button = event.submitter;
    if (!form || !button || !button.dataset.move || !window.htmx) return;
    event.preventDefault();
    step(form.closest(".rm-card").dataset.itemId, button.dataset.move, button.dataset.move);
  });

  // Refusals: a stale board (409) still shows the latest order; anything else is said, and nothing moved.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    if (!target || !target.matches || !target.matches("[data-board]")) return;
    if (event.detail.xhr.status === 409) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:responseError", (event) => {
    const target = event.detail.target;
    if (!target || !target.matches || !target.matches("[data-board]")) return;
    target.removeAttribute("aria-busy");
    const status = event.detail.xhr.status;
    const text = status === 403 ? "Your role cannot move roadmap items." : (event.detail.xhr.responseText || "").slice(0, 200);
    announce(`Not moved: ${text || `the server answered ${status}`}. Reload the page to see the board as saved.`);
  });
  document.addEventListener("htmx:sendError", () => announce("Not moved: the server cannot be reached. Reload and try again."));

  // --- drag and drop ----------------------------------------------------------------------------------
  const dropIndicator = () => {
    if (!indicator) {
      indicator = document.createElement("li");
      indicator.className = "rm-drop-indicator";
      indicator.setAttribute("aria-hidden", "true");
    }
    return indicator;
  };

  const clearDrag = () => {
    if (dragged) dragged.classList.remove("is-dragging");
    if (indicator) indicator.remove();
    for (const column of document.querySelectorAll(".rm-column.is-drop-target")) column.classList.remove("is-drop-target");
    dragged = null;
  };

  // The first card whose middle is below the pointer: the drop goes before it (null: the end).
  const cardBelow = (list, y) => {
    for (const card of list.querySelectorAll(":scope > .rm-card")) {
      if (card === dragged) continue;
      const box = card.getBoundingClientRect();
      if (y < box.top + box.height / 2) return card;
    }
    return null;
  };

  const nextCard = (node) => {
    let next = node.nextElementSibling;
    while (next && (next === dragged || !next.classList.contains("rm-card"))) next = next.nextElementSibling;
    return next;
  };

  document.addEventListener("dragstart", (event) => {
    const card = event.target.closest && event.target.closest(".rm-card[draggable=true]");
    if (!card) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.title || card.dataset.itemId);
    window.requestAnimationFrame(() => card.classList.add("is-dragging"));
  });

  document.addEventListener("dragover", (event) => {
    if (!dragged) return;
    const column = event.target.closest && event.target.closest(".rm-column");
    // Ranks are per product: a card moves only within its own product's columns.
    if (!column || column.dataset.productId !== dragged.dataset.productId) {
      if (indicator) indicator.remove();
      return;
    }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    for (const other of document.querySelectorAll(".rm-column.is-drop-target")) {
      if (other !== column) other.classList.remove("is-drop-target");
    }
    column.classList.add("is-drop-target");
    const list = column.querySelector(".rm-cards");
    const below = cardBelow(list, event.clientY);
    const mark = dropIndicator();
    if (below) {
      if (mark.nextElementSibling !== below || mark.parentNode !== list) list.insertBefore(mark, below);
    } else if (mark.parentNode !== list || mark.nextElementSibling) {
      list.appendChild(mark);
    }
  });

  document.addEventListener("drop", (event) => {
    if (!dragged || !indicator || !indicator.parentNode) return;
    event.preventDefault();
    const card = dragged;
    const list = indicator.parentNode;
    const column = list.closest(".rm-column");
    const next = nextCard(indicator);
    const unmoved = card.parentNode === list && nextCard(card) === next;
    list.insertBefore(card, indicator); // show it where it was dropped while the move is saved
    clearDrag();
    if (unmoved) return;
    const horizon = column.dataset.horizon;
    const before = next ? next.dataset.itemId : "";
    enqueue(() => send(card, horizon, before, ""));
  });

  document.addEventListener("dragend", clearDrag);

  // --- filters: a choice applies at once (the Apply button stays for use without JavaScript) ---------
  document.addEventListener("change", (event) => {
    const form = event.target.closest && event.target.closest("form.rm-filters");
    if (form) form.requestSubmit();
  });
})();
