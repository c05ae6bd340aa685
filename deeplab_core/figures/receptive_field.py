"""Figures for the receptive-field lesson: the growth animation, size against depth, the coverage checkerboard.
The effective receptive field and the field on a photo are drawn by `effective_rf` and `rf_on_photo`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from deeplab_core.figures.animation import animation_controls
from deeplab_core.figures.style import (
    BLUE,
    GREY,
    GRID_BACKGROUND,
    HOLE_COLOUR,
    PATHS_FEW,
    PATHS_MANY,
    TAP_MARK,
    TEAL,
    square_axes,
)
from deeplab_core.i18n import text
from deeplab_core.maths.receptive_field import (
    ConvLayer,
    coverage,
    prefix_coverages,
    receptive_field,
    rf_growth,
    same_conv,
)

SAMPLES = ("chelsea", "astronaut")  # names in deeplab_core.samples: the photos this lesson offers
FRAME_MS = 900  # one layer per frame, in the page and in the exported GIF
MAX_ANIMATION_SIZE = 161  # grid side in pixels; beyond it the frames get too heavy for the browser
COUNT_SCALE = [[0, PATHS_FEW], [1, PATHS_MANY]]
HOLE_SCALE = [[0, HOLE_COLOUR], [1, HOLE_COLOUR]]


def _layer_label(layer: ConvLayer) -> str:
    return f"{layer.kernel_size}×{layer.kernel_size}, s={layer.stride}, d={layer.dilation}"


def _grid_traces(paths: np.ndarray, size: int) -> list[go.Heatmap]:
    """Path counts (blue) and holes (red) of a centred 1-D pattern, placed on a size x size grid."""
    offset = (size - len(paths)) // 2
    counts = np.full((size, size), np.nan)
    counts[offset : offset + len(paths), offset : offset + len(paths)] = np.outer(paths, paths)  # (R, R)
    hole = np.where(counts == 0, 1.0, np.nan)
    counts[counts == 0] = np.nan
    gap = 1 if size <= 80 else 0
    return [
        go.Heatmap(
            z=counts,
            colorscale=COUNT_SCALE,
            showscale=False,
            xgap=gap,
            ygap=gap,
            hovertemplate="(%{y}, %{x}): %{z}<extra></extra>",
            _validate=False,
        ),
        go.Heatmap(
            z=hole, colorscale=HOLE_SCALE, showscale=False, xgap=gap, ygap=gap, hoverinfo="skip", _validate=False
        ),
    ]


def frame_title(
    depth: int, layer: ConvLayer, size: int, paths: np.ndarray, lang: str, *, sep: str | None = None
) -> str:
    """The title of the growth animation's frame after layer `depth`: the layer, the field's size, its holes. In
    two parts joined by `sep` (the page's animation breaks the line, a phone being narrow; an exported frame wraps
    by itself): by default a space, or nothing after a full-width colon."""
    spec = _layer_label(layer)
    holes = int((paths == 0).sum())
    first = text("receptive_field.fig.frame_title", lang, layer=depth, spec=spec)
    second = text("receptive_field.fig.frame_field", lang, size=size, holes=holes)
    joiner = sep if sep is not None else ("" if first.endswith("\uff1a") else " ")
    return f"{first}{joiner}{second}"


def growth_legend(lang: str) -> str:
    """The animation's colours as a one-line Markdown legend (the exported GIF draws the same one)."""
    items = (
        ("■", PATHS_MANY, "export.legend.paths"),
        ("■", HOLE_COLOUR, "export.legend.hole"),
        ("○", TAP_MARK, "export.legend.taps"),
    )
    return " &nbsp; ".join(
        f'<span style="color:{colour};font-size:1.3em">{mark}</span> {text(key, lang)}' for mark, colour, key in items
    )


def growth_animation(layers: Sequence[ConvLayer], lang: str) -> dict:
    """One frame per layer: the receptive field of a unit after that layer, and the taps that layer reads.

    Returned as a plotly figure dict with frames of plain dicts: validating every frame's traces costs about
    20 ms a frame, and these traces are fixed here (the tests validate the whole figure once)."""
    records = receptive_field(layers)
    size = records[-1].size
    patterns = prefix_coverages(layers)
    frames: list[dict] = []
    for depth, (layer, record, paths) in enumerate(zip(layers, records, patterns, strict=True), start=1):
        below_jump = records[depth - 2].jump if depth > 1 else 1
        centre = (size - len(paths)) // 2 + (len(paths) - 1) / 2
        offsets = np.arange(layer.kernel_size) * layer.dilation - (layer.effective_kernel_size - 1) / 2
        taps = centre + offsets * below_jump
        ty, tx = np.meshgrid(taps, taps, indexing="ij")
        marks = go.Scatter(
            x=tx.ravel(),
            y=ty.ravel(),
            mode="markers",
            hoverinfo="skip",
            _validate=False,
            marker=dict(symbol="circle-open", size=9, color=TAP_MARK, line=dict(width=2)),
        )
        title = frame_title(depth, layer, record.size, paths, lang, sep="<br>")
        frames.append(
            {
                "data": [trace.to_plotly_json() for trace in (*_grid_traces(paths, size), marks)],
                "name": str(depth),
                "layout": {"title": {"text": title}},
            }
        )
    fig = go.Figure(data=frames[0]["data"])
    fig.update_layout(plot_bgcolor=GRID_BACKGROUND, **square_axes([-0.5, size - 0.5], [size - 0.5, -0.5]))
    fig.update_layout(
        title=frames[0]["layout"]["title"],
        height=560,
        margin=dict(l=10, r=10, t=80, b=90),  # two lines of title
        showlegend=False,
        **animation_controls(
            [(str(i), str(i)) for i in range(1, len(layers) + 1)],
            frame_ms=FRAME_MS,
            prefix=text("receptive_field.fig.layer", lang),
            lang=lang,
            y=-0.02,
            slider_x=0.2,
        ),
    )
    spec = fig.to_plotly_json()
    spec["frames"] = frames
    return spec


def growth_chart(layers: Sequence[ConvLayer], lang: str, log_scale: bool = True) -> go.Figure:
    """Receptive-field size against depth: this stack, plain 3x3 (linear) and doubling rates (exponential)."""
    depth = len(layers)
    series = {
        "yours": rf_growth(layers),
        "plain": rf_growth([same_conv(3)] * depth),
        "doubling": rf_growth([same_conv(3, 2**i) for i in range(depth)]),
    }
    # The references are dashed and drawn first; the reader's stack is drawn last, solid and with larger markers,
    # so it stays visible when it is one of the references (the plain preset lies exactly on the plain line).
    looks: dict[str, dict[str, Any]] = {
        "plain": dict(line=dict(color=GREY, width=2, dash="dash"), marker=dict(size=6)),
        "doubling": dict(line=dict(color=TEAL, width=2, dash="dot"), marker=dict(size=6)),
        "yours": dict(line=dict(color=BLUE, width=3), marker=dict(size=10, symbol="circle-open", line=dict(width=2))),
    }
    fig = go.Figure(
        [
            go.Scatter(
                x=list(range(depth + 1)),
                y=series[name],
                mode="lines+markers",
                name=text(f"receptive_field.fig.series_{name}", lang),
                legendrank=1 if name == "yours" else 2,
                **looks[name],
            )
            for name in ("plain", "doubling", "yours")
        ]
    )
    fig.update_layout(
        height=380,
        margin=dict(l=10, r=10, t=40, b=10),
        title=text("receptive_field.fig.growth_title", lang),
        xaxis_title=text("receptive_field.fig.depth", lang),
        yaxis_title=text("receptive_field.fig.rf_size", lang),
        xaxis=dict(dtick=1),
    )
    if log_scale:  # ticks at powers of two, where the doubling rates land (2^(L+1) - 1)
        top = max(max(sizes) for sizes in series.values())
        fig.update_yaxes(type="log", tickvals=[2**i for i in range(top.bit_length() + 1)])
    return fig


def coverage_figure(layers: Sequence[ConvLayer], lang: str) -> go.Figure:
    """The gridding checkerboard: paths to each pixel of the receptive field (red = never reached)."""
    paths = coverage(layers)
    size = len(paths)
    offsets = np.arange(size) - (size - 1) / 2
    fig = make_subplots(rows=2, cols=1, row_heights=[0.22, 0.78], vertical_spacing=0.04, shared_xaxes=True)
    fig.add_trace(
        go.Bar(
            x=np.arange(size),
            y=paths,
            marker_color=np.where(paths == 0, HOLE_COLOUR, BLUE),
            customdata=offsets,
            hovertemplate="%{customdata}: %{y}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    for trace in _grid_traces(paths, size):
        fig.add_trace(trace, row=2, col=1)
    fig.update_yaxes(
        autorange="reversed", scaleanchor="x2", showticklabels=False, showgrid=False, ticks="", row=2, col=1
    )
    fig.update_xaxes(showticklabels=False, showgrid=False, ticks="", row=2, col=1)
    fig.update_yaxes(title_text=text("receptive_field.fig.paths", lang), row=1, col=1)
    fig.update_layout(
        height=620,
        margin=dict(l=10, r=10, t=40, b=10),
        showlegend=False,
        title=text("receptive_field.fig.coverage_title", lang, size=size, holes=int((paths == 0).sum())),
    )
    return fig
