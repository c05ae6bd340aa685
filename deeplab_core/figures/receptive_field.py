"""Figures for the receptive-field lesson: the growth animation, size against depth, the coverage checkerboard,
the effective receptive field and the receptive field on a photo."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image
from plotly.subplots import make_subplots

from deeplab_core.figures.style import square_axes
from deeplab_core.i18n import text
from deeplab_core.maths.effective_rf import ERFStats
from deeplab_core.maths.receptive_field import (
    ConvLayer,
    coverage,
    prefix_coverages,
    receptive_field,
    rf_growth,
    same_conv,
)

SAMPLES = ("chelsea", "astronaut")  # names in deeplab_core.samples: the photos this lesson offers
MAX_ANIMATION_SIZE = 161  # grid side in pixels; beyond it the frames get too heavy for the browser
GRID_BACKGROUND = "#eef0f3"  # the whole grid in a faint grey: the field's growth shows against its final extent
_COUNT_SCALE = [[0, "#dbe8f8"], [1, "#0b3d91"]]
_HOLE_SCALE = [[0, "#e4572e"], [1, "#e4572e"]]


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
            colorscale=_COUNT_SCALE,
            showscale=False,
            xgap=gap,
            ygap=gap,
            hovertemplate="(%{y}, %{x}): %{z}<extra></extra>",
            _validate=False,
        ),
        go.Heatmap(
            z=hole, colorscale=_HOLE_SCALE, showscale=False, xgap=gap, ygap=gap, hoverinfo="skip", _validate=False
        ),
    ]


def growth_animation(layers: Sequence[ConvLayer], lang: str) -> dict:
    """One frame per layer: the receptive field of a unit after that layer, and the taps that layer reads.

    Returned as a plotly figure dict with frames of plain dicts: validating every frame's traces costs about
    20 ms a frame, and these traces are fixed here (the tests validate the whole figure once)."""
    records = receptive_field(layers)
    size = records[-1].size
    patterns = prefix_coverages(layers)
    frames = []
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
            marker=dict(symbol="circle-open", size=9, color="#f5b700", line=dict(width=2)),
        )
        title = text(
            "receptive_field.fig.frame_title",
            lang,
            layer=depth,
            spec=_layer_label(layer),
            size=record.size,
            holes=int((paths == 0).sum()),
        )
        frames.append(
            {
                "data": [trace.to_plotly_json() for trace in (*_grid_traces(paths, size), marks)],
                "name": str(depth),
                "layout": {"title": {"text": title}},
            }
        )
    fig = go.Figure(data=frames[0]["data"])
    fig.update_layout(plot_bgcolor=GRID_BACKGROUND, **square_axes([-0.5, size - 0.5], [size - 0.5, -0.5]))
    play = dict(frame=dict(duration=900, redraw=True), fromcurrent=True, transition=dict(duration=0))
    fig.update_layout(
        title=frames[0]["layout"]["title"],
        height=560,
        margin=dict(l=10, r=10, t=50, b=90),
        showlegend=False,
        updatemenus=[
            dict(
                type="buttons",
                direction="left",
                x=0,
                y=-0.04,
                xanchor="left",
                yanchor="top",
                buttons=[
                    dict(label=text("receptive_field.fig.play", lang), method="animate", args=[None, play]),
                    dict(
                        label=text("receptive_field.fig.pause", lang),
                        method="animate",
                        args=[[None], dict(frame=dict(duration=0, redraw=False), mode="immediate")],
                    ),
                ],
            )
        ],
        sliders=[
            dict(
                x=0.2,
                y=-0.02,
                len=0.8,
                currentvalue=dict(prefix=text("receptive_field.fig.layer", lang)),
                steps=[
                    dict(
                        label=str(i),
                        method="animate",
                        args=[[str(i)], dict(mode="immediate", frame=dict(duration=0, redraw=True))],
                    )
                    for i in range(1, len(layers) + 1)
                ],
            )
        ],
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
    fig = go.Figure(
        [
            go.Scatter(
                x=list(range(depth + 1)),
                y=sizes,
                mode="lines+markers",
                name=text(f"receptive_field.fig.series_{name}", lang),
            )
            for name, sizes in series.items()
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
            marker_color=np.where(paths == 0, "#e4572e", "#1f6fd1"),
            customdata=offsets,
            hovertemplate="%{customdata}: %{y}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    for trace in _grid_traces(paths, size):
        fig.add_trace(trace, row=2, col=1)
    fig.update_yaxes(autorange="reversed", scaleanchor="x2", showticklabels=False, row=2, col=1)
    fig.update_xaxes(showticklabels=False, showgrid=False, row=2, col=1)
    fig.update_yaxes(title_text=text("receptive_field.fig.paths", lang), row=1, col=1)
    fig.update_layout(
        height=620,
        margin=dict(l=10, r=10, t=40, b=10),
        showlegend=False,
        title=text("receptive_field.fig.coverage_title", lang, size=size, holes=int((paths == 0).sum())),
    )
    return fig


def erf_figure(erfs: dict[str, np.ndarray], stats: dict[str, ERFStats], lang: str) -> go.Figure:
    """Each measured ERF inside its theoretical square, then their profiles against Gaussians of the same sigma."""
    names = list(erfs)
    size = next(iter(erfs.values())).shape[0]
    margin = max(2, size // 8)
    titles = [text(f"receptive_field.fig.erf_{n}", lang, sigma=f"{stats[n].sigma:.1f}") for n in names]
    fig = make_subplots(
        rows=1,
        cols=len(names) + 1,
        subplot_titles=[*titles, text("receptive_field.fig.profile", lang)],
        horizontal_spacing=0.06,
    )
    square = dict(
        type="rect",
        x0=margin - 0.5,
        y0=margin - 0.5,
        x1=margin + size - 0.5,
        y1=margin + size - 0.5,
        line=dict(color="#e4572e", width=2),
    )
    coords = np.arange(size) - (size - 1) / 2
    colours = ("#1f6fd1", "#2a9d8f")
    for col, (name, colour) in enumerate(zip(names, colours[: len(names)], strict=True), start=1):
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
                line=dict(color="white", width=1, dash="dash"),
            ),
            row=1,
            col=col,
        )
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{col}", showticklabels=False, row=1, col=col)
        fig.update_xaxes(showticklabels=False, showgrid=False, row=1, col=col)
        profile = erfs[name].sum(0)
        sigma = stats[name].sigma
        gauss = np.exp(-(coords**2) / (2 * sigma**2))
        label = text(f"receptive_field.fig.series_{name}", lang)
        fig.add_trace(
            go.Scatter(x=coords, y=profile / profile.max(), mode="lines", name=label, line=dict(color=colour)),
            row=1,
            col=len(names) + 1,
        )
        fig.add_trace(
            go.Scatter(
                x=coords,
                y=gauss,
                mode="lines",
                line=dict(color=colour, dash="dot"),
                name=text("receptive_field.fig.gaussian", lang, name=label),
            ),
            row=1,
            col=len(names) + 1,
        )
    fig.update_xaxes(title_text=text("receptive_field.fig.offset", lang), row=1, col=len(names) + 1)
    fig.update_layout(height=400, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.2, x=0.6))
    return fig


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
                colorscale=_HOLE_SCALE,
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
        line=dict(color="#f5b700", width=3),
    )
    fig.add_trace(
        go.Scatter(x=[cx], y=[cy], mode="markers", marker=dict(symbol="x", size=10, color="#f5b700"), hoverinfo="skip")
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
