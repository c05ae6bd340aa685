"""Figures of the output-stride lesson: stage sizes, label maps per output stride, costs, receptive-field growth."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from deeplab_core.figures.style import BACKBONE_COLOURS, BLUE, GREY, OS_COLOURS, label_image
from deeplab_core.i18n import text
from deeplab_core.nets.cost import Cost
from deeplab_core.nets.inspection import StageShape


def stage_size_figure(shapes: Mapping[int, Sequence[StageShape]], input_size: int, lang: str) -> go.Figure:
    """Lying bars, one row per stage and output stride, each value beside its bar: standing bars three to a stage
    left no room for their values on a phone ("65" ran into "65")."""
    fig = go.Figure()
    for output_stride, stages in shapes.items():
        fig.add_bar(
            y=[s.name for s in stages],
            x=[s.height for s in stages],
            orientation="h",
            text=[s.height for s in stages],
            textposition="outside",
            cliponaxis=False,
            name=text("output_stride.fig.os", lang, os=output_stride),
            marker_color=OS_COLOURS.get(output_stride),
        )
    rows = sum(len(stages) for stages in shapes.values())
    fig.update_layout(
        barmode="group",
        bargap=0.25,
        bargroupgap=0.0,
        height=130 + 30 * rows,  # a bar as tall as its value's line: neighbours' values must not touch
        margin=dict(t=50, b=40, r=40),  # room for the longest value beyond its bar
        title=text("output_stride.fig.stage_title", lang, size=input_size),
        xaxis_title=text("output_stride.fig.side", lang),
        yaxis=dict(autorange="reversed"),  # conv1 at the top: the order the photo passes through
        legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom", traceorder="normal"),
    )
    return fig


def label_maps_figure(
    photo: np.ndarray, maps: Sequence[tuple[int, tuple[int, int], np.ndarray]], lang: str
) -> go.Figure:
    """The photo, then one label map per (output stride, logit grid (h, w), labels (H, W))."""
    titles = [text("output_stride.fig.photo", lang)] + [
        text("output_stride.fig.labels_at", lang, os=os_, h=grid[0], w=grid[1]) for os_, grid, _ in maps
    ]
    rows = -(-len(titles) // 2)  # two per row: four side by side are too small on a phone
    fig = make_subplots(rows=rows, cols=2, subplot_titles=titles, horizontal_spacing=0.03, vertical_spacing=0.08)
    for i, image in enumerate([photo, *(label_image(labels) for _os, _grid, labels in maps)]):
        fig.add_trace(go.Image(z=image, hoverinfo="skip"), row=i // 2 + 1, col=i % 2 + 1)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(height=60 + 300 * rows, margin=dict(t=40, b=0, l=0, r=0))
    return fig


def cost_figure(costs: Mapping[str, Sequence[Cost]], lang: str) -> go.Figure:
    """GMACs and activation memory (MiB) per output stride, one bar group per backbone."""
    fig = make_subplots(  # one above the other: side by side, the two titles collide on a phone
        rows=2,
        cols=1,
        subplot_titles=(text("output_stride.fig.macs", lang), text("output_stride.fig.memory", lang)),
        vertical_spacing=0.18,
    )
    for name, rows in costs.items():
        x = [text("output_stride.fig.os", lang, os=c.output_stride) for c in rows]
        colour = BACKBONE_COLOURS[name]
        fig.add_bar(
            x=x,
            y=[c.macs / 1e9 for c in rows],
            name=name,
            marker_color=colour,
            legendgroup=name,
            texttemplate="%{y:.0f}",
            row=1,
            col=1,
        )
        fig.add_bar(
            x=x,
            y=[c.activation_bytes / 2**20 for c in rows],
            name=name,
            marker_color=colour,
            legendgroup=name,
            showlegend=False,
            texttemplate="%{y:.0f}",
            row=2,
            col=1,
        )
    fig.update_layout(
        barmode="group", height=560, margin=dict(t=80, b=30), legend=dict(orientation="h", x=0, y=1.1, yanchor="bottom")
    )
    return fig


def rf_growth_figure(curves: Mapping[str, Sequence[tuple[str, int]]], input_size: int, lang: str) -> go.Figure:
    """Receptive-field size after each layer of the main path, one line per wiring: the first (the reader's
    multi-grid) solid blue, the reference dashed grey, with the ResNet stages marked where they begin."""
    fig = go.Figure()
    looks = [dict(color=BLUE, width=2.5), dict(color=GREY, width=2, dash="dash")]
    for (label, points), line in zip(curves.items(), looks, strict=False):
        fig.add_scatter(
            x=list(range(1, len(points) + 1)),
            y=[size for _, size in points],
            mode="lines",
            name=label,
            line=line,
            customdata=[name for name, _ in points],
            hovertemplate=text("output_stride.fig.rf_hover", lang) + "<extra></extra>",
        )
    names = [name for name, _ in next(iter(curves.values()))]
    for x, name in enumerate(names, start=1):  # a stage begins where the layer name's first part changes
        stage = name.split(".")[0]
        if stage.startswith("layer") and (x == 1 or names[x - 2].split(".")[0] != stage):
            fig.add_vline(x=x - 0.5, line=dict(color=GREY, width=1, dash="dot"))
            fig.add_annotation(x=x - 0.5, y=1, yref="paper", text=stage, showarrow=False, xanchor="left", yanchor="top")
    # the label sits at the left, where every curve is still far below the input's size
    fig.add_hline(
        y=input_size,
        line_dash="dot",
        annotation_text=text("output_stride.fig.input_line", lang, size=input_size),
        annotation_position="top left",
    )
    fig.update_layout(
        height=340,
        margin=dict(t=40, b=40),
        title=text("output_stride.fig.rf_title", lang),
        xaxis_title=text("output_stride.fig.layer", lang),
        yaxis_title=text("output_stride.fig.rf_size", lang),
        legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom"),
    )
    return fig
