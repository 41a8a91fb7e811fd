// Building DOM nodes from data. Text always goes in as textContent, so names that hold
// markup (a project called "<script>…") render as the characters they are.

export function element(tag, { text, className, attrs } = {}, children = []) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

export function row(cells) {
  return element(
    "tr",
    {},
    cells.map((cell) => (cell instanceof Node ? element("td", {}, [cell]) : element("td", { text: cell }))),
  );
}

export function showMessage(node, text, kind = "error") {
  node.textContent = text;
  node.dataset.kind = kind;
  node.hidden = !text;
}
