// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  const override = document.querySelector("#id_override");
  const gate = document.querySelector(".gate-errors");
  if (override && gate) override.closest("p").classList.add("attention");
});
