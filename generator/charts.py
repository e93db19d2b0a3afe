"""Altair charts, saved as static SVG (vl-convert) beside their Vega-Lite spec.

Pages show the SVG; ``docs/javascripts/charts.js`` swaps in an interactive chart drawn from
the spec with the vega-embed bundle that the site serves itself. Nothing is fetched from
another host.
"""

from __future__ import annotations

import json
from pathlib import Path

import altair as alt
import pandas as pd
import vl_convert

from measurements.frameworks import FRAMEWORK_LABELS

COLOURS = {"PyTorch": "#d9480f", "TensorFlow": "#1971c2", "NumPy": "#868e96"}
BUNDLE_NAME = "vega-bundle.js"


def bar_chart(
    data: pd.DataFrame,
    value: str,
    title: str,
    axis_title: str,
    low: str | None = None,
    high: str | None = None,
    log: bool = False,
) -> alt.LayerChart | alt.Chart:
    """Horizontal bars, one per ``label`` row, coloured by ``framework_label``, with an interval."""
    order = list(data["label"])
    scale = alt.Scale(type="log") if log else alt.Scale(zero=True)
    colour = alt.Color(
        "framework_label:N", title="Framework",
        scale=alt.Scale(domain=list(COLOURS), range=list(COLOURS.values())),
    )  # fmt: skip
    tooltip = [alt.Tooltip("label:N", title="Mode"), alt.Tooltip(f"{value}:Q", title=axis_title, format=",.4~g")]
    if low and high:
        tooltip += [alt.Tooltip(f"{low}:Q", title="95% low", format=",.4~g"),
                    alt.Tooltip(f"{high}:Q", title="95% high", format=",.4~g")]  # fmt: skip
    base = alt.Chart(data).encode(y=alt.Y("label:N", sort=order, title=None))
    # bars need a zero to start from, which a log scale lacks: there, dots mark the values
    mark = base.mark_point(filled=True, size=120, opacity=1) if log else base.mark_bar()
    bars = mark.encode(x=alt.X(f"{value}:Q", title=axis_title, scale=scale), color=colour, tooltip=tooltip)
    chart: alt.LayerChart | alt.Chart = bars
    if low and high:
        chart = bars + base.mark_errorbar(ticks=True, color="black").encode(
            x=alt.X(f"{low}:Q", title=axis_title), x2=f"{high}:Q"
        )
    return chart.properties(title=title, width=520, height=alt.Step(28))


def with_labels(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["framework_label"] = frame["framework"].map(FRAMEWORK_LABELS)
    return frame


def save(chart: alt.TopLevelMixin, out_dir: Path, name: str) -> str:
    """Write ``name.svg`` and ``name.vl.json`` into ``out_dir``; returns the SVG's file name."""
    out_dir.mkdir(parents=True, exist_ok=True)
    spec = chart.to_dict()
    (out_dir / f"{name}.vl.json").write_text(json.dumps(spec, sort_keys=True))
    (out_dir / f"{name}.svg").write_text(vl_convert.vegalite_to_svg(vl_spec=spec))
    return f"{name}.svg"


def write_bundle(out_dir: Path) -> None:
    """The vega-embed, Vega-Lite and Vega libraries in one script, served by the site itself."""
    out_dir.mkdir(parents=True, exist_ok=True)
    bundle = vl_convert.javascript_bundle()  # type: ignore[call-arg]  # its stub wrongly requires a snippet
    (out_dir / BUNDLE_NAME).write_text(bundle)
