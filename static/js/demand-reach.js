// The roadmap item form's "Use N as reach": the demand behind the item (its pieces of feedback) fills the
// RICE reach field. Without JavaScript the hint says which number to type; the server decides nothing here.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button[data-fill-reach]")) {
    const field = document.getElementById(button.dataset.fillReach);
    if (!field) continue;
    const typed = button.parentElement.querySelector(".no-script-hint");
    if (typed) typed.hidden = true;
    button.hidden = false;
    button.addEventListener("click", () => {
      field.value = button.dataset.reach;
      field.dispatchEvent(new Event("input", { bubbles: true }));
      field.focus();
    });
  }
});
