// Every data table sorts by any column: a click (or Enter) on a header sorts by it, again the other
// way (tablesort, vendored in vendor/tablesort/). A cell that starts with a number sorts by it, in
// the same unit across the column ("7.69 s" after "11.2 ms", "1.2 GiB" after "900 MiB"); a verdict
// sorts by its ratio ("too uncertain to call (ratio 1.17, …)" by 1.17). On a narrow screen, a wide
// table becomes a list of cards: one card a row, each cell labelled with its column's header, the
// row's name first and its verdict next. Without JavaScript the table stays a table and scrolls
// sideways inside its own box.
document.addEventListener("DOMContentLoaded", () => {
  const verdict = /verdict|outcome|against|says|recommend/i;
  const leading = /^[-+−]?(?:\d[\d,]*)?\.?\d+(?:e[-+]?\d+)?\s*([a-zµ]*)/i;
  const ratio = /\bratio ([\d.]+)/;
  const units = { ns: 1e-9, "µs": 1e-6, us: 1e-6, ms: 1e-3, s: 1, min: 60, h: 3600,
    kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, kb: 1e3, mb: 1e6, gb: 1e9 };
  const key = (text) => {
    const found = text.match(leading);
    if (found) return parseFloat(found[0].replace(/,/g, "").replace("−", "-")) * (units[found[1].toLowerCase()] || 1);
    const verdict = text.match(ratio);
    return verdict ? parseFloat(verdict[1]) : null;
  };
  for (const table of document.querySelectorAll(".md-typeset table")) {
    const headers = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    const rows = table.querySelectorAll("tbody tr");
    for (const cell of table.querySelectorAll("tbody td")) {
      const found = key(cell.textContent.trim());
      if (found !== null && Number.isFinite(found)) cell.dataset.sort = String(found);
    }
    if (headers.length && rows.length > 1 && typeof window.Tablesort === "function") new window.Tablesort(table);
    if (headers.length < 3) continue;
    table.dataset.fgCards = ""; // an attribute, not a class: Material styles only tables without a class
    for (const row of rows) {
      [...row.children].forEach((cell, i) => {
        if (headers[i]) cell.dataset.label = headers[i];
        if (verdict.test(headers[i] || "")) cell.classList.add("fg-verdict");
      });
    }
  }
});
