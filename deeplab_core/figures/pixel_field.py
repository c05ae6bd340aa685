"""Where one pixel looks: the segmented photo to click, the effective receptive field over the photo beside the
theoretical box, and each ASPP branch's share of the field."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from PIL import Image, ImageOps

from deeplab_core.figures.aspp import branch_name
from deeplab_core.figures.rf_on_photo import data_uri
from deeplab_core.figures.segment import class_name, overlay
from deeplab_core.figures.style import BLUE, BRANCH_COLOURS, INK, RED
from deeplab_core.i18n import text
from deeplab_core.nets.effective_field import PixelField

PICK_SIDE = 48  # clickable points along the photo's long side (a grid of at most 48 × 48)
HEAT_SIDE = 160  # cells of the heat map along the long side: each holds the field's mass of its pixels
SHOWN_SIDE = 480  # the photo is sent at most this wide or tall (the axes stay in photo pixels)
FAINT = 0.01  # cells under 1 % of the peak are left clear, so the photo shows through
PEAK_TICKS = (0.01, 0.1, 0.5, 1.0)  # colour bar ticks, as fractions of the peak


def _rgba(colour: str, alpha: float) -> str:
    """A style colour ("#rrggbb"), paler: the same hue at `alpha`."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _photo_trace(image: Image.Image) -> go.Image:
    """The photo, sent small, drawn over photo-pixel axes (pixel (r, c) at x = c, y = r)."""
    scale = min(1.0, SHOWN_SIDE / max(image.size))
    small = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))
    dx, dy = image.width / small.width, image.height / small.height
    return go.Image(source=data_uri(small), x0=(dx - 1) / 2, y0=(dy - 1) / 2, dx=dx, dy=dy, hoverinfo="skip")


def _axes(fig: go.Figure, size: tuple[int, int], title: str, height: int) -> go.Figure:
    H, W = size
    hidden = dict(showgrid=False, zeroline=False, showticklabels=False, ticks="", constrain="domain")
    fig.update_xaxes(range=[-0.5, W - 0.5], **hidden)
    fig.update_yaxes(range=[H - 0.5, -0.5], scaleanchor="x", **hidden)
    fig.update_layout(
        title=title,
        height=height,
        margin=dict(l=10, r=10, t=60, b=10),
        dragmode=False,  # a tap on a phone picks a pixel instead of panning
        legend=dict(orientation="h", yanchor="top", y=-0.02, x=0),
    )
    return fig


def _marker(pixel: tuple[int, int], name: str) -> go.Scatter:
    return go.Scatter(
        x=[pixel[1]],
        y=[pixel[0]],
        mode="markers",
        name=name,
        marker=dict(symbol="x-thin", size=16, line=dict(width=4, color=BLUE)),
        hoverinfo="skip",
    )


def pick_figure(
    image: Image.Image, labels: np.ndarray, categories: tuple[str, ...], pixel: tuple[int, int], lang: str
) -> go.Figure:
    """The segmented photo with a grid of invisible points to click (each names its pixel and class)."""
    H, W = labels.shape
    step = max(1, int(np.ceil(max(H, W) / PICK_SIDE)))
    rows, cols = np.meshgrid(np.arange(step // 2, H, step), np.arange(step // 2, W, step), indexing="ij")
    names = [class_name(c, lang) for c in categories]
    template = text("pixel_field.fig.pick_hover", lang)
    hover = [template.format(row=r, col=c, name=names[labels[r, c]]) for r, c in zip(rows.flat, cols.flat, strict=True)]
    fig = go.Figure(_photo_trace(overlay(image, labels, 0.5)))
    fig.add_trace(
        go.Scatter(
            x=cols.ravel(),
            y=rows.ravel(),
            mode="markers",
            marker=dict(size=max(6, 320 // PICK_SIDE), opacity=0),  # invisible, but they take the clicks
            text=hover,
            hovertemplate="%{text}<extra></extra>",
            showlegend=False,
        )
    )
    fig.add_trace(_marker(pixel, text("pixel_field.fig.pixel", lang)))
    fig = _axes(fig, (H, W), text("pixel_field.fig.pick_title", lang), 500)
    return fig.update_layout(showlegend=False)  # the title says what the cross is


def heat_cells(field: np.ndarray, side: int = HEAT_SIDE) -> tuple[np.ndarray, int]:
    """The field summed over square blocks of `step` pixels (at most `side` blocks along the long side): each cell
    holds the mass of its pixels, so the cells still add up to 1."""
    H, W = field.shape
    step = max(1, int(np.ceil(max(H, W) / side)))
    padded = np.pad(field, ((0, -H % step), (0, -W % step)))
    return padded.reshape(padded.shape[0] // step, step, padded.shape[1] // step, step).sum((1, 3)), step


def _square(fig: go.Figure, top: float, bottom: float, left: float, right: float, name: str, dash: str) -> None:
    """A square on the photo, as a line trace so it has a legend entry; edges on the pixels' outer borders."""
    t, b, lft, r = top - 0.5, bottom + 0.5, left - 0.5, right + 0.5
    fig.add_trace(
        go.Scatter(
            x=[lft, r, r, lft, lft],
            y=[t, t, b, b, t],
            mode="lines",
            name=name,
            line=dict(color=RED, width=3, dash=dash),
            hoverinfo="skip",
        )
    )


def field_figure(image: Image.Image, result: PixelField, half_side: int, class_label: str, lang: str) -> go.Figure:
    """The effective receptive field over the photo (greyed), the theoretical box, and the square holding half of
    the field. Colour is the square root of each cell's share of the peak, so the faint tails show."""
    H, W = result.field.shape
    cells, step = heat_cells(result.field)
    relative = cells / cells.max()  # (h, w) in 0..1
    shown = np.where(relative >= FAINT, np.sqrt(relative), np.nan)  # under 1 % of the peak: clear
    grey = ImageOps.grayscale(image).convert("RGB")
    fig = go.Figure(_photo_trace(grey))
    fig.add_trace(
        go.Heatmap(
            z=shown,
            x0=(step - 1) / 2,
            dx=step,
            y0=(step - 1) / 2,
            dy=step,
            customdata=cells * 100,
            colorscale="Viridis",
            zmin=0,
            zmax=1,
            opacity=0.8,
            hovertemplate=text("pixel_field.fig.heat_hover", lang) + "<extra></extra>",
            colorbar=dict(
                title=dict(text=text("pixel_field.fig.colour_axis", lang), side="right"),
                tickvals=[np.sqrt(p) for p in PEAK_TICKS],
                ticktext=[f"{p:.0%}" for p in PEAK_TICKS],
                thickness=12,
            ),
        )
    )
    box = result.box
    _square(fig, box.top, box.bottom, box.left, box.right, text("pixel_field.fig.box", lang), "solid")
    row, col = result.pixel
    half = half_side // 2
    _square(
        fig,
        max(row - half, 0),
        min(row + half, H - 1),
        max(col - half, 0),
        min(col + half, W - 1),
        text("pixel_field.fig.half", lang),
        "dash",
    )
    fig.add_trace(_marker(result.pixel, text("pixel_field.fig.pixel", lang)))
    title = text("pixel_field.fig.field_title", lang, row=row, col=col, name=class_label)
    return _axes(fig, (H, W), title, 500)


def shares_figure(result: PixelField, lang: str) -> go.Figure:
    """Each ASPP branch's share of the field, split into the part inside the box and the part outside it."""
    names = [
        branch_name(s.kind, s.rate, lang) + (text("pixel_field.fig.off", lang) if s.muted else "")
        for s in result.shares
    ]
    colours = [BRANCH_COLOURS[i % len(BRANCH_COLOURS)] for i in range(len(names))]
    inside = [s.share - s.outside for s in result.shares]
    outside = [s.outside for s in result.shares]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            y=names,
            x=inside,
            orientation="h",
            name=text("pixel_field.fig.inside", lang),
            marker=dict(color=colours, line=dict(color=INK, width=1)),
            hovertemplate="%{y}: %{x:.1%}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Bar(
            y=names,
            x=outside,
            orientation="h",
            name=text("pixel_field.fig.outside", lang),
            marker=dict(color=[_rgba(c, 0.35) for c in colours], pattern_shape="/", line=dict(color=INK, width=1)),
            text=[f"{s.share:.1%}" for s in result.shares],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:.2%}<extra></extra>",
        )
    )
    low = min(0.0, *(s.share for s in result.shares))
    high = max(s.share for s in result.shares)
    fig.update_layout(
        barmode="relative",
        title=text("pixel_field.fig.shares_title", lang),
        height=190 + 36 * len(names),
        margin=dict(l=10, r=40, t=60, b=10),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),  # above: below, it covered the axis title
    )
    fig.update_xaxes(title=text("pixel_field.fig.share_axis", lang), tickformat=".0%", range=[low * 1.2, high * 1.25])
    fig.update_yaxes(autorange="reversed")
    return fig
