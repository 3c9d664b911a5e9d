// Launch pages (templates/gtm/launch_plan.html, launch_template_form.html). Progressive enhancement only:
// every form here posts and works without this file.
(() => {
  "use strict";

  document.documentElement.classList.add("js-launches");

  const announce = (text) => {
    const region = document.getElementById("launch-announce");
    if (!region || !text) return;
    region.textContent = "";
    window.setTimeout(() => { region.textContent = text; }, 60);
  };

  // A task's status select saves as soon as it changes (through htmx, on the form's hx-post), except
  // "Blocked", which first asks what blocks it: the reason box shows (CSS) and takes the focus.
  document.addEventListener("change", (event) => {
    const select = event.target;
    if (!select.matches || !select.matches(".status-form select[name=status]")) return;
    const form = select.form;
    if (select.value === "blocked") {
      const reason = form.querySelector("input[name=blocked_reason]");
      if (reason) reason.focus();
      return;
    }
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  });

  // A refused change (blocked without a reason: 400) answers with the checklist showing the message on
  // the task's row: swap it in like a success.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const target = event.detail.target;
    if (!target || target.id !== "checklist") return;
    if (event.detail.xhr.status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:afterSwap", (event) => {
    const target = event.detail.target;
    if (!target || target.id !== "checklist") return;
    const invalid = document.querySelector("#checklist .status-form.has-errors input[name=blocked_reason]");
    if (invalid) invalid.focus();
  });
  document.addEventListener("htmx:responseError", (event) => {
    const status = event.detail.xhr.status;
    if (status === 400) return;
    const text = status === 403 ? "Your role cannot change launch tasks." : `the server answered ${status}`;
    announce(`Not saved: ${text}. Reload the page to see the checklist as saved.`);
  });
  document.addEventListener("htmx:sendError", () => announce("Not saved: the server cannot be reached. Try again."));

  // A checklist template's form: "Add a row" copies the formset's empty row (without JavaScript, "Save
  // and add more rows" gives three new blank rows).
  document.addEventListener("DOMContentLoaded", () => {
    const button = document.querySelector(".template-tasks .add-row");
    const rows = document.getElementById("task-rows");
    const blank = document.getElementById("task-row-template");
    const total = document.querySelector("input[name=tasks-TOTAL_FORMS]");
    if (!button || !rows || !blank || !total) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      const index = Number(total.value);
      const row = blank.content.firstElementChild.cloneNode(true);
      for (const element of row.querySelectorAll("[name], [id], [for]")) {
        for (const name of ["name", "id", "for"]) {
          const value = element.getAttribute(name);
          if (value) element.setAttribute(name, value.replace("__prefix__", String(index)));
        }
      }
      rows.appendChild(row);
      total.value = String(index + 1);
      const first = row.querySelector("input[type=text]");
      if (first) first.focus();
    });
  });
})();
