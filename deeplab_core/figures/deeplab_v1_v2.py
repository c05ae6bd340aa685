"""Figures of the DeepLab v1/v2 lesson: v2's ASPP drawn from the built module, and the CRF's steps.

The CRF's label maps are PNG images inside plotly figures, one small figure per panel (the page lays them out in
columns, which stack on a phone), all at the one step the page's step slider chooses: the pictures, the numbers
and the energy chart always show the same step. The zoomed panel magnifies the window where the steps relabel
most pixels, so a step's few hundred changed pixels are visible at panel size.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image
from plotly.subplots import make_subplots

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

ZOOM = 3  # the zoomed panel shows a window a third of the image's side, magnified
PANEL_HEIGHT = 215  # px: one label map with its title (a 4:3 picture fills a quarter of a wide page)
LEGEND_ROW = 26  # px: one row of legend entries (projector text included); a phone fits two entries a row
PANEL_WIDTH = 320  # px: the zoomed window is enlarged (nearest neighbour) to about this width


def v2_aspp_diagram(branches: Sequence[BranchLayers], in_channels: int, output_stride: int, lang: str) -> go.Figure:
    """pool5 → four parallel fc6 → fc7 → fc8 branches → sum of the class scores, labelled from the module. Drawn
    top to bottom, each branch a full-width row (as the ASPP lesson draws v3's): side by side, four boxes of three
    layers each did not fit a phone, and the sum's label spilled out of its box on a projector."""
    fig = go.Figure()
    rows = len(branches)
    top, bottom = rows + 0.2, -0.2  # pool5 above the branches (rows 1 … n), the sum below
    label = text("deeplab_v1_v2.fig.pool5", lang, c=in_channels, os=output_stride)
    box(fig, 5.0, top, 6.0, 0.5, label, fill=NEUTRAL_FILL)
    ys = [float(rows - i) - 0.5 for i in range(rows)]
    fig.add_shape(type="line", x0=0.4, x1=0.4, y0=top, y1=ys[-1], line=dict(color=GREY, width=1.4))  # the fan-out
    fig.add_shape(type="line", x0=2.0, x1=0.4, y0=top, y1=top, line=dict(color=GREY, width=1.4))
    fig.add_shape(type="line", x0=9.6, x1=9.6, y0=ys[0], y1=bottom, line=dict(color=GREY, width=1.4))  # gathering
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
        box(fig, 5.0, y, 8.4, 0.86, label, fill=colour, opacity=0.25)
        arrow(fig, 0.4, y, 0.8, y)
        fig.add_shape(type="line", x0=9.2, x1=9.6, y0=y, y1=y, line=dict(color=GREY, width=1.4))
    classes = branches[0].layers[-1].out_channels
    box(fig, 5.0, bottom, 6.0, 0.5, text("deeplab_v1_v2.fig.sum", lang, classes=classes), fill=SUM_FILL)
    arrow(fig, 9.6, bottom, 8.0, bottom)
    fig.update_xaxes(visible=False, range=[0, 10], fixedrange=True)
    fig.update_yaxes(visible=False, range=[bottom - 0.4, top + 0.4], fixedrange=True)
    fig.update_layout(height=70 + 80 * rows, margin=dict(t=5, b=5, l=5, r=5), plot_bgcolor=WHITE)
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


def _axes_off(fig: go.Figure) -> None:
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)


def image_panel(rgb_image: np.ndarray, title: str, *, window: tuple[int, int, int, int] | None = None) -> go.Figure:
    """One picture (H, W, 3) uint8 under its own title; `window` (top, left, height, width) outlined."""
    fig = go.Figure(go.Image(source=_png(rgb_image), hoverinfo="skip"))
    if window is not None:
        top, left, h, w = window
        fig.add_shape(
            type="rect", x0=left - 0.5, x1=left + w - 0.5, y0=top - 0.5, y1=top + h - 0.5,
            line=dict(color=WHITE, width=2, dash="dot"),
        )  # fmt: skip
    fig.update_layout(
        title=dict(text=title, x=0.5, xanchor="center", y=0.98, yanchor="top"),
        height=PANEL_HEIGHT,
        margin=dict(t=36, b=0, l=2, r=2),
    )
    _axes_off(fig)
    # a narrow column leaves room below a 4:3 picture: keep it under its title, not centred away from it
    fig.update_yaxes(constrain="domain", constraintoward="top")
    return fig


def zoom_window(trace: CrfTrace, fraction: float = 1 / ZOOM) -> tuple[int, int, int, int]:
    """(top, left, height, width): the window `fraction` of the image's side that holds the most pixels relabelled
    by all the steps together, where the CRF works hardest (the centre when nothing changed). One summed-area
    table: every window's count in one pass."""
    _, height, width = trace.labels.shape
    counts = sum(
        (trace.changed_mask(s).astype(np.int64) for s in range(1, len(trace.labels))),
        np.zeros((height, width), np.int64),
    )
    h, w = max(1, round(height * fraction)), max(1, round(width * fraction))
    table = np.pad(counts.cumsum(0).cumsum(1), ((1, 0), (1, 0)))  # (H + 1, W + 1)
    sums = table[h:, w:] - table[:-h, w:] - table[h:, :-w] + table[:-h, :-w]  # (H − h + 1, W − w + 1)
    if not sums.any():
        return (height - h) // 2, (width - w) // 2, h, w
    top, left = np.unravel_index(int(np.argmax(sums)), sums.shape)
    return int(top), int(left), h, w


def magnified(rgb_image: np.ndarray, window: tuple[int, int, int, int]) -> np.ndarray:
    """The window of an (H, W, 3) picture, enlarged by whole pixels (nearest neighbour: every pixel stays a square)."""
    top, left, h, w = window
    crop = rgb_image[top : top + h, left : left + w]
    factor = max(1, PANEL_WIDTH // w)
    return np.repeat(np.repeat(crop, factor, axis=0), factor, axis=1)


def legend_figure(names: Sequence[str], present: Sequence[int], lang: str) -> go.Figure:
    """A legend alone, one row under the panels: the colour of every class shown, and the changed pixels."""
    fig = go.Figure()
    _legend(fig, [(int(i), names[int(i)]) for i in present], text("deeplab_v1_v2.fig.changed", lang))
    rows = -(-(len(present) + 1) // 2)  # as many rows as a phone needs: a wide page uses the first ones
    fig.update_layout(
        showlegend=True,
        legend=dict(orientation="h", x=0, y=1, yanchor="top", maxheight=1),  # all of it: plotly's default is half
        height=LEGEND_ROW * rows + 8,
        margin=dict(t=0, b=0, l=4, r=4),
    )
    _axes_off(fig)
    return fig


def crf_panels(
    photo: np.ndarray | Image.Image,
    trace: CrfTrace,
    names: Sequence[str],
    step: int,
    lang: str,
    truth: np.ndarray | None = None,
) -> list[go.Figure]:
    """The panels of one step: the picture, the true labels (constructed example), the labels after `step` with the
    pixels that step relabelled highlighted and the zoomed window outlined, that window magnified, and last the
    legend of the colours (a figure of its own, under the row of panels)."""
    photo = np.asarray(photo.convert("RGB")) if isinstance(photo, Image.Image) else photo  # (H, W, 3) uint8
    window = zoom_window(trace)
    after = overlay(photo, trace.labels[step], trace.changed_mask(step) if step else None)
    panels = [image_panel(photo, text("deeplab_v1_v2.fig.photo", lang))]
    if truth is not None:
        panels.append(image_panel(overlay(photo, truth), text("deeplab_v1_v2.fig.truth", lang)))
    present = np.unique(np.concatenate([trace.labels.reshape(-1)] + ([truth.reshape(-1)] if truth is not None else [])))
    step_title = text("deeplab_v1_v2.fig.after_step", lang, step=step)
    panels.append(image_panel(after, step_title, window=window))
    panels.append(image_panel(magnified(after, window), text("deeplab_v1_v2.fig.zoom", lang, zoom=ZOOM, step=step)))
    return [*panels, legend_figure(names, present.tolist(), lang)]


def _whole_ticks(largest: int) -> dict:
    """Axis settings that print only whole numbers: plotly's automatic ticks on a small range fall between them."""
    return dict(
        tickformat=",d", rangemode="tozero", dtick=1 if largest < 5 else None, range=None if largest else [0, 1]
    )


def energy_figure(trace: CrfTrace, step: int, lang: str) -> go.Figure:
    """Two panels over the same steps: the free energy F(Q) after each step (a line), and the pixels each step
    relabelled (bars, whole numbers); the shown step marked in both."""
    steps = list(range(len(trace.free_energy)))
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.16,
        subplot_titles=(text("deeplab_v1_v2.fig.free_energy", lang), text("deeplab_v1_v2.fig.changed_pixels", lang)),
    )
    fig.add_trace(
        go.Scatter(x=steps, y=trace.free_energy, mode="lines+markers", line=dict(color=BLUE), showlegend=False),
        row=1,
        col=1,
    )
    colours = [CRF_CHANGED if s == step else GREY for s in steps[1:]]
    fig.add_trace(go.Bar(x=steps[1:], y=trace.changed[1:], marker_color=colours, showlegend=False), row=2, col=1)
    for row in (1, 2):
        fig.add_vline(x=step, line=dict(color=RED, dash="dot"), row=row, col=1)
    fig.update_xaxes(dtick=1, range=[-0.5, len(steps) - 0.5])
    fig.update_xaxes(title=text("deeplab_v1_v2.fig.step_axis", lang), row=2, col=1)
    fig.update_yaxes(**_whole_ticks(max(trace.changed)), row=2, col=1)
    fig.update_layout(height=420, margin=dict(t=40, b=40))
    return fig


def energy_caption(trace: CrfTrace, lang: str) -> str:
    """What the energy chart shows, and whether F fell at every step of this run (parallel updates need not)."""
    energy = trace.free_energy
    rose = [str(s) for s in range(1, len(energy)) if energy[s] > energy[s - 1]]
    if rose:
        trend = text("deeplab_v1_v2.energy_rose", lang, steps=", ".join(rose))
    else:
        trend = text("deeplab_v1_v2.energy_fell", lang)
    return text("deeplab_v1_v2.energy_caption", lang, trend=trend)
