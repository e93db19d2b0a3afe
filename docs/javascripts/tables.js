// On a narrow screen, a wide table becomes a list of cards: one card a row, each cell labelled
// with its column's header, the row's name first and its verdict next. Without JavaScript the
// table stays a table and scrolls sideways inside its own box.
document.addEventListener("DOMContentLoaded", () => {
  const verdict = /verdict|outcome|against|says|recommend/i;
  for (const table of document.querySelectorAll(".md-typeset table")) {
    const headers = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    if (headers.length < 3) continue;
    table.dataset.fgCards = ""; // an attribute, not a class: Material styles only tables without a class
    for (const row of table.querySelectorAll("tbody tr")) {
      [...row.children].forEach((cell, i) => {
        if (headers[i]) cell.dataset.label = headers[i];
        if (verdict.test(headers[i] || "")) cell.classList.add("fg-verdict");
      });
    }
  }
});
