// The rule form (templates/products/rule_form.html). Progressive enhancement only: without this file a
// person picks a condition type and presses "Show its fields"; with it, the change does that by itself.
(() => {
  "use strict";

  document.querySelectorAll(".rule-form .refresh").forEach((button) => { button.hidden = true; });

  document.addEventListener("change", (event) => {
    const select = event.target;
    if (!select.matches || !select.matches(".rule-form select[data-refresh]")) return;
    const button = select.closest(".condition-choice")?.querySelector("button.refresh");
    if (!button) return;
    if (select.form.requestSubmit) select.form.requestSubmit(button);
    else button.click();
  });

  // Back from a refresh: the select that was changed gets the focus again (the URL names its fieldset).
  // After "load": the browser's own move to the URL's fragment would otherwise take the focus away.
  window.addEventListener("load", () => {
    const target = window.location.hash && document.getElementById(window.location.hash.slice(1));
    const select = target && (target.matches("select") ? target : target.querySelector("select[data-refresh]"));
    if (select) window.setTimeout(() => select.focus(), 0);
  });
})();
