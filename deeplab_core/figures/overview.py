"""Figures for the overview: feature size per ResNet stage, and the four multi-scale designs of DeepLabv3
(Chen et al. 2017, Fig. 2) drawn as schematics. Feature maps in the schematics are drawn to scale from
`deeplab_core.maths.resolution`, so the shrinking they show is the real one for a 513×513 input."""

from __future__ import annotations

import plotly.graph_objects as go

from deeplab_core.config import ASPP_RATES, CROP_SIZE, OUTPUT_STRIDES
from deeplab_core.figures.style import (
    FEATURE_FILL,
    IMAGE_FILL,
    INK,
    MERGE_FILL,
    NETWORK_FILL,
    NOTE,
    OS_COLOURS,
    RED,
    WHITE,
    arrow,
    box,
)
from deeplab_core.i18n import text
from deeplab_core.maths.resolution import stage_sizes

DESIGNS: tuple[str, ...] = ("image_pyramid", "encoder_decoder", "atrous", "spp")
SCHEMATIC_INPUT = CROP_SIZE
_IMAGE, _NETWORK, _FEATURE, _MERGE = IMAGE_FILL, NETWORK_FILL, FEATURE_FILL, MERGE_FILL
_X_RANGE, _Y_RANGE = (0.0, 12.0), (-0.8, 6.0)


def resolution_figure(input_size: int, lang: str, *, log_y: bool = False) -> go.Figure:
    """Grouped bars: the feature-map side after each ResNet stage, one colour per output stride."""
    stages = [text("overview.fig.input", lang)] + [s.name for s in stage_sizes(input_size)]
    fig = go.Figure()
    for os in OUTPUT_STRIDES:
        sizes = stage_sizes(input_size, os)
        fig.add_bar(
            x=stages,
            y=[input_size] + [s.size for s in sizes],
            name=text("overview.fig.os", lang, os=os),
            marker_color=OS_COLOURS[os],
            text=[input_size] + [s.size for s in sizes],
            textposition="outside",
            cliponaxis=False,
            constraintext="both",  # a value wider than its bar is not drawn (on a phone): hover shows it
            customdata=[[1, 1]] + [[s.stride, s.rate] for s in sizes],
            hovertemplate=text("overview.fig.hover_stage", lang) + "<extra></extra>",
        )
    fig.update_layout(
        barmode="group",
        bargroupgap=0.12,  # a gap between neighbouring values: "65 65", not "6565"
        uniformtext=dict(minsize=10, mode="hide"),
        height=420,
        margin=dict(l=10, r=10, t=60, b=10),
        title=text("overview.fig.resolution_title", lang, size=input_size),
        legend=dict(orientation="h", x=0, y=1.0, yanchor="bottom"),
        yaxis_title=text("overview.fig.side_axis", lang),
    )
    if log_y:  # powers of two, which is how the sides shrink; plotly's own log ticks read "1000, 9, 8, 7…"
        powers = [2**n for n in range(max(input_size, 1).bit_length() + 1)]
        fig.update_yaxes(type="log", tickvals=powers, ticktext=[str(v) for v in powers])
    return fig


def design_figure(design: str, lang: str) -> go.Figure:
    """The schematic of one of DESIGNS."""
    draw = {"image_pyramid": _image_pyramid, "encoder_decoder": _encoder_decoder, "atrous": _atrous, "spp": _spp}[
        design
    ]
    fig = go.Figure()
    fig.update_xaxes(range=_X_RANGE, visible=False, fixedrange=True)
    fig.update_yaxes(range=_Y_RANGE, visible=False, fixedrange=True)
    fig.update_layout(height=280, margin=dict(l=5, r=5, t=10, b=5), plot_bgcolor=WHITE, showlegend=False)
    draw(fig, lang)
    return fig


def _box(fig: go.Figure, x: float, y: float, w: float, h: float, colour: str, label: str = "") -> None:
    box(fig, x, y, w, h, label, fill=colour)


def _label(
    fig: go.Figure, x: float, y: float, label: str, *, size: int = 12, colour: str = INK, anchor: str = "center"
) -> None:
    fig.add_annotation(x=x, y=y, text=label, showarrow=False, xanchor=anchor, font=dict(size=size, color=colour))


def _feature_maps(fig: go.Figure, xs: list[float], sides: list[int], lang: str) -> list[float]:
    """Thin bars whose heights are the maps' sides (to scale), the side written underneath; returns the tops."""
    tops = []
    for x, side in zip(xs, sides, strict=True):
        h = max(4.6 * side / SCHEMATIC_INPUT, 0.12)
        _box(fig, x, 3.0, 0.32, h, _IMAGE if side == SCHEMATIC_INPUT else _FEATURE)
        _label(fig, x, 0.2, str(side), size=11)
        tops.append(3.0 + h / 2)
    return tops


def _image_pyramid(fig: go.Figure, lang: str) -> None:
    """Three scaled copies, one shared network, merged. The scale is written beside each copy, not inside it:
    the smallest copy is too small to hold it on a phone."""
    for y, scale in zip((5.0, 3.0, 1.0), (1.0, 0.75, 0.5), strict=True):
        side = 1.5 * scale
        _box(fig, 1.55, y, side, side, _IMAGE)
        _label(fig, 1.55 - side / 2 - 0.1, y, f"×{scale:g}", size=11, anchor="right")
        arrow(fig, 1.55 + side / 2, y, 3.0, y)
        _box(fig, 4.1, y, 2.2, 1.0, _NETWORK, text("overview.fig.dcnn", lang))
        _box(fig, 5.9, y, 0.3, 1.2 * scale, _FEATURE)
        arrow(fig, 6.1, y, 7.0, 3.0 + (y - 3.0) * 0.3)
    _label(fig, 4.1, 4.0, text("overview.fig.shared", lang), size=10, colour=NOTE)
    _label(fig, 4.1, 2.0, text("overview.fig.shared", lang), size=10, colour=NOTE)
    _box(fig, 7.75, 3.0, 1.5, 2.2, _MERGE, text("overview.fig.merge", lang))
    arrow(fig, 8.5, 3.0, 9.1, 3.0)
    _label(fig, 9.15, 3.0, text("overview.fig.prediction", lang), size=11, anchor="left")


def _encoder_decoder(fig: go.Figure, lang: str) -> None:
    encoder = [SCHEMATIC_INPUT] + sorted({s.size for s in stage_sizes(SCHEMATIC_INPUT, 32)}, reverse=True)
    decoder = encoder[-2:0:-1]  # back up through the same sides, except the input's
    sides = encoder + decoder
    xs = [0.5 + i * 11.0 / (len(sides) - 1) for i in range(len(sides))]
    tops = _feature_maps(fig, xs, sides, lang)
    for j, side in enumerate(decoder):
        i, k = encoder.index(side), len(encoder) + j  # the encoder map this decoder map reaches back to
        lift = 0.9 + 0.12 * (k - i)
        fig.add_shape(
            type="path",
            line=dict(color=RED, width=1.2, dash="dot"),
            path=f"M {xs[i]},{tops[i] + 0.1} Q {(xs[i] + xs[k]) / 2},{max(tops[i], tops[k]) + lift} "
            f"{xs[k]},{tops[k] + 0.1}",
        )
    n = len(encoder)
    _label(fig, (xs[1] + xs[n - 1]) / 2, 5.75, text("overview.fig.encoder", lang))
    _label(fig, (xs[n] + xs[-1]) / 2, 5.75, text("overview.fig.decoder", lang))
    _label(fig, xs[n - 1], 4.7, text("overview.fig.skip", lang), size=10, colour=RED)
    _label(fig, 6.0, -0.45, text("overview.fig.sides", lang, size=SCHEMATIC_INPUT), size=10, colour=NOTE)


def _atrous(fig: go.Figure, lang: str) -> None:
    stages = stage_sizes(SCHEMATIC_INPUT, 8)
    sides = [SCHEMATIC_INPUT] + [s.size for s in stages]
    xs = [0.6 + i * 10.8 / (len(sides) - 1) for i in range(len(sides))]
    tops = _feature_maps(fig, xs, sides, lang)
    for x, top, stage in zip(xs[1:], tops[1:], stages, strict=True):
        _label(fig, x, -0.45, stage.name, size=10, colour=NOTE)
        if stage.rate > 1:
            _label(fig, x, top + 0.45, text("overview.fig.rate", lang, rate=stage.rate), colour=RED)
    _label(fig, xs[0], -0.45, text("overview.fig.input", lang), size=10, colour=NOTE)
    _label(fig, 6.0, 5.6, text("overview.fig.atrous_note", lang, os=stages[-1].stride, size=SCHEMATIC_INPUT))


def _spp(fig: go.Figure, lang: str) -> None:
    """Image, network, feature map, the five parallel branches (wide boxes: "3×3, rate 12" must fit on a phone),
    concatenated and projected."""
    _box(fig, 0.75, 3.0, 1.3, 1.3, _IMAGE, text("overview.fig.image", lang))
    arrow(fig, 1.4, 3.0, 1.9, 3.0)
    _box(fig, 2.75, 3.0, 1.7, 1.3, _NETWORK, text("overview.fig.dcnn", lang))
    arrow(fig, 3.6, 3.0, 4.0, 3.0)
    _box(fig, 4.2, 3.0, 0.3, 1.2, _FEATURE)
    branches = (
        [text("overview.fig.conv1x1", lang)]
        + [text("overview.fig.conv_rate", lang, rate=r) for r in ASPP_RATES[16]]
        + [text("overview.fig.image_pooling", lang)]
    )
    ys = [5.3 - i * 1.15 for i in range(len(branches))]
    for y, branch in zip(ys, branches, strict=True):
        arrow(fig, 4.35, 3.0, 5.0, y)
        _box(fig, 6.65, y, 3.3, 0.8, _NETWORK, branch)
        arrow(fig, 8.3, y, 9.5, 3.0 + (y - 3.0) * 0.4)
    _box(fig, 10.7, 3.0, 2.4, 2.4, _MERGE, text("overview.fig.concat", lang))
