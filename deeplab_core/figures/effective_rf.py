"""The effective receptive field (Luo et al., NeurIPS 2016) as measured by autograd, beside Gaussians of the same
spread: the receptive-field lesson's third figure."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from deeplab_core.figures.style import BLUE, HOLE_COLOUR, TEAL, WHITE
from deeplab_core.i18n import text
from deeplab_core.maths.effective_rf import ERFStats


def erf_figure(erfs: dict[str, np.ndarray], stats: dict[str, ERFStats], lang: str) -> go.Figure:
    """Each measured ERF inside its theoretical square (red) and the square holding 95 % of it (white dashes)."""
    names = list(erfs)
    size = next(iter(erfs.values())).shape[0]
    margin = max(2, size // 8)
    titles = [text(f"receptive_field.fig.erf_{n}", lang, sigma=f"{stats[n].sigma:.1f}") for n in names]
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=titles, horizontal_spacing=0.06)
    square = dict(
        type="rect",
        x0=margin - 0.5,
        y0=margin - 0.5,
        x1=margin + size - 0.5,
        y1=margin + size - 0.5,
        line=dict(color=HOLE_COLOUR, width=2),
    )
    for col, name in enumerate(names, start=1):
        canvas = np.pad(erfs[name] / erfs[name].max(), margin)  # (R + 2m, R + 2m)
        fig.add_trace(
            go.Heatmap(z=canvas, colorscale="Viridis", showscale=False, hovertemplate="%{z:.3f}<extra></extra>"),
            row=1,
            col=col,
        )
        fig.add_shape(square, row=1, col=col)
        half = stats[name].side_95 / 2
        centre = margin + (size - 1) / 2
        fig.add_shape(
            dict(
                type="rect",
                x0=centre - half,
                y0=centre - half,
                x1=centre + half,
                y1=centre + half,
                line=dict(color=WHITE, width=1, dash="dash"),
            ),
            row=1,
            col=col,
        )
        fig.update_yaxes(
            autorange="reversed", scaleanchor=f"x{col}", showticklabels=False, showgrid=False, ticks="", row=1, col=col
        )
        fig.update_xaxes(showticklabels=False, showgrid=False, ticks="", row=1, col=col)
    fig.update_layout(height=360, margin=dict(l=10, r=10, t=60, b=10))  # two-line titles
    return fig


def erf_profile_figure(erfs: dict[str, np.ndarray], stats: dict[str, ERFStats], lang: str) -> go.Figure:
    """The ERFs' profiles across the window (summed over rows) against Gaussians of the same sigma; a chart of
    its own, so on a phone it has the page's width and its legend a row above it."""
    size = next(iter(erfs.values())).shape[0]
    coords = np.arange(size) - (size - 1) / 2
    fig = go.Figure()
    for name, colour in zip(erfs, (BLUE, TEAL), strict=False):
        profile = erfs[name].sum(0)
        sigma = stats[name].sigma
        label = text(f"receptive_field.fig.series_{name}", lang)
        fig.add_scatter(x=coords, y=profile / profile.max(), mode="lines", name=label, line=dict(color=colour))
        fig.add_scatter(
            x=coords,
            y=np.exp(-(coords**2) / (2 * sigma**2)),
            mode="lines",
            line=dict(color=colour, dash="dot"),
            name=text("receptive_field.fig.gaussian", lang, name=label),
        )
    fig.update_xaxes(title_text=text("receptive_field.fig.offset", lang))
    fig.update_layout(
        title=text("receptive_field.fig.profile", lang),
        height=380,
        margin=dict(l=10, r=10, t=40, b=10),
        legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom"),
    )
    return fig
