"""The receptive field of one output unit drawn on a photo, one input pixel per photo pixel."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from deeplab_core.figures.receptive_field import HOLE_SCALE
from deeplab_core.figures.style import TAP_MARK
from deeplab_core.i18n import text
from deeplab_core.maths.receptive_field import ConvLayer, coverage, receptive_field


def photo_figure(
    photo_uri: str, photo_size: tuple[int, int], layers: Sequence[ConvLayer], unit: tuple[int, int], lang: str
) -> go.Figure:
    """The receptive field of output unit (row, col) on the photo (a data URI, size (W, H)), 1 input pixel = 1
    photo pixel; red = holes."""
    record = receptive_field(layers)[-1]
    paths = coverage(layers)
    cy, cx = record.centre(unit[0]), record.centre(unit[1])
    half = (record.size - 1) / 2
    fig = go.Figure(go.Image(source=photo_uri, hoverinfo="skip"))
    hole = np.outer(paths == 0, np.ones_like(paths)) | np.outer(np.ones_like(paths), paths == 0)
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
            )
        )
    fig.add_shape(
        type="rect",
        x0=cx - half - 0.5,
        x1=cx + half + 0.5,
        y0=cy - half - 0.5,
        y1=cy + half + 0.5,
        line=dict(color=TAP_MARK, width=3),
    )
    fig.add_trace(
        go.Scatter(x=[cx], y=[cy], mode="markers", marker=dict(symbol="x", size=10, color=TAP_MARK), hoverinfo="skip")
    )
    width, height = photo_size
    fig.update_xaxes(range=[min(-0.5, cx - half - 2), max(width - 0.5, cx + half + 2)], showgrid=False)
    fig.update_yaxes(
        range=[max(height - 0.5, cy + half + 2), min(-0.5, cy - half - 2)], scaleanchor="x", showgrid=False
    )
    fig.update_layout(
        height=560,
        margin=dict(l=10, r=10, t=40, b=10),
        showlegend=False,
        title=text("receptive_field.fig.photo_title", lang, row=unit[0], col=unit[1], size=record.size),
    )
    return fig


def data_uri(image: Image.Image) -> str:
    """A PNG data URI: a far smaller figure than the photo's pixels as a JSON array."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
