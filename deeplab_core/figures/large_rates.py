"""Figures for the large-rates lesson: DeepLabv3's Figure 4 recomputed, valid taps per position, one footprint."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from deeplab_core.figures.style import (
    BLUE,
    EXTRA_COLOURS,
    INK,
    INK_STRONG,
    MAP_FILL,
    PADDING_RING,
    RED,
    REFERENCE,
    SECONDARY,
    VALID_COUNT_COLOURS,
    WHITE,
    square_axes,
)
from deeplab_core.i18n import text
from deeplab_core.maths.valid_weights import WeightCurves

PAPER_COUNTS = (1, 4, 9)  # the three curves DeepLabv3's Figure 4 draws


def _colour(count: int) -> str:
    return VALID_COUNT_COLOURS.get(count, EXTRA_COLOURS[count % len(EXTRA_COLOURS)])


def _count_name(count: int, lang: str) -> str:
    return text("large_rates.fig.one_valid" if count == 1 else "large_rates.fig.n_valid", lang, n=count)


def _vline(x: int, colour: str, width: float, dash: str = "solid") -> dict:
    return dict(type="line", x0=x, x1=x, y0=0, y1=1, yref="paper", line=dict(color=colour, width=width, dash=dash))


def curves_figure(curves: WeightCurves, rate: int, aspp_rates: tuple[int, ...], show_all: bool, lang: str) -> go.Figure:
    """Fraction of positions with 1, 4, 9 (or every) valid weights against the rate; the chosen rate marked.
    Built from plain dicts in one go: plotly's add_vline/add_trace validate per call and cost ~10 ms each."""
    counts = sorted((int(c) for c in curves.counts) if show_all else PAPER_COUNTS, reverse=True)
    hover = text("large_rates.fig.hover_curve", lang) + "<extra>%{fullData.name}</extra>"
    data: list[dict] = [
        dict(
            type="scatter",
            x=curves.rates,
            y=curves.curve(c),
            mode="lines",
            name=_count_name(c, lang),
            hovertemplate=hover,
            line=dict(
                color=_colour(c), width=2.5 if c in PAPER_COUNTS else 1.5, dash="solid" if c in PAPER_COUNTS else "dash"
            ),
        )
        for c in counts
    ]
    at = curves.at(rate)
    data.append(
        dict(
            type="scatter",
            x=[rate] * len(counts),
            y=[at.get(c, 0.0) for c in counts],
            mode="markers",
            showlegend=False,
            hoverinfo="skip",
            marker=dict(size=10, color=[_colour(c) for c in counts], line=dict(color=INK, width=1)),
        )
    )
    shapes = [_vline(r, REFERENCE, 1, "dot") for r in aspp_rates] + [_vline(rate, INK, 1.5)]
    labels = [
        dict(
            x=r,
            y=1,
            yref="paper",
            yanchor="top",
            xanchor="right",
            textangle=-90,
            showarrow=False,
            text=text("large_rates.fig.aspp_rate", lang, r=r),
            font=dict(size=11, color=SECONDARY),
        )
        for r in aspp_rates
    ]
    layout = dict(
        title=text("large_rates.fig.curves_title", lang, k=curves.kernel_size, n=curves.feature_size),
        xaxis=dict(title=text("large_rates.fig.rate_axis", lang), range=[0, int(curves.rates.max()) + 1]),
        yaxis=dict(title=text("large_rates.fig.fraction_axis", lang), range=[-0.02, 1.05]),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, x=1, xanchor="right"),
        shapes=shapes,
        annotations=labels,
        margin=dict(l=10, r=10, t=80, b=40),
        height=420,
    )
    return go.Figure(data=data, layout=layout)


def counts_heatmap(counts: np.ndarray, row: int, col: int, lang: str) -> go.Figure:
    """Valid taps at every output position, one colour per count, the chosen position circled."""
    present = np.unique(counts)  # (C,)
    index = np.searchsorted(present, counts)  # (H, W) colour index per position
    n = len(present)
    scale = [[(i + edge) / n, _colour(int(c))] for i, c in enumerate(present) for edge in (0, 1)]
    data: list[dict] = [
        dict(
            type="heatmap",
            z=index,
            customdata=counts,
            zmin=-0.5,
            zmax=n - 0.5,
            colorscale=scale,
            colorbar=dict(
                title=dict(text=text("large_rates.fig.valid_taps", lang)),
                tickvals=list(range(n)),
                ticktext=[str(int(c)) for c in present],
            ),
            hovertemplate=text("large_rates.fig.hover_count", lang) + "<extra></extra>",
        ),
        dict(
            type="scatter",
            x=[col],
            y=[row],
            mode="markers",
            showlegend=False,
            hoverinfo="skip",
            marker=dict(size=14, symbol="circle-open", color=INK_STRONG, line=dict(width=3)),
        ),
    ]
    layout = dict(
        title=text("large_rates.fig.heatmap_title", lang, n=counts.shape[0]),
        height=460,
        margin=dict(l=10, r=10, t=50, b=10),
        **square_axes(ticks=True),
    )
    return go.Figure(data=data, layout=layout)


def _legend_square(name: str, fill: str, edge: str | None) -> dict:
    """A legend-only entry for a shape (shapes have no legend of their own)."""
    line = dict(color=edge, width=2) if edge else dict(width=0)
    return dict(
        type="scatter",
        x=[None],
        y=[None],
        mode="markers",
        name=name,
        marker=dict(size=14, symbol="square", color=fill, line=line),
    )


def footprint_figure(feature_size: int, rate: int, row: int, col: int, validity: np.ndarray, lang: str) -> go.Figure:
    """The k×k atrous filter centred on (row, col), on the map and its zero-padding ring (padding = rate·(k−1)/2).
    `validity` is (k, k): True where the tap reads the map."""
    k = validity.shape[0]
    pad = rate * (k // 2)
    offsets = (np.arange(k) - k // 2) * rate  # (k,)
    ys, xs = np.meshgrid(row + offsets, col + offsets, indexing="ij")  # (k, k) tap coordinates on the map
    hover = text("large_rates.fig.hover_tap", lang) + "<extra></extra>"
    data: list[dict] = [
        dict(
            type="scatter",
            x=xs[validity == on_map],
            y=ys[validity == on_map],
            mode="markers",
            name=text(f"large_rates.fig.{key}", lang, n=int((validity == on_map).sum())),
            hovertemplate=hover,
            cliponaxis=False,
            marker=dict(size=15, color=colour, symbol=symbol, line=dict(color=WHITE, width=1)),
        )
        for on_map, key, colour, symbol in (
            (True, "tap_on_map", BLUE, "circle"),
            (False, "tap_on_padding", RED, "x"),
        )
    ]
    data += [
        _legend_square(text("large_rates.fig.map", lang, n=feature_size), MAP_FILL, BLUE),
        _legend_square(text("large_rates.fig.padding", lang, p=pad), PADDING_RING, None),
    ]
    lo, hi = -pad - 0.5, feature_size - 0.5 + pad
    view = max(2.0, 0.04 * (hi - lo))  # room around the padding ring, so taps on its rim are not cut
    span = rate * (k // 2)
    shapes = [
        dict(type="rect", x0=lo, y0=lo, x1=hi, y1=hi, fillcolor=PADDING_RING, line=dict(width=0), layer="below"),
        dict(
            type="rect",
            x0=-0.5,
            y0=-0.5,
            x1=feature_size - 0.5,
            y1=feature_size - 0.5,
            fillcolor=MAP_FILL,
            line=dict(color=BLUE, width=2),
            layer="below",
        ),
        dict(
            type="rect",
            x0=col - span,
            y0=row - span,
            x1=col + span,
            y1=row + span,
            line=dict(color=SECONDARY, dash="dash", width=1),
        ),
    ]
    layout = dict(
        title=text("large_rates.fig.footprint_title", lang, k=k, r=rate, row=row, col=col),
        height=460,
        margin=dict(l=10, r=10, t=50, b=10),
        shapes=shapes,
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),  # above: below, it covered the ticks
        **square_axes([lo - view, hi + view], [hi + view, lo - view], ticks=True),
    )
    return go.Figure(data=data, layout=layout)
