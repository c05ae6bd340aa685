"""The receptive field of one output unit drawn on a photo, one input pixel per photo pixel."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image
from plotly.subplots import make_subplots

from deeplab_core.figures.receptive_field import HOLE_SCALE
from deeplab_core.figures.style import TAP_MARK
from deeplab_core.i18n import text
from deeplab_core.maths.receptive_field import ConvLayer, coverage, receptive_field

ZOOM_SPAN = 4  # the magnified panel shows this many fields across (at least MIN_ZOOM_SIDE photo pixels)
MIN_ZOOM_SIDE = 40


def photo_figure(
    photo_uri: str, photo_size: tuple[int, int], layers: Sequence[ConvLayer], unit: tuple[int, int], lang: str
) -> go.Figure:
    """The receptive field of output unit (row, col) on the photo (a data URI, size (W, H)), 1 input pixel = 1
    photo pixel; red = holes. Left the whole photo, where a small field is marked by guide lines through it (at
    the photo's scale a 9-pixel field is a dot), right the same photo magnified around the field."""
    record = receptive_field(layers)[-1]
    paths = coverage(layers)
    cy, cx = record.centre(unit[0]), record.centre(unit[1])
    half = (record.size - 1) / 2
    width, height = photo_size
    side = max(ZOOM_SPAN * record.size, MIN_ZOOM_SIDE)
    zoom = max(1, round(max(width, height) / side))
    fig = make_subplots(
        1,
        2,
        subplot_titles=[
            text("receptive_field.fig.photo_whole", lang),
            text("receptive_field.fig.photo_zoom", lang, zoom=zoom),
        ],
        horizontal_spacing=0.04,
    )
    hole = np.outer(paths == 0, np.ones_like(paths)) | np.outer(np.ones_like(paths), paths == 0)
    box = dict(type="rect", x0=cx - half - 0.5, x1=cx + half + 0.5, y0=cy - half - 0.5, y1=cy + half + 0.5)
    for col in (1, 2):
        fig.add_trace(go.Image(source=photo_uri, hoverinfo="skip"), row=1, col=col)
        if hole.any():
            fig.add_trace(
                go.Heatmap(
                    z=np.where(hole, 1.0, np.nan),
                    x0=cx - half,
                    dx=1,
                    y0=cy - half,
                    dy=1,
                    colorscale=HOLE_SCALE,
                    opacity=0.55,
                    showscale=False,
                    hoverinfo="skip",
                ),
                row=1,
                col=col,
            )
        fig.add_shape(box, line=dict(color=TAP_MARK, width=3 if col == 2 else 2), row=1, col=col)
    for guide in (dict(x0=cx, x1=cx, y0=-0.5, y1=height - 0.5), dict(x0=-0.5, x1=width - 0.5, y0=cy, y1=cy)):
        fig.add_shape(type="line", line=dict(color=TAP_MARK, width=1, dash="dot"), **guide, row=1, col=1)
    fig.add_trace(
        go.Scatter(x=[cx], y=[cy], mode="markers", marker=dict(symbol="x", size=10, color=TAP_MARK), hoverinfo="skip"),
        row=1,
        col=2,
    )
    fig.update_xaxes(range=[min(-0.5, cx - half - 2), max(width - 0.5, cx + half + 2)], row=1, col=1)
    fig.update_yaxes(range=[max(height - 0.5, cy + half + 2), min(-0.5, cy - half - 2)], row=1, col=1)
    fig.update_xaxes(range=[cx - side / 2, cx + side / 2], row=1, col=2)
    fig.update_yaxes(range=[cy + side / 2, cy - side / 2], row=1, col=2)
    fig.update_xaxes(showgrid=False, showticklabels=False, ticks="", zeroline=False)
    fig.update_yaxes(showgrid=False, showticklabels=False, ticks="", zeroline=False)
    fig.update_yaxes(scaleanchor="x", row=1, col=1)
    fig.update_yaxes(scaleanchor="x2", row=1, col=2)
    fig.update_layout(
        height=420,
        margin=dict(l=5, r=5, t=40, b=5),
        showlegend=False,
        title=text("receptive_field.fig.photo_title", lang, row=unit[0], col=unit[1], size=record.size),
    )
    return fig


def data_uri(image: Image.Image) -> str:
    """A PNG data URI: a far smaller figure than the photo's pixels as a JSON array."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
