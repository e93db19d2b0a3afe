// Swap each static chart (an SVG image with class "fg-chart") for an interactive one drawn
// from its Vega-Lite spec, which lies beside the SVG as NAME.vl.json. Where the spec cannot
// be fetched (a page opened from disk) or vegaEmbed is missing, the static SVG stays.
document.addEventListener("DOMContentLoaded", () => {
  if (typeof window.vegaEmbed !== "function") return;
  for (const img of document.querySelectorAll("img.fg-chart")) {
    const specUrl = img.getAttribute("src").replace(/\.svg$/, ".vl.json");
    fetch(specUrl)
      .then((response) => {
        if (!response.ok) throw new Error(`${specUrl}: ${response.status}`);
        return response.json();
      })
      .then((spec) => {
        // Vega labels the chart for screen readers with the spec's description
        spec.description = img.getAttribute("alt") || spec.description;
        const holder = document.createElement("div");
        holder.className = "fg-chart-live";
        holder.setAttribute("role", "img");
        holder.setAttribute("aria-label", img.getAttribute("alt") || "chart");
        img.replaceWith(holder);
        return window.vegaEmbed(holder, spec, { actions: false, renderer: "svg" });
      })
      .catch((error) => console.info("static chart kept:", error.message));
  }
});
