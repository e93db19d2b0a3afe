// Charts are static SVG images (class "fg-chart"), loaded lazily by the browser, and they stay so
// until the reader reaches for one: pointing at it, tapping it or moving the keyboard to it swaps
// it for an interactive chart (tooltips, text drawn to the room there is) drawn from its Vega-Lite
// spec, which lies beside the SVG as NAME.vl.json. The chart library is fetched once, on the first
// chart a reader reaches for, and never by a reader who only reads. Where the spec or the library
// cannot be fetched (a page opened from disk), the static SVG stays.
const fgVegaBundle = new URL("../generated/assets/vega-bundle.js", document.currentScript.src).href;

document.addEventListener("DOMContentLoaded", () => {
  const images = [...document.querySelectorAll("img.fg-chart")];
  if (!images.length) return;
  const bundle = fgVegaBundle;
  let library = null;
  const vega = () => {
    library ??= new Promise((resolve, reject) => {
      if (typeof window.vegaEmbed === "function") return resolve(window.vegaEmbed);
      const tag = document.createElement("script");
      tag.src = bundle;
      tag.onload = () => (typeof window.vegaEmbed === "function" ? resolve(window.vegaEmbed) : reject(new Error("no vegaEmbed")));
      tag.onerror = () => reject(new Error(`${bundle}: not loaded`));
      document.head.append(tag);
    });
    return library;
  };
  const draw = (img) => {
    const specUrl = img.getAttribute("src").replace(/\.svg$/, ".vl.json");
    Promise.all([vega(), fetch(specUrl).then((response) => {
      if (!response.ok) throw new Error(`${specUrl}: ${response.status}`);
      return response.json();
    })])
      .then(([embed, spec]) => {
        // Vega labels the chart for screen readers with the spec's description
        spec.description = img.getAttribute("alt") || spec.description;
        const holder = document.createElement("div");
        holder.className = "fg-chart-live";
        holder.setAttribute("role", "img");
        holder.setAttribute("aria-label", img.getAttribute("alt") || "chart");
        img.replaceWith(holder);
        const style = getComputedStyle(holder);
        const room = holder.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        const options = { actions: false, renderer: "svg" };
        // On a narrow screen a chart is drawn to the room there is, its legend below it, so its text
        // keeps its size instead of the whole picture shrinking.
        if (typeof spec.width !== "number" || !room || spec.width + 100 <= room) return embed(holder, spec, options);
        const legend = { orient: "bottom", direction: "vertical", columns: 1, labelLimit: room - 60 };
        spec.config = { ...(spec.config || {}), legend: { ...((spec.config || {}).legend || {}), ...legend } };
        if (typeof spec.title === "string") {  // a long title on as many lines as the room needs
          const most = Math.max(20, Math.floor(room / 7));
          const lines = [""];
          for (const word of spec.title.split(" ")) {
            const last = lines.length - 1;
            if (lines[last] && (lines[last] + " " + word).length > most) lines.push(word);
            else lines[last] = lines[last] ? `${lines[last]} ${word}` : word;
          }
          spec.title = { text: lines };
        }
        spec.config.axis = { ...(spec.config.axis || {}), labelOverlap: "greedy", labelSeparation: 4 };
        spec.width = Math.max(120, room - 80);
        return embed(holder, spec, options).then((result) => {
          const drawn = holder.querySelector("svg")?.width.baseVal.value || 0;
          if (drawn <= room || spec.width <= 120) return result;
          result.finalize();
          spec.width = Math.max(120, spec.width - (drawn - room));
          return embed(holder, spec, options);
        });
      })
      .catch((error) => console.info("static chart kept:", error.message));
  };
  for (const img of images) {
    img.tabIndex = 0; // reachable from the keyboard
    const reach = () => {
      for (const kind of ["pointerenter", "click", "focus"]) img.removeEventListener(kind, reach);
      draw(img);
    };
    for (const kind of ["pointerenter", "click", "focus"]) img.addEventListener(kind, reach);
  }
});
