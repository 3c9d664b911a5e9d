// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  const override = document.querySelector("#id_override");
  const gate = document.querySelector(".gate-errors");
  if (override && gate) override.closest("p").classList.add("attention");

  // The portfolio switcher is a GET form with a Go button; with JavaScript, choosing goes straight there.
  const switcher = document.querySelector("form.switcher");
  if (switcher) {
    const select = switcher.querySelector("select");
    const go = switcher.querySelector(".switcher-go");
    if (go) go.hidden = true;
    if (select) select.addEventListener("change", () => switcher.submit());
  }
});
