// The roadmap timeline opens at today: where the chart is wider than its box (a phone, a long range),
// scroll it so today's line sits a quarter in from the left. Without JavaScript it opens at the first
// month and scrolls by hand.
document.querySelectorAll(".tl-scroll[data-today-x]").forEach((box) => {
  const x = Number(box.dataset.todayX);
  if (x > box.clientWidth * 0.6) {
    box.scrollLeft = x - box.clientWidth * 0.25;
  }
});
