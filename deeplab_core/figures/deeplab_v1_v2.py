"""Figures of the DeepLab v1/v2 lesson: v2's ASPP drawn from the built module, and the CRF's steps.

The label maps are PNG images inside plotly figures (small to send, one frame per mean-field step, with plotly's
own play button and slider); every label map carries a colour legend of the classes it shows.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image
from plotly.subplots import make_subplots

from deeplab_core.figures.animation import animation_controls
from deeplab_core.figures.style import (
    BLUE,
    BRANCH_COLOURS,
    CRF_CHANGED,
    GREY,
    INK,
    NEUTRAL_FILL,
    PALETTE,
    RED,
    SUM_FILL,
    WHITE,
    arrow,
    box,
    hex_colour,
    rgb,
)
from deeplab_core.i18n import text
from deeplab_core.maths.crf import CrfTrace
from deeplab_core.nets.deeplab_v2 import BranchLayers

FRAME_MS = 700  # one mean-field step per frame while playing


def v2_aspp_diagram(branches: Sequence[BranchLayers], in_channels: int, output_stride: int, lang: str) -> go.Figure:
    """pool5 → four parallel fc6 → fc7 → fc8 branches → sum of the class scores, labelled from the module."""
    fig = go.Figure()
    box(fig, 0, 0, 1.6, 1.2, text("deeplab_v1_v2.fig.pool5", lang, c=in_channels, os=output_stride), fill=NEUTRAL_FILL)
    ys = np.linspace(2.4, -2.4, len(branches))
    for y, branch, colour in zip(ys, branches, BRANCH_COLOURS[1:], strict=False):
        fc6, fc7, fc8 = branch.layers
        span = fc6.kernel_size + (fc6.kernel_size - 1) * (fc6.rate - 1)
        label = text(
            "deeplab_v1_v2.fig.v2_branch",
            lang,
            rate=fc6.rate,
            span=span,
            c6=fc6.out_channels,
            c7=fc7.out_channels,
            classes=fc8.out_channels,
        )
        box(fig, 3.4, y, 3.3, 1.0, label, fill=colour, opacity=0.25)
        arrow(fig, 0.8, 0, 1.75, y)
        arrow(fig, 5.05, y, 6.0, 0)
    classes = branches[0].layers[-1].out_channels
    box(fig, 6.6, 0, 1.2, 1.2, text("deeplab_v1_v2.fig.sum", lang, classes=classes), fill=SUM_FILL)
    fig.update_xaxes(visible=False, range=[-1, 7.6])
    fig.update_yaxes(visible=False, range=[-3.1, 3.1])
    fig.update_layout(height=430, margin=dict(t=10, b=10, l=10, r=10), plot_bgcolor=WHITE)
    return fig


def _png(rgb: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG", optimize=False)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def overlay(photo: np.ndarray, labels: np.ndarray, changed: np.ndarray | None = None) -> np.ndarray:
    """(H, W, 3) uint8: the labels' VOC colours over the photo, changed pixels in the highlight colour."""
    blended = (0.6 * PALETTE[labels] + 0.4 * photo).astype(np.uint8)
    if changed is not None:
        blended[changed] = rgb(CRF_CHANGED)
    return blended


def _legend(fig: go.Figure, classes: Sequence[tuple[int, str]], changed_label: str | None) -> None:
    entries = [(hex_colour(PALETTE[index]), name) for index, name in classes]
    if changed_label:
        entries.append((CRF_CHANGED, changed_label))
    for colour, name in entries:
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                marker=dict(color=colour, size=13, symbol="square", line=dict(color=INK, width=1)),
                name=name,
                showlegend=True,
                hoverinfo="skip",
            )
        )


def crf_steps_figure(
    photo: np.ndarray | Image.Image,
    trace: CrfTrace,
    names: Sequence[str],
    step: int,
    lang: str,
    truth: np.ndarray | None = None,
) -> go.Figure:
    """The photo (and the true labels, for the constructed example) beside the label map after each step, with
    the pixels that step changed highlighted; plotly's play button and slider walk through the steps."""
    photo = np.asarray(photo.convert("RGB")) if isinstance(photo, Image.Image) else photo  # (H, W, 3) uint8
    panels = [(text("deeplab_v1_v2.fig.photo", lang), _png(photo))]
    if truth is not None:
        panels.append((text("deeplab_v1_v2.fig.truth", lang), _png(overlay(photo, truth))))
    frames_png = [
        _png(overlay(photo, trace.labels[s], trace.changed_mask(s) if s else None)) for s in range(len(trace.labels))
    ]
    titles = [title for title, _ in panels] + [text("deeplab_v1_v2.fig.after_step", lang)]
    fig = make_subplots(rows=1, cols=len(titles), subplot_titles=titles, horizontal_spacing=0.02)
    for col, (_, source) in enumerate(panels, start=1):
        fig.add_trace(go.Image(source=source, hoverinfo="skip"), row=1, col=col)
    last = len(titles)
    fig.add_trace(go.Image(source=frames_png[step], hoverinfo="skip"), row=1, col=last)
    label_trace = len(panels)
    present = np.unique(np.concatenate([trace.labels.reshape(-1)] + ([truth.reshape(-1)] if truth is not None else [])))
    _legend(fig, [(int(i), names[int(i)]) for i in present], text("deeplab_v1_v2.fig.changed", lang))
    fig.frames = [
        go.Frame(data=[go.Image(source=png)], traces=[label_trace], name=str(s)) for s, png in enumerate(frames_png)
    ]
    fig.update_layout(
        height=420,
        margin=dict(t=40, b=10, l=10, r=10),
        legend=dict(orientation="h", y=-0.02, yanchor="top"),
        **animation_controls(
            [(str(s), str(s)) for s in range(len(frames_png))],
            frame_ms=FRAME_MS,
            prefix=text("deeplab_v1_v2.fig.step", lang),
            lang=lang,
            y=-0.14,  # the buttons' top at -0.16: clear of the legend's row
            slider_x=0.2,
            active=step,
        ),
    )
    for col in range(1, last + 1):
        fig.update_xaxes(visible=False, row=1, col=col)
        fig.update_yaxes(visible=False, row=1, col=col)
    return fig


def energy_figure(trace: CrfTrace, step: int, lang: str) -> go.Figure:
    """Free energy F(Q) after each step (line), and the pixels each step relabelled (bars, right axis)."""
    steps = list(range(len(trace.free_energy)))
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(
        go.Bar(
            x=steps[1:], y=trace.changed[1:], name=text("deeplab_v1_v2.fig.changed_pixels", lang), marker_color=GREY
        ),
        secondary_y=True,
    )
    fig.add_trace(
        go.Scatter(
            x=steps,
            y=trace.free_energy,
            mode="lines+markers",
            name=text("deeplab_v1_v2.fig.free_energy", lang),
            line=dict(color=BLUE),
        ),
        secondary_y=False,
    )
    fig.add_vline(x=step, line=dict(color=RED, dash="dot"))
    fig.update_xaxes(title=text("deeplab_v1_v2.fig.step_axis", lang), dtick=1)
    fig.update_yaxes(title=text("deeplab_v1_v2.fig.free_energy", lang), secondary_y=False)
    fig.update_yaxes(title=text("deeplab_v1_v2.fig.changed_pixels", lang), secondary_y=True, showgrid=False)
    fig.update_layout(height=320, margin=dict(t=20, b=40), legend=dict(orientation="h", y=1.12))
    return fig
