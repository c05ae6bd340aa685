"""Figures for the dilation-formula lesson: a dilated kernel on the padded input, and its slide."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from deeplab_core.figures import style
from deeplab_core.figures.animation import animation_controls
from deeplab_core.figures.style import square_axes
from deeplab_core.i18n import text
from deeplab_core.maths.dilation import ConvGeometry

# Cell kinds on the padded input grid, drawn with a discrete colour scale.
INPUT, PADDING, HOLE, TAP, TAP_ON_PADDING = range(5)
CELL_COLOURS = [style.MAP_FILL, style.PADDING, style.KERNEL_HOLE, style.TAP, style.TAP_ON_PADDING]
# Output grid: not yet computed, computed, being computed now.
OUTPUT_COLOURS = [style.OUTPUT_PENDING, style.OUTPUT_DONE, style.OUTPUT_NOW]
MAX_FRAMES = 256
FRAME_MS = 350  # the slide's pace, in the page and in the exported GIF


def _discrete_scale(colours: list[str]) -> list[list]:
    n = len(colours)
    scale = []
    for i, colour in enumerate(colours):
        scale += [[i / n, colour], [(i + 1) / n, colour]]
    return scale


def padded_cells(geom: ConvGeometry, out_row: int, out_col: int) -> np.ndarray:
    """(P, P) cell kinds for the window of output (out_row, out_col); P = i + 2p."""
    size = geom.input_size + 2 * geom.padding
    pad = np.array([geom.is_padding(j) for j in range(size)])
    cells = np.where(pad[:, None] | pad[None, :], PADDING, INPUT)  # (P, P)
    r0, c0 = geom.window_start(out_row), geom.window_start(out_col)
    span = geom.effective_kernel_size
    window = cells[r0 : r0 + span, c0 : c0 + span]
    window[window == INPUT] = HOLE  # every in-window cell that is not a tap is a hole
    rows, cols = np.array(geom.taps(out_row)), np.array(geom.taps(out_col))
    on_pad = pad[rows][:, None] | pad[cols][None, :]
    cells[np.ix_(rows, cols)] = np.where(on_pad, TAP_ON_PADDING, TAP)
    return cells


def _legend_text(lang: str) -> str:
    names = [text(f"formula.fig.{k}", lang) for k in ("input", "padding", "hole", "tap", "tap_on_padding")]
    swatches = zip(CELL_COLOURS, names, strict=True)
    items = [f"<span style='color:{c};font-size:18px'>■</span> {n}" for c, n in swatches]
    return "    ".join(items[:3]) + "<br>" + "    ".join(items[3:])  # two lines: one is cut off on a phone


def _grid_heatmap(z: np.ndarray, colours: list[str], hover: str) -> go.Heatmap:
    return go.Heatmap(
        z=z,
        zmin=-0.5,
        zmax=len(colours) - 0.5,
        colorscale=_discrete_scale(colours),
        showscale=False,
        xgap=1,
        ygap=1,
        hovertemplate=hover + "<extra></extra>",
    )


def kernel_figure(geom: ConvGeometry, lang: str, out_row: int = 0, out_col: int = 0) -> go.Figure:
    """The dilated kernel of one output position on the padded input: taps, holes, padding ring."""
    hover = text("formula.fig.hover_cell", lang)
    fig = go.Figure(_grid_heatmap(padded_cells(geom, out_row, out_col), CELL_COLOURS, hover))
    fig.update_layout(**square_axes())
    fig.update_layout(
        title=text(
            "formula.fig.kernel_title", lang, k=geom.kernel_size, d=geom.dilation, k_eff=geom.effective_kernel_size
        ),
        annotations=[_legend_annotation(lang)],
        margin=dict(l=10, r=10, t=50, b=70),
        height=460,
    )
    return fig


def _heatmap_dict(z: np.ndarray, colours: list[str], hover: str, axes: str = "") -> dict:
    return {
        "type": "heatmap",
        "z": z.tolist(),
        "zmin": -0.5,
        "zmax": len(colours) - 0.5,
        "colorscale": _discrete_scale(colours),
        "showscale": False,
        "xgap": 1,
        "ygap": 1,
        "hovertemplate": hover + "<extra></extra>",
        "xaxis": f"x{axes}",
        "yaxis": f"y{axes}",
    }


def sliding_animation(geom: ConvGeometry, lang: str) -> dict:
    """Plotly frames: the kernel slides over the padded input while the output grid fills, cell by cell.

    Built as a plain plotly figure dict: plotly validates every property of every graph object, which costs
    a second or more for a few hundred frames, while plain dicts are only serialised.
    """
    o, size = geom.output_size, geom.input_size + 2 * geom.padding
    positions = [(r, c) for r in range(o) for c in range(o)][:MAX_FRAMES]

    def grids(step: int) -> tuple[np.ndarray, np.ndarray]:
        r, c = positions[step]
        filled = np.zeros((o, o), dtype=int)  # (o, o)
        filled.flat[:step] = 1
        filled[r, c] = 2
        return padded_cells(geom, r, c), filled

    cells, filled = grids(0)
    hidden = {"showticklabels": False, "showgrid": False, "zeroline": False, "constrain": "domain"}
    title = {"xref": "paper", "yref": "paper", "y": 1.0, "yanchor": "bottom", "showarrow": False, "font": {"size": 14}}
    layout = {
        "height": 580,
        "margin": {"l": 10, "r": 10, "t": 120, "b": 110},
        "xaxis": {**hidden, "domain": [0, 0.55]},
        "yaxis": {**hidden, "autorange": "reversed", "scaleanchor": "x"},
        "xaxis2": {**hidden, "domain": [0.63, 1]},
        "yaxis2": {**hidden, "autorange": "reversed", "scaleanchor": "x2"},
        "annotations": [
            # anchored at the two outer edges: centred over their panels, the titles ran into each other on a phone
            {**title, "x": 0, "xanchor": "left", "text": text("formula.fig.padded_input", lang, size=size)},
            {**title, "x": 1, "xanchor": "right", "text": text("formula.fig.output", lang, size=o)},
            _legend_annotation(lang, y=1.12, yanchor="bottom"),
        ],
        **animation_controls(
            [(str(i), f"({r},{c})") for i, (r, c) in enumerate(positions)],
            frame_ms=FRAME_MS,
            prefix=text("formula.fig.position", lang),
            lang=lang,
            y=-0.06,
            slider_x=0.15,
        ),
    }
    data = [
        _heatmap_dict(cells, CELL_COLOURS, text("formula.fig.hover_cell", lang)),
        _heatmap_dict(filled, OUTPUT_COLOURS, text("formula.fig.hover_output", lang), axes="2"),
    ]
    frames = []
    for i in range(len(positions)):
        cells, filled = grids(i)
        frames.append(
            {
                "name": str(i),
                "traces": [0, 1],
                "data": [{"type": "heatmap", "z": cells.tolist()}, {"type": "heatmap", "z": filled.tolist()}],
            }
        )
    return {"data": data, "layout": layout, "frames": frames}


def _legend_annotation(lang: str, y: float = -0.04, yanchor: str = "top") -> dict:
    return dict(
        text=_legend_text(lang),
        showarrow=False,
        xref="paper",
        yref="paper",
        x=0,
        y=y,
        xanchor="left",
        yanchor=yanchor,
        align="left",
        font={"size": 13},
    )
