"""Figures of the train lab: scenes and labels, training curves, predictions side by side, per-class IoU, and
the 2-D coverage that shows where gridding leaves holes (Wang et al. 2018, §3.2). Labels come from the catalogue.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from deeplab_core.figures.style import HOLE_COLOUR, INK, LAB_CLASS_COLOURS, VARIANT_COLOURS, rgb
from deeplab_core.i18n import text
from deeplab_core.nets.lab.scenes import CLASSES

_LUT = np.array([rgb(LAB_CLASS_COLOURS[c]) for c in CLASSES], dtype=np.uint8)  # (classes, 3)


def class_image(labels: np.ndarray) -> np.ndarray:
    """(H, W) class indices → (H, W, 3) uint8 in the lab's class colours."""
    return _LUT[labels]


def variant_name(key: str, lang: str) -> str:
    return text(f"train.variant_short.{key}", lang)


def _image_grid(
    panels: Sequence[np.ndarray | None], titles: Sequence[str], columns: int, height_per_row: int = 190
) -> go.Figure:
    """Images in rows of `columns`, each under its title (None: an empty place); no axes, not even tick marks."""
    rows = -(-len(panels) // columns)
    height, top, gap = 40 + height_per_row * rows, 40, 38  # px; the gap holds the next row's titles (16 px text)
    fig = make_subplots(
        rows,
        columns,
        subplot_titles=list(titles),
        horizontal_spacing=0.02,
        vertical_spacing=gap / (height - top - 5) if rows > 1 else 0.0,
    )
    for i, image in enumerate(panels):
        if image is not None:
            fig.add_trace(go.Image(z=image, hoverinfo="skip"), row=i // columns + 1, col=i % columns + 1)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, ticks="")
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, ticks="")
    fig.update_layout(height=height, margin=dict(l=5, r=5, t=top, b=5))
    return fig


def to_rgb(image: np.ndarray) -> np.ndarray:
    """(3, H, W) float in [0, 1] → (H, W, 3) uint8."""
    return (np.clip(image.transpose(1, 2, 0), 0, 1) * 255).astype(np.uint8)


def scenes_figure(images: np.ndarray, labels: np.ndarray, lang: str) -> go.Figure:
    """Each scene above its labels (short titles: three panels share a phone's width)."""
    panels = [to_rgb(im) for im in images] + [class_image(lb) for lb in labels]
    titles = [text("train.fig.scene", lang, n=i + 1) for i in range(len(images))]
    titles += [text("train.fig.labels", lang)] * len(images)
    return _image_grid(panels, titles, columns=len(images), height_per_row=160)


def legend_markdown(lang: str) -> str:
    """The class colours as a one-line Markdown legend (coloured squares and names)."""
    items = []
    for name, colour in LAB_CLASS_COLOURS.items():
        swatch = f'<span style="color:{colour};font-size:1.3em">■</span>'
        items.append(f"{swatch} {text(f'train.class.{name}', lang)}")
    return " &nbsp; ".join(items)


PREDICTION_COLUMNS = 4  # panels per row: readable on a 390-px phone, and eight of them make two rows


def predictions_figure(
    images: np.ndarray, labels: np.ndarray, predictions: Mapping[str, Sequence[np.ndarray]], lang: str
) -> go.Figure:
    """Per scene: the scene, its labels, then every variant's prediction, in rows of PREDICTION_COLUMNS (a scene
    starts a new row), each panel titled."""
    columns = min(PREDICTION_COLUMNS, 2 + len(predictions))
    panels: list[np.ndarray | None] = []
    titles: list[str] = []
    for i in range(len(images)):
        row = [to_rgb(images[i]), class_image(labels[i]), *(class_image(p[i]) for p in predictions.values())]
        names = [text("train.fig.scene", lang, n=i + 1), text("train.fig.labels", lang)]
        names += [text(f"train.variant_tag.{k}", lang) for k in predictions]
        blank = -len(row) % columns
        panels += [*row, *[None] * blank]
        titles += [*names, *[""] * blank]
    return _image_grid(panels, titles, columns, height_per_row=140)


def log_ticks(values: Sequence[float]) -> list[float]:
    """Ticks m × 10ⁿ spanning `values` (positive), so a log axis reads 0.2, 0.5, 1 instead of plotly's bare
    leading digits ("2, 1, 9, 8 …" for 0.2, 0.1, 0.09, 0.08): m in 1, 2, 5, or finer within less than a decade."""
    low, high = min(values), max(values)
    steps = (1, 2, 5) if high >= 10 * low else (1, 1.5, 2, 3, 4, 5, 6, 8)
    ticks = [m * 10.0**e for e in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1)
             for m in steps]  # fmt: skip
    inside = [v for v in ticks if low <= v <= high]
    below = [] if inside and math.isclose(inside[0], low) else [v for v in ticks if v < low][-1:]
    above = [] if inside and math.isclose(inside[-1], high) else [v for v in ticks if v > high][:1]
    return below + inside + above  # framed: one tick at or beyond each end


def curves_figure(histories: Mapping[str, Mapping[str, Sequence]], lang: str) -> go.Figure:
    """Training loss per step (above, log scale) and validation mIoU at each evaluation (below), one colour per
    variant; one above the other, so each keeps the page's width on a phone."""
    fig = make_subplots(
        2, 1, subplot_titles=[text("train.fig.loss", lang), text("train.fig.miou", lang)], vertical_spacing=0.16
    )
    losses: list[float] = []
    for key, h in histories.items():
        colour = VARIANT_COLOURS.get(key, INK)
        name = variant_name(key, lang)
        losses += [v for v in h["loss"] if v > 0]
        fig.add_trace(
            go.Scatter(
                x=list(h["step"]), y=list(h["loss"]), name=name, legendgroup=key, line=dict(color=colour, width=1.2)
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=list(h["eval_step"]),
                y=[100 * v for v in h["miou"]],
                name=name,
                legendgroup=key,
                showlegend=False,
                mode="lines+markers",
                line=dict(color=colour),
            ),
            row=2,
            col=1,
        )
    fig.update_xaxes(title_text=text("train.fig.step", lang), row=2, col=1)
    ticks = log_ticks(losses) if losses else []
    frame = [math.log10(ticks[0]), math.log10(ticks[-1])] if ticks else None  # the outer ticks on the axis too
    fig.update_yaxes(type="log", tickvals=ticks, ticktext=[f"{v:g}" for v in ticks], range=frame, row=1, col=1)
    fig.update_yaxes(range=[0, 100], title_text="mIoU (%)", row=2, col=1)
    fig.update_layout(
        height=520, margin=dict(l=50, r=10, t=40, b=40), legend=dict(orientation="h", x=0, y=1.08, yanchor="bottom")
    )
    return fig


def iou_figure(means: Mapping[str, Sequence[float]], spreads: Mapping[str, Sequence[float]], lang: str) -> go.Figure:
    """Per-class IoU (%), one group of bars per class, one bar per variant; error bars = spread over seeds. The
    bars lie down, so the class names read across at any width and the legend sits above, clear of them."""
    fig = go.Figure()
    classes = [text(f"train.class.{c}", lang) for c in CLASSES] + ["mIoU"]
    for key, values in means.items():
        errors = [0.0 if np.isnan(s) else 100 * s for s in spreads[key]]
        fig.add_trace(
            go.Bar(
                y=classes,
                x=[100 * v for v in values],
                orientation="h",
                name=variant_name(key, lang),
                marker_color=VARIANT_COLOURS.get(key),
                # One seed has no spread: no error bar rather than a bar of zero.
                error_x=dict(type="data", array=errors, visible=not all(np.isnan(s) for s in spreads[key])),
            )
        )
    fig.update_layout(
        barmode="group",
        height=120 + len(classes) * (12 + 9 * len(means)),
        xaxis=dict(title="IoU (%)", range=[0, 100]),
        yaxis=dict(autorange="reversed"),  # the classes top-down in the lesson's order, mIoU last
        margin=dict(l=10, r=10, t=10, b=40),
        legend=dict(orientation="h", x=0, y=1.0, yanchor="bottom", traceorder="normal"),
    )
    return fig


def coverage_figure(coverages: Mapping[str, np.ndarray], lang: str) -> go.Figure:
    """2-D paths from each input pixel to one output unit (outer product of the 1-D coverage); 0 is a hole."""
    fig = make_subplots(
        1,
        len(coverages),
        subplot_titles=[text(f"train.variant_tag.{k}", lang) for k in coverages],  # short: two share a phone's width
        horizontal_spacing=0.06,
    )
    for col, paths in enumerate(coverages.values(), start=1):
        grid = np.outer(paths, paths).astype(float)
        shown = np.where(grid > 0, np.log10(np.maximum(grid, 1)), np.nan)  # holes stay blank
        fig.add_trace(
            go.Heatmap(
                z=shown,
                colorscale="Viridis",
                showscale=col == 1,
                hovertemplate=text("train.fig.hover_paths", lang),
                colorbar=dict(title="log₁₀"),
            ),
            row=1,
            col=col,
        )
        fig.add_trace(
            go.Heatmap(
                z=np.where(grid == 0, 1.0, np.nan),
                colorscale=[[0, HOLE_COLOUR], [1, HOLE_COLOUR]],
                showscale=False,
                hoverinfo="skip",
            ),
            row=1,
            col=col,
        )
    fig.update_xaxes(showticklabels=False, showgrid=False, ticks="", constrain="domain")
    fig.update_yaxes(
        showticklabels=False, showgrid=False, ticks="", autorange="reversed", scaleanchor="x", constrain="domain"
    )
    fig.update_layout(height=330, margin=dict(l=5, r=5, t=40, b=5))
    return fig
