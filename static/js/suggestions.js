// The suggestion page is about its evidence: open the condition's evidence (a <details> elsewhere) at once.
// Without JavaScript it stays one click away.
document.querySelectorAll(".suggestion-evidence details").forEach((details) => {
  details.open = true;
});
