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
    heatmap_row,
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
    """Input map → five parallel branches → concatenation → 1×1 projection, labelled from the modules."""
    fig = go.Figure()
    c_in = branches[0].in_channels
    size = f"{feature_shape[1]}×{feature_shape[2]}" if feature_shape else "h×w"
    _block(fig, 0, 0, 1.6, 1.2, text("aspp.fig.input", lang, c=c_in, size=size), GREY)
    ys = np.linspace(2.4, -2.4, len(branches))
    for y, branch, colour in zip(ys, branches, BRANCH_COLOURS, strict=True):
        bn = " + BN + ReLU" if branch.batch_norm else ""
        if branch.kind == "pooling":
            detail = text("aspp.fig.pool_detail", lang, c_in=branch.in_channels, c_out=branch.out_channels, bn=bn)
        else:
            k = branch.kernel_size
            detail = text(
                "aspp.fig.conv_detail",
                lang,
                k=k,
                rate=branch.rate,
                c_in=branch.in_channels,
                c_out=branch.out_channels,
                bn=bn,
                span=k + (k - 1) * (branch.rate - 1),
            )
        _block(fig, 3.2, y, 2.9, 0.95, f"<b>{branch_name(branch.kind, branch.rate, lang)}</b><br>{detail}", colour)
        arrow(fig, 0.8, 0, 1.75, y)
        arrow(fig, 4.65, y, 5.75, 0)
    total = sum(b.out_channels for b in branches)
    _block(fig, 6.4, 0, 1.3, 1.4, text("aspp.fig.concat", lang, c=total), CONCAT_COLOUR)
    bn = " + BN + ReLU" if projection.batch_norm else ""
    _block(
        fig,
        8.6,
        0,
        2.3,
        1.4,
        text("aspp.fig.projection", lang, c_in=projection.in_channels, c_out=projection.out_channels, bn=bn),
        PROJECTION_COLOUR,
    )
    arrow(fig, 7.05, 0, 7.45, 0)
    fig.update_xaxes(visible=False, range=[-1, 10])
    fig.update_yaxes(visible=False, range=[-3.1, 3.1])
    fig.update_layout(height=460, margin=dict(t=10, b=10, l=10, r=10), plot_bgcolor=WHITE)
    return fig


def branch_maps_figure(views: Sequence[BranchView], lang: str) -> go.Figure:
    """Mean over channels of each branch's output (after its BN and ReLU, so ≥ 0), one heatmap per branch."""
    titles = [branch_name(v.kind, v.rate, lang) for v in views]
    fig = make_subplots(rows=1, cols=len(views), subplot_titles=titles, horizontal_spacing=0.02)
    top = max(float(v.mean.max()) for v in views)  # one colour scale for all: the branches can be compared
    hover = text("aspp.fig.hover_mean", lang) + "<extra></extra>"
    heatmap_row(fig, [v.mean for v in views], colorscale="Viridis", zmin=0, zmax=top, hovertemplate=hover)
    fig.update_traces(showscale=False)
    fig.data[-1].showscale = True
    fig.update_layout(height=260, margin=dict(t=40, b=0, l=0, r=0))
    return fig


def channels_figure(view: BranchView, lang: str) -> go.Figure:
    titles = [text("aspp.fig.channel", lang, c=c) for c in view.strongest]
    fig = make_subplots(rows=1, cols=len(view.strongest), subplot_titles=titles, horizontal_spacing=0.03)
    hover = text("aspp.fig.hover_mean", lang) + "<extra></extra>"
    heatmap_row(fig, list(view.channel_maps), colorscale="Magma", showscale=False, hovertemplate=hover)
    fig.update_layout(height=240, margin=dict(t=40, b=0, l=0, r=0))
    return fig


def shares_figure(views: Sequence[BranchView], shares: Sequence[float], lang: str) -> go.Figure:
    names = [branch_name(v.kind, v.rate, lang) for v in views]
    fig = go.Figure(go.Bar(x=names, y=list(shares), marker_color=list(BRANCH_COLOURS), texttemplate="%{y:.1%}"))
    fig.update_layout(
        height=300,
        margin=dict(t=40, b=30),
        title=text("aspp.fig.shares_title", lang),
        yaxis=dict(tickformat=".0%", title=text("aspp.fig.share", lang)),
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
    fig = make_subplots(rows=1, cols=4, subplot_titles=titles, horizontal_spacing=0.02)
    for col, image in enumerate((photo, label_image(own), label_image(result.labels), changed), start=1):
        fig.add_trace(go.Image(z=image, hoverinfo="skip"), row=1, col=col)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(height=300, margin=dict(t=40, b=0, l=0, r=0))
    return fig
