// The image grid's keyboard: one thumbnail is a tab stop at a time (a roving tabindex); the arrow keys
// move it along a row and between rows, Home and End to the ends; Enter follows the focused link.
const grid = document.getElementById("image-grid");

/** The link in the row above or below `from`: the one whose centre is nearest in that direction. */
function verticalNeighbour(links, from, step) {
  const box = from.getBoundingClientRect();
  const centre = box.left + box.width / 2;
  const candidates = links.filter((link) => {
    const other = link.getBoundingClientRect();
    return step > 0 ? other.top > box.bottom - 1 : other.bottom < box.top + 1;
  });
  if (!candidates.length) return null;
  const rowTop = step > 0 ? Math.min(...candidates.map((l) => l.getBoundingClientRect().top)) : null;
  const rowBottom = step < 0 ? Math.max(...candidates.map((l) => l.getBoundingClientRect().bottom)) : null;
  const row = candidates.filter((link) => {
    const other = link.getBoundingClientRect();
    return step > 0 ? other.top === rowTop : other.bottom === rowBottom;
  });
  const distance = (link) => {
    const other = link.getBoundingClientRect();
    return Math.abs(other.left + other.width / 2 - centre);
  };
  return row.reduce((best, link) => (distance(link) < distance(best) ? link : best));
}

function focusLink(links, target) {
  if (!target) return;
  for (const link of links) link.tabIndex = link === target ? 0 : -1;
  target.focus();
}

if (grid) {
  grid.addEventListener("keydown", (event) => {
    const links = [...grid.querySelectorAll("a.thumb")];
    const index = links.indexOf(document.activeElement);
    if (index < 0 || event.ctrlKey || event.metaKey || event.altKey) return;
    const moves = {
      ArrowLeft: () => links[index - 1],
      ArrowRight: () => links[index + 1],
      ArrowUp: () => verticalNeighbour(links, links[index], -1),
      ArrowDown: () => verticalNeighbour(links, links[index], 1),
      Home: () => links[0],
      End: () => links[links.length - 1],
    };
    if (!(event.key in moves)) return;
    event.preventDefault();
    focusLink(links, moves[event.key]());
  });
  // A click or a tab into the grid makes the focused link the one the arrow keys move from.
  grid.addEventListener("focusin", (event) => {
    if (event.target.matches("a.thumb")) focusLink([...grid.querySelectorAll("a.thumb")], event.target);
  });
}
