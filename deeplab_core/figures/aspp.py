"""Figures of the ASPP lesson: the module drawn from its real layers, branch activations, shares, ablation."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from deeplab_core.figures.style import (
    ABLATION_CHANGED,
    BRANCH_COLOURS,
    CONCAT_COLOUR,
    GREY,
    PROJECTION_COLOUR,
    WHITE,
    arrow,
    box,
    heatmap_grid,
    label_image,
    rgb,
    tint,
)
from deeplab_core.i18n import text
from deeplab_core.nets.aspp_probe import Ablation, BranchInfo, BranchView


def branch_name(kind: str, rate: int | None, lang: str) -> str:
    return text(f"aspp.branch.{kind}", lang, rate=rate) if kind == "atrous" else text(f"aspp.branch.{kind}", lang)


def _block(fig: go.Figure, x: float, y: float, w: float, h: float, label: str, colour: str) -> None:
    """A diagram block: a pale tint of its colour, the colour as its edge, dark text."""
    box(fig, x, y, w, h, label, fill=tint(colour), edge=colour)


def aspp_diagram(
    branches: Sequence[BranchInfo], projection: BranchInfo, feature_shape: tuple[int, int, int] | None, lang: str
) -> go.Figure:
    """Input map → five parallel branches → concatenation → 1×1 projection, labelled from the modules. Drawn top
    to bottom, each branch a full-width row: side by side, five boxes of module details do not fit a phone."""
    fig = go.Figure()
    c_in = branches[0].in_channels
    size = f"{feature_shape[1]}×{feature_shape[2]}" if feature_shape else "h×w"
    rows = len(branches)
    top, bottom = rows + 1.0, -2.0  # input above the branches (rows 1 … n), concat and projection below
    _block(fig, 5.0, top, 5.0, 0.8, text("aspp.fig.input", lang, c=c_in, size=size), GREY)
    ys = [float(rows - i) for i in range(rows)]
    fig.add_shape(type="line", x0=0.4, x1=0.4, y0=top, y1=ys[-1], line=dict(color=GREY, width=1.4))  # the fan-out
    fig.add_shape(type="line", x0=2.5, x1=0.4, y0=top, y1=top, line=dict(color=GREY, width=1.4))
    fig.add_shape(type="line", x0=9.6, x1=9.6, y0=ys[0], y1=-0.75, line=dict(color=GREY, width=1.4))  # gathering
    for y, branch, colour in zip(ys, branches, BRANCH_COLOURS, strict=True):
        bn = " + BN + ReLU" if branch.batch_norm else ""
        if branch.kind == "pooling":
            detail = text("aspp.fig.pool_detail", lang, c_in=branch.in_channels, c_out=branch.out_channels, bn=bn)
        else:
            k = branch.kernel_size
            span = k + (k - 1) * (branch.rate - 1)
            detail = text("aspp.fig.conv_detail", lang, k=k, rate=branch.rate, span=span, c_in=branch.in_channels,
                          c_out=branch.out_channels, bn=bn)  # fmt: skip
        _block(fig, 5.0, y, 8.4, 0.8, f"<b>{branch_name(branch.kind, branch.rate, lang)}</b> · {detail}", colour)
        arrow(fig, 0.4, y, 0.8, y)
        fig.add_shape(type="line", x0=9.2, x1=9.6, y0=y, y1=y, line=dict(color=GREY, width=1.4))
    total = sum(b.out_channels for b in branches)
    _block(fig, 5.0, -0.75, 5.0, 0.8, text("aspp.fig.concat", lang, c=total), CONCAT_COLOUR)
    arrow(fig, 9.6, -0.75, 7.5, -0.75)
    bn = " + BN + ReLU" if projection.batch_norm else ""
    label = text("aspp.fig.projection", lang, c_in=projection.in_channels, c_out=projection.out_channels, bn=bn)
    _block(fig, 5.0, bottom, 5.0, 0.8, label, PROJECTION_COLOUR)
    arrow(fig, 5.0, -1.15, 5.0, bottom + 0.4)
    fig.update_xaxes(visible=False, range=[0, 10], fixedrange=True)
    fig.update_yaxes(visible=False, range=[bottom - 0.5, top + 0.5], fixedrange=True)
    fig.update_layout(height=70 * (rows + 4), margin=dict(t=5, b=5, l=5, r=5), plot_bgcolor=WHITE)
    return fig


GRID_COLUMNS = 3  # maps per row: five or six side by side are too small to read on a phone


def _grid(titles: Sequence[str]) -> tuple[go.Figure, int]:
    """An empty grid of GRID_COLUMNS columns for len(titles) square maps, room for two-line titles; its rows."""
    rows = -(-len(titles) // GRID_COLUMNS)
    fig = make_subplots(
        rows=rows, cols=GRID_COLUMNS, subplot_titles=list(titles), horizontal_spacing=0.03, vertical_spacing=0.14
    )
    fig.update_annotations(font_size=13)  # subplot titles; projector mode raises them to its size
    return fig, rows


def branch_maps_figure(views: Sequence[BranchView], lang: str) -> go.Figure:
    """Mean over channels of each branch's output (after its BN and ReLU, so ≥ 0), one heatmap per branch."""
    fig, rows = _grid([branch_name(v.kind, v.rate, lang) for v in views])
    top = max(float(v.mean.max()) for v in views)  # one colour scale for all: the branches can be compared
    hover = text("aspp.fig.hover_mean", lang) + "<extra></extra>"
    maps = [v.mean for v in views]
    heatmap_grid(fig, maps, GRID_COLUMNS, colorscale="Viridis", zmin=0, zmax=top, hovertemplate=hover)
    fig.update_traces(showscale=False)
    fig.data[-1].showscale = True
    fig.update_layout(height=40 + 210 * rows, margin=dict(t=40, b=0, l=0, r=0))
    return fig


def channels_figure(view: BranchView, lang: str) -> go.Figure:
    fig, rows = _grid([text("aspp.fig.channel", lang, c=c) for c in view.strongest])
    hover = text("aspp.fig.hover_mean", lang) + "<extra></extra>"
    heatmap_grid(fig, list(view.channel_maps), GRID_COLUMNS, colorscale="Magma", showscale=False, hovertemplate=hover)
    fig.update_layout(height=40 + 200 * rows, margin=dict(t=40, b=0, l=0, r=0))
    return fig


def shares_figure(views: Sequence[BranchView], shares: Sequence[float], lang: str) -> go.Figure:
    """Each branch's share of the projection's input, as lying bars: the branch names read across at any width."""
    names = [branch_name(v.kind, v.rate, lang) for v in views]
    bars = go.Bar(
        y=names,
        x=list(shares),
        orientation="h",
        marker_color=list(BRANCH_COLOURS),
        texttemplate="%{x:.1%}",
        textposition="outside",
        cliponaxis=False,
    )
    fig = go.Figure(bars)
    fig.update_layout(
        height=300,
        margin=dict(t=40, b=30, r=50),
        title=text("aspp.fig.shares_title", lang),
        xaxis=dict(tickformat=".0%", title=text("aspp.fig.share", lang)),
        yaxis=dict(autorange="reversed"),
    )
    return fig


def ablation_figure(photo: np.ndarray, own: np.ndarray, result: Ablation, lang: str) -> go.Figure:
    """The photo, the network's label map, the map with the muted branch, and the pixels that changed."""
    changed = np.where(
        result.changed[..., None], np.array(rgb(ABLATION_CHANGED), dtype=np.uint8), (photo // 3 + 150).astype(np.uint8)
    )  # changed pixels in red over a faded photo
    titles = [
        text("aspp.fig.photo", lang),
        text("aspp.fig.own_labels", lang),
        text("aspp.fig.muted_labels", lang),
        text("aspp.fig.changed", lang, n=result.changed_pixels, pct=f"{result.changed_fraction:.1%}"),
    ]
    fig = make_subplots(rows=2, cols=2, subplot_titles=titles, horizontal_spacing=0.02, vertical_spacing=0.14)
    for i, image in enumerate((photo, label_image(own), label_image(result.labels), changed)):
        fig.add_trace(go.Image(z=image, hoverinfo="skip"), row=i // 2 + 1, col=i % 2 + 1)  # 2 × 2: fits a phone
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(height=560, margin=dict(t=55, b=0, l=0, r=0))
    return fig
