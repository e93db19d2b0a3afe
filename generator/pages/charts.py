"""Altair charts, saved as static SVG (vl-convert) beside their Vega-Lite spec.

Pages show the SVG; ``docs/javascripts/charts.js`` swaps in an interactive chart drawn from
the spec with the vega-embed bundle that the site serves itself. Nothing is fetched from
another host.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import threading
from pathlib import Path

import altair as alt
import pandas as pd
import vl_convert

from generator.pages import escape
from generator.pages.formatting import num
from measurements.frameworks import FRAMEWORK_LABELS, REGISTRY
from measurements.results import ROOT

COLOURS = {f.label: f.colour for f in REGISTRY.values()}  # each framework's colour, by its label
BUNDLE_NAME = "vega-bundle.js"


def _shown(data: pd.DataFrame, *columns: str | None) -> pd.DataFrame:
    """``data`` with each of ``columns`` also as text, written as the tables write figures
    (31,003 / 208.6), for the tooltips: never "3.1e+4" beside a table that says 31,003."""
    data = data.copy()
    for column in filter(None, columns):
        data[f"{column}_shown"] = [num(v) if pd.notna(v) else "n/a" for v in data[column]]
    return data


def _tip(column: str, title: str) -> alt.Tooltip:
    return alt.Tooltip(f"{column}_shown:N", title=title)


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
    colour = _colour(data)
    data = _shown(data, value, low, high)
    tooltip = [alt.Tooltip("label:N", title="Mode"), _tip(value, axis_title)]
    if low and high:
        tooltip += [_tip(low, "95% low"), _tip(high, "95% high")]
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


def _colour(data: pd.DataFrame) -> alt.Color:
    """Each framework in its own colour; the legend lists only those in ``data``."""
    present = [name for name in COLOURS if name in set(data["framework_label"])]
    return alt.Color(
        "framework_label:N", title="Framework", scale=alt.Scale(domain=present, range=[COLOURS[n] for n in present])
    )


def percentile_chart(data: pd.DataFrame, title: str, axis_title: str) -> alt.Chart:
    """Latency percentiles: one row per mode, a mark per percentile (``percentile``, ``value``)."""
    order = list(dict.fromkeys(data["label"]))
    data = _shown(data, "value")
    return (
        alt.Chart(data)
        .mark_point(filled=True, size=110, opacity=1)
        .encode(
            y=alt.Y("label:N", sort=order, title=None),
            x=alt.X("value:Q", title=axis_title, scale=alt.Scale(type="log")),
            shape=alt.Shape("percentile:N", title="Percentile", sort=["p50", "p90", "p99"]),
            color=_colour(data),
            tooltip=[
                alt.Tooltip("label:N", title="Mode"),
                alt.Tooltip("percentile:N", title="Percentile"),
                _tip("value", axis_title),
            ],
        )
        .properties(title=title, width=520, height=alt.Step(28))
    )


def share_chart(data: pd.DataFrame, title: str) -> alt.Chart:
    """Achieved share of the ceiling (``share``, percent) per mode, one panel per ``case``."""
    order = list(dict.fromkeys(data["label"]))
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=order, title=None),
            x=alt.X("share:Q", title="Share of the measured ceiling (%)"),
            color=_colour(data),
            row=alt.Row(
                "case:N",
                title=None,
                sort=list(dict.fromkeys(data["case"])),
                header=alt.Header(labelAngle=0, labelAlign="left"),
            ),
            tooltip=[
                alt.Tooltip("label:N", title="Mode"),
                alt.Tooltip("case:N", title="Case"),
                alt.Tooltip("share:Q", title="Share (%)", format=".3~g"),
            ],
        )
        .properties(width=520, height=alt.Step(22))
        .properties(title=title)
    )


def curve_chart(data: pd.DataFrame, title: str, target: float) -> alt.LayerChart:
    """Test accuracy (``accuracy``) after each ``epoch``: a line per mode and round; the target dashed."""
    lines = (
        alt.Chart(data)
        .mark_line(point=True, opacity=0.8)
        .encode(
            x=alt.X("epoch:Q", title="Epoch", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("accuracy:Q", title="Test accuracy (%)", scale=alt.Scale(zero=False)),
            color=_colour(data),
            detail="round:N",
            tooltip=[
                alt.Tooltip("label:N", title="Mode"),
                alt.Tooltip("round:Q", title="Round"),
                alt.Tooltip("epoch:Q", title="Epoch"),
                alt.Tooltip("accuracy:Q", title="Accuracy (%)", format=".1f"),
                alt.Tooltip("train_s:Q", title="Training so far (s)", format=".3~g"),
            ],
        )
    )
    rule = alt.Chart(pd.DataFrame({"target": [target]})).mark_rule(strokeDash=[4, 4], color="gray").encode(y="target:Q")
    return (lines + rule).properties(title=title, width=520, height=260)


CHANGE_COLOURS = {
    "improvement": "#2f9e44", "regression": "#e03131", "no change": "#1971c2", "too uncertain to call": "#868e96",
    "too few processes to call": "#ced4da",
}  # fmt: skip


def change_chart(data: pd.DataFrame, title: str) -> alt.LayerChart:
    """Release-over-release ratios (``ratio``, ``low``, ``high``) per ``figure``, on a log
    scale around 1, coloured by ``kind`` (improvement, regression, no change, too uncertain to call,
    too few processes to call); a ratio without an interval has no bar."""
    order = list(data["figure"])
    present = [k for k in CHANGE_COLOURS if k in set(data["kind"])]
    base = alt.Chart(data).encode(y=alt.Y("figure:N", sort=order, title=None))
    axis_title = "New release's speed over the old one's (log scale)"
    x = alt.X("ratio:Q", title=axis_title, scale=alt.Scale(type="log"))
    dots = base.mark_point(filled=True, size=100, opacity=1).encode(
        x=x,
        color=alt.Color(
            "kind:N", title="Change", scale=alt.Scale(domain=present, range=[CHANGE_COLOURS[k] for k in present])
        ),
        tooltip=[
            alt.Tooltip("figure:N", title="Figure"),
            alt.Tooltip("verdict:N", title="New against old"),
            alt.Tooltip("ratio:Q", title="Ratio", format=".3f"),
            alt.Tooltip("low:Q", title="95% low", format=".3f"),
            alt.Tooltip("high:Q", title="95% high", format=".3f"),
        ],
    )
    bars = base.mark_errorbar(ticks=True, color="black").encode(x=alt.X("low:Q", title=axis_title), x2="high:Q")
    one = alt.Chart(pd.DataFrame({"one": [1.0]})).mark_rule(strokeDash=[4, 4], color="gray").encode(x="one:Q")
    return (bars + dots + one).properties(title=title, width=520, height=alt.Step(22))


OUTCOME_COLOURS = {"favours": "#2f9e44", "equivalent": "#1971c2", "uncertain": "#868e96"}
OUTCOME_NAMES = {"favours": "one is ahead", "equivalent": "equivalent", "uncertain": "too uncertain to call"}


def ratio_chart(data: pd.DataFrame, title: str, band: float) -> alt.LayerChart:
    """One row per comparison (``row``): its ratio read from the side ahead (``ratio``, at least 1 at
    the point estimate) with its 95% interval (``low``, ``high``), coloured by ``call``, on a log scale;
    the decision margin ±δ shaded from 1/``band`` to ``band``, and 1 dashed."""
    order = list(data["row"])
    present = [c for c in OUTCOME_COLOURS if c in set(data["call"])]
    data = data.assign(outcome=[OUTCOME_NAMES[c] for c in data["call"]])
    axis = "Speed of the one ahead over the other's (log scale; 95% interval)"
    # a log axis labels 0.3, 0.4 and 0.5 too close to read at this width: 1, 2 and 5 a decade only
    ticks = alt.Axis(values=[m * 10.0**e for e in range(-3, 4) for m in (1, 2, 5)])
    x = alt.X("ratio:Q", title=axis, scale=alt.Scale(type="log"), axis=ticks)
    shade = alt.Chart(pd.DataFrame({"low": [1 / band], "high": [band]})).mark_rect(color="#1971c2", opacity=0.12)
    margin = shade.encode(x=alt.X("low:Q", title=axis), x2="high:Q")
    # each row's label on two lines, what was compared over who against whom, so the chart stays narrow
    cut = "lastindexof(datum.label, ': ')"
    labels = alt.Axis(labelExpr=f"[slice(datum.label, 0, {cut}), slice(datum.label, {cut} + 2)]", labelLimit=300,
                      labelFontSize=11)  # fmt: skip
    base = alt.Chart(data).encode(y=alt.Y("row:N", sort=order, title=None, axis=labels))
    bars = base.mark_errorbar(ticks=True, color="black").encode(x=alt.X("low:Q", title=axis), x2="high:Q")
    dots = base.mark_point(filled=True, size=90, opacity=1).encode(
        x=x,
        color=alt.Color("outcome:N", title="Outcome", legend=alt.Legend(orient="bottom"), scale=alt.Scale(
            domain=[OUTCOME_NAMES[c] for c in present], range=[OUTCOME_COLOURS[c] for c in present])),
        tooltip=[alt.Tooltip("row:N", title="Comparison"), alt.Tooltip("said:N", title="Outcome"),
                 alt.Tooltip("ratio:Q", title="Ratio", format=".2f"),
                 alt.Tooltip("low:Q", title="95% low", format=".2f"),
                 alt.Tooltip("high:Q", title="95% high", format=".2f")],
    )  # fmt: skip
    one = alt.Chart(pd.DataFrame({"one": [1.0]})).mark_rule(strokeDash=[4, 4], color="gray").encode(x="one:Q")
    return (margin + one + bars + dots).properties(title=title, width=300, height=alt.Step(30))


# the memory study's tasks: point shape and line dash (training dashed, a saved model dotted)
TASK_MARKS = {"train": ("circle", [6, 3]), "infer": ("square", [1, 0]), "saved": ("triangle-up", [1, 3])}
TASK_TITLE = ["Task", "(training dashed,", "saved model dotted)"]


def scaling_chart(data: pd.DataFrame, x: str, x_title: str, title: str) -> alt.Chart:
    """Working memory (``mib``) against ``x`` on log scales: a line per framework and task (``task``, named
    by ``task_label``)."""
    labels = dict(zip(data["task"], data["task_label"], strict=True))
    present = [task for task in TASK_MARKS if task in labels]
    domain = [labels[task] for task in present]
    shapes = alt.Scale(domain=domain, range=[TASK_MARKS[task][0] for task in present])
    dashes = alt.Scale(domain=domain, range=[TASK_MARKS[task][1] for task in present])
    data = _shown(data, x)
    return (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X(f"{x}:Q", title=x_title, scale=alt.Scale(type="log")),
            y=alt.Y("mib:Q", title="Peak memory of the whole process (MiB, log scale)",
                    scale=alt.Scale(type="log")),
            color=_colour(data),
            # one legend for both (same field and title): its symbols are the shapes
            strokeDash=alt.StrokeDash("task_label:N", scale=dashes, title=TASK_TITLE),
            shape=alt.Shape("task_label:N", scale=shapes, title=TASK_TITLE),
            tooltip=[
                alt.Tooltip("framework_label:N", title="Framework"),
                alt.Tooltip("task_label:N", title="Task"),
                _tip(x, x_title),
                alt.Tooltip("mib:Q", title="MiB", format=",.0f"),
            ],
        )
        .properties(title=title, width=520, height=280)
    )  # fmt: skip


def with_labels(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["framework_label"] = frame["framework"].map(FRAMEWORK_LABELS)
    return frame


def pipeline_chart(data: pd.DataFrame, y: str, y_title: str, title: str, low: str | None = None,
                   high: str | None = None) -> alt.LayerChart | alt.Chart:  # fmt: skip
    """A data-pipeline figure (``y``) against the data set's size (``images``, log scale): a line per
    configuration (``config_title``), coloured by framework, with its interval where ``low`` and ``high`` are given."""
    order = list(dict.fromkeys(data["config_title"]))
    sizes = sorted({int(n) for n in data["images"]})
    x = alt.X("images:Q", title="Images in the data set (log scale)", scale=alt.Scale(type="log", padding=24),
              axis=alt.Axis(values=sizes, format=","))  # fmt: skip
    data = _shown(data, y, low, high)
    tooltip = [
        alt.Tooltip("config_title:N", title="Configuration"),
        alt.Tooltip("images:Q", title="Images", format=","),
        _tip(y, y_title),
    ]
    if low and high:
        tooltip += [_tip(low, "95% low"), _tip(high, "95% high")]
    lines = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=x,
            y=alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(zero=True)),
            color=_colour(data),
            detail="config_title:N",
            strokeDash=alt.StrokeDash("config_title:N", sort=order, legend=None),  # the shapes carry the legend
            shape=alt.Shape("config_title:N", sort=order, title="Configuration"),
            tooltip=tooltip,
        )
    )
    chart: alt.LayerChart | alt.Chart = lines
    if low and high:
        chart = lines + alt.Chart(data).mark_errorbar(ticks=True, color="black", opacity=0.5).encode(
            x=x, y=alt.Y(f"{low}:Q", title=y_title), y2=f"{high}:Q"
        )
    return chart.properties(title=title, width=520, height=280)


VL_CONVERT = importlib.metadata.version("vl-convert-python")  # its stub has no __version__


def cache_dir() -> Path:
    """Where drawn charts are kept between builds: ``FG_CACHE_DIR``, else .cache/ in the checkout."""
    return Path(os.environ.get("FG_CACHE_DIR") or ROOT / ".cache") / "charts"


def svg_of(spec_text: str) -> str:
    """The SVG of a Vega-Lite spec, drawn once: kept under ``cache_dir()`` by a hash of the spec and
    the drawing library's version, so an unchanged chart is not drawn again."""
    key = hashlib.sha256(f"{VL_CONVERT}\n{spec_text}".encode()).hexdigest()
    kept = cache_dir() / f"{key}.svg"
    if kept.is_file():
        return kept.read_text()
    svg = vl_convert.vegalite_to_svg(vl_spec=json.loads(spec_text))
    with contextlib.suppress(OSError):  # a read-only checkout still builds, only slower
        kept.parent.mkdir(parents=True, exist_ok=True)
        partial = kept.with_suffix(f".{os.getpid()}-{threading.get_ident()}.tmp")
        partial.write_text(svg)
        partial.replace(kept)
    return svg


SIZES: dict[str, str] = {}  # an SVG's file name -> its width and height, as attributes for the page


MAX_READABLE = 80  # the readable part of a chart's file name; a file system allows 255 bytes in all


def file_stem(name: str, spec_text: str) -> str:
    """A chart's file name without its suffix: ``name`` made safe and cut short (it is made from data:
    a machine id, a case name of up to 1,000 characters), then a hash of ``name`` and the chart's
    spec. Two charts share a file only when they are the same chart: two cases whose names read
    alike once made safe still draw different figures, and so get different files."""
    readable = escape.file_name(name)[:MAX_READABLE].rstrip(".-_") or "chart"
    digest = hashlib.sha256(f"{name}\n{spec_text}".encode()).hexdigest()[:12]
    return f"{readable}-{digest}"


def save(chart: alt.TopLevelMixin, out_dir: Path, name: str) -> str:
    """Write the chart's SVG and its Vega-Lite spec (``.vl.json``) into ``out_dir``, named from
    ``name`` and the chart itself (``file_stem``); returns the SVG's file name."""
    out_dir.mkdir(parents=True, exist_ok=True)
    spec_text = json.dumps(chart.to_dict(validate=False), sort_keys=True)  # Altair's own API made it
    name = file_stem(name, spec_text)
    (out_dir / f"{name}.vl.json").write_text(spec_text)
    svg = svg_of(spec_text)
    (out_dir / f"{name}.svg").write_text(svg)
    found = re.search(r'<svg[^>]*?\swidth="(\d+(?:\.\d+)?)"[^>]*?\sheight="(\d+(?:\.\d+)?)"', svg)
    SIZES[f"{name}.svg"] = f" width={round(float(found[1]))} height={round(float(found[2]))}" if found else ""
    return f"{name}.svg"


def size(svg: str) -> str:
    """`` width=W height=H`` for a chart written by this build (so a lazily loaded image keeps its
    place on the page), or nothing."""
    return SIZES.get(svg, "")


def write_bundle(out_dir: Path) -> None:
    """The vega-embed, Vega-Lite and Vega libraries in one script, served by the site itself."""
    out_dir.mkdir(parents=True, exist_ok=True)
    kept = cache_dir() / f"vega-bundle-{VL_CONVERT}.js"  # the same for every build of one version
    if kept.is_file():
        shutil.copyfile(kept, out_dir / BUNDLE_NAME)
        return
    bundle = vl_convert.javascript_bundle()  # type: ignore[call-arg]  # its stub wrongly requires a snippet
    (out_dir / BUNDLE_NAME).write_text(bundle)
    with contextlib.suppress(OSError):
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out_dir / BUNDLE_NAME, kept)
