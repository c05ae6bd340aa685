"""Figures of the train lab: scenes and labels, training curves, predictions side by side, per-class IoU, and
the 2-D coverage that shows where gridding leaves holes (Wang et al. 2018, §3.2). Labels come from the catalogue.
"""

from __future__ import annotations

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


def _image_grid(panels: Sequence[Sequence[np.ndarray]], titles: Sequence[str], height_per_row: int = 190) -> go.Figure:
    rows, cols = len(panels), len(panels[0])
    fig = make_subplots(rows, cols, subplot_titles=list(titles), horizontal_spacing=0.01, vertical_spacing=0.03)
    for r, row in enumerate(panels, start=1):
        for c, image in enumerate(row, start=1):
            fig.add_trace(go.Image(z=image, hoverinfo="skip"), row=r, col=c)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_layout(height=40 + height_per_row * rows, margin=dict(l=5, r=5, t=40, b=5))
    return fig


def to_rgb(image: np.ndarray) -> np.ndarray:
    """(3, H, W) float in [0, 1] → (H, W, 3) uint8."""
    return (np.clip(image.transpose(1, 2, 0), 0, 1) * 255).astype(np.uint8)


def scenes_figure(images: np.ndarray, labels: np.ndarray, lang: str) -> go.Figure:
    """Each scene above its labels."""
    panels = [[to_rgb(im) for im in images], [class_image(lb) for lb in labels]]
    titles = [text("train.fig.scene", lang, n=i + 1) for i in range(len(images))]
    titles += [text("train.fig.labels", lang)] * len(images)
    return _image_grid(panels, titles)


def legend_markdown(lang: str) -> str:
    """The class colours as a one-line Markdown legend (coloured squares and names)."""
    items = []
    for name, colour in LAB_CLASS_COLOURS.items():
        swatch = f'<span style="color:{colour};font-size:1.3em">■</span>'
        items.append(f"{swatch} {text(f'train.class.{name}', lang)}")
    return " &nbsp; ".join(items)


def predictions_figure(
    images: np.ndarray, labels: np.ndarray, predictions: Mapping[str, Sequence[np.ndarray]], lang: str
) -> go.Figure:
    """One row per scene: the scene, its labels, then every variant's prediction."""
    panels = [
        [to_rgb(images[i]), class_image(labels[i]), *(class_image(p[i]) for p in predictions.values())]
        for i in range(len(images))
    ]
    titles = [text("train.fig.scene_short", lang), text("train.fig.labels", lang)]
    titles += [text(f"train.variant_tag.{k}", lang) for k in predictions]  # short: eight panels share a row
    return _image_grid(panels, titles + [""] * (len(titles) * (len(images) - 1)), height_per_row=150)


def curves_figure(histories: Mapping[str, Mapping[str, Sequence]], lang: str) -> go.Figure:
    """Training loss per step (left) and validation mIoU at each evaluation (right), one colour per variant."""
    fig = make_subplots(1, 2, subplot_titles=[text("train.fig.loss", lang), text("train.fig.miou", lang)])
    for key, h in histories.items():
        colour = VARIANT_COLOURS.get(key, INK)
        name = variant_name(key, lang)
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
            row=1,
            col=2,
        )
    fig.update_xaxes(title_text=text("train.fig.step", lang))
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_yaxes(range=[0, 100], title_text="mIoU (%)", row=1, col=2)
    fig.update_layout(height=340, margin=dict(l=40, r=10, t=40, b=40), legend=dict(orientation="h", y=-0.25))
    return fig


def iou_figure(means: Mapping[str, Sequence[float]], spreads: Mapping[str, Sequence[float]], lang: str) -> go.Figure:
    """Per-class IoU (%), one group of bars per class, one bar per variant; error bars = spread over seeds."""
    fig = go.Figure()
    classes = [text(f"train.class.{c}", lang) for c in CLASSES] + ["mIoU"]
    for key, values in means.items():
        errors = [0.0 if np.isnan(s) else 100 * s for s in spreads[key]]
        fig.add_trace(
            go.Bar(
                x=classes,
                y=[100 * v for v in values],
                name=variant_name(key, lang),
                marker_color=VARIANT_COLOURS.get(key),
                # One seed has no spread: no error bar rather than a bar of zero.
                error_y=dict(type="data", array=errors, visible=not all(np.isnan(s) for s in spreads[key])),
            )
        )
    fig.update_layout(
        barmode="group",
        height=360,
        yaxis=dict(title="IoU (%)", range=[0, 100]),
        margin=dict(l=40, r=10, t=30, b=40),
        legend=dict(orientation="h", y=-0.2),
    )
    return fig


def coverage_figure(coverages: Mapping[str, np.ndarray], lang: str) -> go.Figure:
    """2-D paths from each input pixel to one output unit (outer product of the 1-D coverage); 0 is a hole."""
    fig = make_subplots(
        1, len(coverages), subplot_titles=[variant_name(k, lang) for k in coverages], horizontal_spacing=0.04
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
    fig.update_xaxes(showticklabels=False, showgrid=False, constrain="domain")
    fig.update_yaxes(showticklabels=False, showgrid=False, autorange="reversed", scaleanchor="x", constrain="domain")
    fig.update_layout(height=330, margin=dict(l=5, r=5, t=40, b=5))
    return fig
