// The Decide questionnaire: every combination of answers was worked out by the generator into
// decide.json (beside this page); here the checked answers are looked up and shown. Without
// JavaScript, or where decide.json cannot be fetched (a page opened from disk), the form stays
// hidden and the tables below it hold the same recommendations.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("fg-decide");
  const result = document.getElementById("fg-decide-result");
  if (!form || !result) return;

  const element = (tag, text, className) => {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
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
    // [ring, confidence, {framework id: score}, the leader's lead over the next, use cases, experience]
    const [ring, confidence, scores, margin, useCases, experience] = found;
    const name = (id) => data.frameworks[id] || id;
    const ids = Object.keys(data.frameworks); // the registry's order, as the command line prints them
    const leader = [...ids].sort((a, b) => (scores[b] || 0) - (scores[a] || 0))[0]; // stable: ties keep the order
    const each = ids.map((id) => `${name(id)} ${(scores[id] || 0).toFixed(2)}`).join(", ");
    const lead = margin > 0 ? `${name(leader)} leads by ${margin.toFixed(2)}` : "none leads";
    const verdict = element("p", "", "fg-decide-verdict");
    verdict.append(element("strong", ring, "fg-ring"));
    verdict.append(` (${confidence} confidence, scores ${each}; ${lead})`);
    result.append(verdict);
    if (useCases.length) {
      result.append(element("p", "From the use cases your answers select:"));
      const list = element("ul");
      for (const id of useCases) {
        const item = element("li");
        const link = element("a", data.use_cases[id].title);
        link.href = `#${id}`;
        item.append(link, `: ${data.use_cases[id].ring}, ${data.use_cases[id].confidence} confidence`);
        list.append(item);
      }
      result.append(list);
    }
    if (experience) {
      result.append(element("p", `Nudged towards ${name(experience)}, which the team already knows.`));
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
      form.addEventListener("change", () => show(data));
      show(data);
    })
    .catch((error) => console.info("questionnaire left hidden:", error.message));
});
