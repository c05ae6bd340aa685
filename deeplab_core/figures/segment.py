"""What a segmentation looks like: the VOC palette, the coloured overlay, the legend, hover figures, PNG bytes."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from deeplab_core.figures.style import BANNER, BAR_EDGE, INK, PALETTE, WARNING, hex_colour, label_image
from deeplab_core.i18n import text
from deeplab_core.nets.segmentation import Segmentation

HOVER_SIDE = 200  # the hover grids sample at most this many pixels along the long side


def class_name(category: str, lang: str) -> str:
    return text(f"segment.class.{category}", lang)


@dataclass(frozen=True)
class ClassShare:
    index: int
    category: str  # torchvision's name, e.g. "pottedplant"
    name: str  # in the reader's language
    colour: str  # "#rrggbb" from the VOC palette
    share: float  # fraction of the photo's pixels


def class_shares(seg: Segmentation, lang: str) -> list[ClassShare]:
    """The classes present, largest first, with their share of the pixels."""
    counts = np.bincount(seg.labels.ravel(), minlength=len(seg.categories))  # (C,)
    total = seg.labels.size
    rows = [
        ClassShare(
            int(i),
            seg.categories[i],
            class_name(seg.categories[i], lang),
            hex_colour(PALETTE[i]),
            counts[i] / total,
        )
        for i in np.flatnonzero(counts)
    ]
    return sorted(rows, key=lambda row: -row.share)


def colour_mask(labels: np.ndarray) -> np.ndarray:
    return label_image(labels)  # (H, W, 3) uint8


def overlay(image: Image.Image, labels: np.ndarray, opacity: float) -> Image.Image:
    """The photo with every non-background pixel tinted by its class colour at `opacity` (0..1)."""
    photo = np.asarray(image, dtype=np.float32)  # (H, W, 3)
    alpha = np.where(labels > 0, opacity, 0.0).astype(np.float32)[..., None]  # (H, W, 1)
    mixed = photo * (1 - alpha) + colour_mask(labels) * alpha  # (H, W, 3)
    return Image.fromarray(np.clip(np.rint(mixed), 0, 255).astype(np.uint8))


def mask_png(labels: np.ndarray) -> bytes:
    """The label map as a palette PNG in the VOC format: pixel value = class index, colours = VOC palette."""
    mask = Image.fromarray(labels.astype(np.uint8), mode="P")
    mask.putpalette(PALETTE.ravel().tolist())
    return png_bytes(mask)


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _grid(height: int, width: int, side: int = HOVER_SIDE) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of an evenly spaced sample of at most `side` pixels along the long side."""
    step = max(1, int(np.ceil(max(height, width) / side)))
    return np.arange(step // 2, height, step), np.arange(step // 2, width, step)


def _hover_text(seg: Segmentation, rows: np.ndarray, cols: np.ndarray, lang: str) -> list[list[str]]:
    names = [class_name(c, lang) for c in seg.categories]
    labels = seg.labels[np.ix_(rows, cols)]  # (h, w)
    probability = seg.probabilities[np.ix_(rows, cols)]  # (h, w)
    template = text("segment.fig.hover", lang)
    return [
        [
            template.format(name=names[label], p=f"{p:.1%}", x=int(x), y=int(y))
            for label, p, x in zip(label_row, p_row, cols, strict=True)
        ]
        for label_row, p_row, y in zip(labels, probability, rows, strict=True)
    ]


def _layout(fig: go.Figure, seg: Segmentation, title: str, lang: str) -> go.Figure:
    if not seg.trained:
        title = f"{text('segment.fig.untrained_prefix', lang)} {title}"
        fig.add_annotation(
            text=text("segment.fig.untrained_banner", lang),
            xref="paper",
            yref="paper",
            x=0.5,
            y=0.5,
            showarrow=False,
            font=dict(size=18, color=WARNING),
            bgcolor=BANNER,
            bordercolor=WARNING,
            borderwidth=2,
        )
    fig.update_layout(title=title, margin=dict(l=10, r=10, t=50, b=10), height=460)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, scaleanchor="x")
    return fig


def overlay_figure(image: Image.Image, seg: Segmentation, opacity: float, lang: str) -> go.Figure:
    """The overlay, sampled for hover: each cell reads out its class and probability."""
    rows, cols = _grid(*seg.labels.shape)
    small = np.asarray(overlay(image, seg.labels, opacity))[np.ix_(rows, cols)]  # (h, w, 3)
    fig = go.Figure(go.Image(z=small, text=_hover_text(seg, rows, cols, lang), hovertemplate="%{text}<extra></extra>"))
    return _layout(fig, seg, text("segment.fig.overlay_title", lang), lang)


def confidence_figure(seg: Segmentation, lang: str) -> go.Figure:
    """Top-1 probability per pixel (sampled), 0 to 1."""
    rows, cols = _grid(*seg.labels.shape)
    fig = go.Figure(
        go.Heatmap(
            z=seg.probabilities[np.ix_(rows, cols)],
            zmin=0.0,
            zmax=1.0,
            colorscale="Viridis",
            text=_hover_text(seg, rows, cols, lang),
            hovertemplate="%{text}<extra></extra>",
            colorbar=dict(title=dict(text=text("segment.fig.confidence_axis", lang), side="right"), tickformat=".0%"),
        )
    )
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, seg, text("segment.fig.confidence_title", lang), lang)


def legend_figure(shares: list[ClassShare], trained: bool, lang: str) -> go.Figure:
    """The legend: one bar per class present, in its overlay colour, as long as its share of the pixels."""
    fig = go.Figure(
        go.Bar(
            x=[row.share for row in shares],
            y=[row.name for row in shares],
            orientation="h",
            marker=dict(color=[row.colour for row in shares], line=dict(color=BAR_EDGE, width=1)),
            text=[f"{row.share:.1%}" for row in shares],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:.2%}<extra></extra>",
        )
    )
    title = text("segment.fig.legend_title" if trained else "segment.fig.legend_title_untrained", lang)
    fig.update_layout(
        title=dict(text=title, font=dict(color=INK if trained else WARNING)),
        height=110 + 30 * len(shares),
        margin=dict(l=10, r=60, t=50, b=40),
    )
    fig.update_xaxes(
        title=text("segment.fig.share_axis", lang), tickformat=".0%", range=[0, max(row.share for row in shares) * 1.15]
    )
    fig.update_yaxes(autorange="reversed")
    return fig
