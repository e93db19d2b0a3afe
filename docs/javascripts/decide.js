// The Decide questionnaire: every combination of answers was worked out by the generator into
// decide.json (beside this page); here the checked answers are looked up and shown. Without
// JavaScript, or where decide.json cannot be fetched (a page opened from disk), the form stays
// hidden and the tables below it hold the same recommendations.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("fg-decide");
  const result = document.getElementById("fg-decide-result");
  const sticky = document.getElementById("fg-decide-sticky"); // the outcome in one line, in sight while answering
  if (!form || !result) return;

  const element = (tag, text, className) => {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  };

  // A paragraph whose `backticked` parts are code, as Markdown would show them.
  const prose = (text) => {
    const node = element("p");
    text.split("`").forEach((part, i) => node.append(i % 2 ? element("code", part) : part));
    return node;
  };

  const show = (data) => {
    const chosen = data.questions.map((q) => {
      const checked = form.querySelector(`input[name="${q.id}"]:checked`);
      return checked ? checked.value : q.options[0].id;
    });
    const found = data.answers[chosen.join("/")];
    result.replaceChildren();
    if (!found) {
      result.append(element("p", "No recommendation for these answers: rebuild the site."));
      return;
    }
    // [ring, use cases, reasons, note, scope, why, facts, more, measure, elsewhere]: each an index into the
    //  table of its name, each text stored once
    const [ring, useCases, reasons, note, scope, why, facts, more, measure, elsewhere] = found;
    const verdict = element("p", "", "fg-decide-verdict");
    verdict.append(element("strong", ring, "fg-ring"));
    verdict.append(": ", ...prose(data.whys[why]).childNodes, ".");
    if (sticky) {
      const jump = element("a", `${ring}: why ↓`);
      jump.href = "#fg-decide-result";
      sticky.replaceChildren(jump);
    }
    result.append(verdict);
    if (data.mores[more]) {
      const line = element("p", `${data.mores[more]} `);
      const link = element("a", "What the outcomes mean");
      link.href = "#outcomes";
      line.append(link);
      result.append(line);
    }
    if (data.elsewheres[elsewhere].length) {
      const line = element("p", "What is known on this hardware: ");
      data.elsewheres[elsewhere].forEach(([text, page], i) => {
        const link = element("a", text);
        if (page) link.href = page;
        line.append(i ? "; " : "", page ? link : text);
      });
      result.append(line);
    }
    if (data.scopes[scope]) result.append(element("p", data.scopes[scope]));
    if (reasons.length) {
      result.append(element("p", "The strongest comparisons:"));
      const list = element("ol");
      for (const index of reasons) list.append(element("li", data.reasons[index]));
      result.append(list);
    }
    if (useCases.length) {
      result.append(element("p", "The use cases your answers select:"));
      const list = element("ul");
      for (const [id, caseRing] of useCases.map((index) => data.verdicts[index])) {
        const item = element("li");
        const link = element("a", data.titles[id]);
        link.href = `#${id}`;
        item.append(link, `: ${caseRing}`);
        list.append(item);
      }
      result.append(list);
    }
    if (facts.length) {
      result.append(element("p", "Facts beside it (curated, with their sources; they do not decide it):"));
      const list = element("ul");
      for (const [text, sources] of facts.map((index) => data.facts[index])) {
        const item = element("li", `${text} (sources: `);
        sources.filter((url) => url.startsWith("https://")).forEach((url, i) => {
          const { hostname, pathname } = new URL(url);
          const link = element("a", `${hostname}${pathname.length > 1 ? "/…" + pathname.split("/").filter(Boolean).pop() : ""}`);
          link.href = url;
          item.append(i ? ", " : "", link);
        });
        item.append(")");
        list.append(item);
      }
      result.append(list);
    }
    if (data.notes[note]) result.append(prose(data.notes[note]));
    if (data.measures[measure]) {
      const box = element("div", "", "admonition tip fg-measure");
      box.append(element("p", "Measure it on your hardware", "admonition-title"), prose(data.measures[measure]));
      result.append(box);
    }
    const command = data.questions.map((q, i) => `--answer ${q.id}=${chosen[i]}`).join(" ");
    const code = element("code", `python -m generator recommend ${command}`);
    const line = element("p", "The same answer in a terminal: ");
    line.append(code);
    result.append(line);
  };

  fetch("decide.json")
    .then((response) => {
      if (!response.ok) throw new Error(`decide.json: ${response.status}`);
      return response.json();
    })
    .then((data) => {
      form.hidden = false;
      result.hidden = false;
      if (sticky) sticky.hidden = false;
      form.addEventListener("change", () => show(data));
      show(data);
    })
    .catch((error) => console.info("questionnaire left hidden:", error.message));
});
