// modelreg static site: the filter box and column sorting. Loaded from the site itself (the
// page's Content-Security-Policy allows no inline script); does nothing else.
"use strict";

function cellKey(cell) {
  const marked = cell.querySelector("[data-sort-value]");
  const text = marked ? marked.getAttribute("data-sort-value") : cell.textContent.trim();
  const asNumber = Number(text);
  return text !== "" && Number.isFinite(asNumber) ? asNumber : text.toLowerCase();
}

function compare(a, b) {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b));
}

function sortBy(table, column, header) {
  const body = table.tBodies[0];
  const ascending = header.getAttribute("aria-sort") !== "ascending";
  const rows = Array.from(body.rows);
  rows.sort((x, y) => {
    const order = compare(cellKey(x.cells[column]), cellKey(y.cells[column]));
    return ascending ? order : -order;
  });
  for (const th of table.tHead.rows[0].cells) {
    if (th.hasAttribute("aria-sort")) th.setAttribute("aria-sort", "none");
  }
  header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  for (const row of rows) body.appendChild(row);
}

function setUpSorting() {
  for (const table of document.querySelectorAll("table.sortable")) {
    for (const button of table.querySelectorAll("th button[data-sort-col]")) {
      const column = Number(button.getAttribute("data-sort-col"));
      button.addEventListener("click", () => sortBy(table, column, button.parentElement));
    }
  }
}

function setUpFilter() {
  const input = document.querySelector("input[data-filter-table]");
  if (!input) return;
  const table = document.getElementById(input.getAttribute("data-filter-table"));
  const status = document.getElementById("filter-status");
  const rows = Array.from(table.tBodies[0].rows);
  // \u200d: the joiner the escaper puts after an @ (a mention in Markdown pings nobody)
  const texts = rows.map((row) => row.textContent.toLowerCase().replace(/\u200d/g, ""));
  const apply = () => {
    const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    rows.forEach((row, i) => {
      const keep = words.every((w) => texts[i].includes(w));
      row.hidden = !keep;
      if (keep) shown += 1;
    });
    status.textContent = words.length ? `${shown} of ${rows.length} models` : "";
  };
  input.addEventListener("input", apply);
  apply();
}

document.addEventListener("DOMContentLoaded", () => {
  setUpSorting();
  setUpFilter();
});
