"""What every figure shares: one colour per meaning, the PASCAL VOC palette, and the axis and diagram helpers."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

# Every colour the figures draw with lives here, named for what it means; the figures import the names.
# The course's hues, one meaning each on every page.
BLUE, RED, TEAL, GREY = "#1f6fd1", "#d1495b", "#2a9d8f", "#7f7f7f"
ORANGE, PURPLE = "#f28e2b", "#8e6cbf"
BROWN, PINK, VIOLET, CYAN = "#8c564b", "#e377c2", "#9467bd", "#17becf"  # plotly's D3 hues, for what needs more
WHITE = "#ffffff"

# Text and lines.
INK = "#222222"  # text and outlines on a light background
SECONDARY = "#555555"  # arrows, dashed guides, notes beside a chart
NOTE = "#666666"  # small labels under a schematic
REFERENCE = "#888888"  # reference lines (the ASPP rates on a chart)
BOX_EDGE, BAR_EDGE = "#444444", "#333333"  # the outline of a diagram block; of a legend bar
INK_STRONG, INK_ON_DARK = "#111111", "#f2f2f2"  # projector text on a light and on a dark theme
SLIDE_INK = "#262730"  # text on exported slides: Streamlit's own text colour, as beside the page's charts
WARNING = "#b00020"  # what an untrained network shows
BANNER = "rgba(255,255,255,0.8)"  # behind a warning drawn over a picture

# Grids: cells of a map, its padding, and what a kernel does with them.
MAP_FILL = "#e8eef7"  # a map's (or an input's) cells
PADDING = "#c8c8c8"  # padded cells in a grid
PADDING_RING = "#d9d9d9"  # the zero-padding ring around a whole map, paler: taps are drawn over it
KERNEL_HOLE = "#fff3c4"  # a pixel inside a dilated kernel's window that the kernel skips
TAP, TAP_ON_PADDING = BLUE, RED  # where a kernel's weights land: on the map, on padding
TAP_MARK = "#f5b700"  # the ring around the taps a layer reads, on a grid or a photo
OUTPUT_PENDING, OUTPUT_DONE, OUTPUT_NOW = "#f4f4f4", "#9cc3f0", BLUE  # an output grid filling position by position
GRID_BACKGROUND = "#eef0f3"  # a receptive field's whole extent, faint: its growth shows against it
PATHS_FEW, PATHS_MANY = "#dbe8f8", "#0b3d91"  # paths from an input pixel to the centre unit
HOLE_COLOUR = "#e4572e"  # a pixel no path reaches: the gridding artefact
CRF_CHANGED = "#ff2bd6"  # a pixel the current mean-field step relabelled (no VOC class has this colour)
ABLATION_CHANGED = "#e6194b"  # a pixel whose label changed when an ASPP branch was muted

# Diagram blocks (the overview's schematics, DeepLab v2's ASPP).
IMAGE_FILL, NETWORK_FILL, FEATURE_FILL, MERGE_FILL = "#f6d8a8", "#cfe0f5", BLUE, "#f4b6bf"
NEUTRAL_FILL, SUM_FILL = "#eeeeee", "#f5e6c8"
CONCAT_COLOUR, PROJECTION_COLOUR = BROWN, PINK  # ASPP's concatenation and its 1×1 projection

# One colour per meaning, wherever it is drawn.
OS_COLOURS: dict[int, str] = {32: RED, 16: BLUE, 8: TEAL}  # output stride
BACKBONE_COLOURS: dict[str, str] = {"resnet50": BLUE, "resnet101": ORANGE, "mobilenet_v3_large": TEAL}
# ASPP branches in torchvision's order: 1×1, three atrous rates (small to large), image pooling.
BRANCH_COLOURS: tuple[str, ...] = (GREY, BLUE, TEAL, RED, PURPLE)
# Valid weights of a 3×3 filter at one position (1, 2, 3, 4, 6 or 9), in the curves and the heat map alike;
# another count (a larger kernel) takes one of EXTRA_COLOURS.
VALID_COUNT_COLOURS: dict[int, str] = {1: RED, 2: "#f4a259", 3: "#f6d55c", 4: "#8cb369", 6: PURPLE, 9: BLUE}
EXTRA_COLOURS: tuple[str, ...] = (GREY, VIOLET, BROWN, PINK, CYAN)
VARIANT_COLOURS: dict[str, str] = {"a": RED, "b": BLUE, "c": TEAL, "d": PURPLE, "e-grid": ORANGE, "e-hdc": SECONDARY}
# The train lab's classes, close to the colours the scenes paint them with (so a reader matches them).
LAB_CLASS_COLOURS: dict[str, str] = {
    "background": "#3c3c3c",
    "disc": "#40a64d",
    "line": "#f2d933",
    "dot": "#d94dd9",
    "inside_red": "#e63c3c",
    "inside_blue": "#3c64eb",
}
# Play/pause buttons: pale with dark text in both themes (the dark theme's defaults drew white text on white).
BUTTONS: dict = {"bgcolor": "#f0f2f6", "bordercolor": "#9a9a9a", "font": {"color": INK}}


def voc_palette(n: int = 256) -> np.ndarray:
    """(n, 3) uint8: the PASCAL VOC colour map (the bits of the class index spread over R, G, B)."""
    palette = np.zeros((n, 3), dtype=np.uint8)
    for index in range(n):
        c, r, g, b = index, 0, 0, 0
        for shift in range(7, -1, -1):
            r |= (c & 1) << shift
            g |= ((c >> 1) & 1) << shift
            b |= ((c >> 2) & 1) << shift
            c >>= 3
        palette[index] = (r, g, b)
    return palette


PALETTE = voc_palette()


def label_image(labels: np.ndarray) -> np.ndarray:
    """(H, W) class indices → (H, W, 3) uint8 VOC colours."""
    return PALETTE[labels]


def hex_colour(rgb: np.ndarray | tuple[int, ...]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(int(c) for c in rgb))


def rgb(colour: str) -> tuple[int, int, int]:
    """ "#rrggbb" → (r, g, b), for pictures drawn with numpy or Pillow."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return r, g, b


def tint(colour: str, amount: float = 0.82) -> str:
    """`colour` mixed with white: a pale fill that keeps dark text readable, with the colour itself as the edge."""
    return hex_colour(tuple(round(c + (255 - c) * amount) for c in rgb(colour)))


def square_axes(x_range: list[float] | None = None, y_range: list[float] | None = None, *, ticks: bool = False) -> dict:
    """Layout entries for an image-like plot: square cells, y downwards, no grid (and no ticks unless asked)."""
    x = dict(showgrid=False, zeroline=False, showticklabels=ticks, constrain="domain", range=x_range)
    y = dict(showgrid=False, zeroline=False, showticklabels=ticks, constrain="domain", scaleanchor="x")
    if not ticks:  # not even the marks: the template draws them outside, beside nothing
        x["ticks"] = y["ticks"] = ""
    y.update(range=y_range) if y_range is not None else y.update(autorange="reversed")
    return dict(xaxis=x, yaxis=y)


def box(
    fig: go.Figure,
    x: float,
    y: float,
    w: float,
    h: float,
    label: str = "",
    *,
    fill: str,
    edge: str = BOX_EDGE,
    opacity: float = 1.0,
    font_size: int = 12,
    font_colour: str = INK,
) -> None:
    """A rectangle centred on (x, y), with an optional label inside: a block of a diagram."""
    fig.add_shape(
        type="rect",
        x0=x - w / 2,
        x1=x + w / 2,
        y0=y - h / 2,
        y1=y + h / 2,
        fillcolor=fill,
        opacity=opacity,
        line=dict(color=edge, width=1.5),
        layer="below",
    )
    if label:
        fig.add_annotation(
            x=x, y=y, text=label, showarrow=False, font=dict(size=font_size, color=font_colour), name="box"
        )  # named: projector styling keeps the colour of a label on a pale tint


def arrow(fig: go.Figure, x0: float, y0: float, x1: float, y1: float) -> None:
    """An arrow from (x0, y0) to (x1, y1) in data coordinates."""
    fig.add_annotation(
        x=x1,
        y=y1,
        ax=x0,
        ay=y0,
        xref="x",
        yref="y",
        axref="x",
        ayref="y",
        text="",
        showarrow=True,
        arrowhead=2,
        arrowwidth=1.4,
        arrowcolor=SECONDARY,
    )


def heatmap_grid(fig: go.Figure, maps: list[np.ndarray], columns: int, **heatmap: object) -> go.Figure:
    """One heatmap per subplot of a `make_subplots` figure with `columns` columns, filled row by row, each square
    with hidden axes."""
    for i, z in enumerate(maps):
        row, col = i // columns + 1, i % columns + 1
        fig.add_trace(go.Heatmap(z=z, **heatmap), row=row, col=col)
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{i + 1}", visible=False, row=row, col=col)
        fig.update_xaxes(visible=False, row=row, col=col)
    return fig


PROJECTOR_TEXT = 16  # px: the smallest text the back row of a lecture room reads on a projected chart
LINE_SCALE, MIN_LINE, MARKER_SCALE = 2.0, 3.0, 1.5


def for_projector(fig: go.Figure | dict, *, dark: bool = False) -> go.Figure | dict:
    """A copy of `fig` for a projector: every text at least PROJECTOR_TEXT px and in a strong ink (near-black, or
    near-white on a dark theme) instead of a pale grey, lines twice as thick, markers half as large again. Labels
    inside diagram boxes (`box`, named "box") keep their colour: they sit on pale tints in either theme.
    A figure given as a plain dict (a long animation, built unvalidated) comes back as a dict with its frames
    untouched: validating hundreds of frames would cost seconds."""
    if isinstance(fig, dict):
        styled = _projected(go.Figure({**fig, "frames": []}), dark).to_dict()
        return {**styled, "frames": fig.get("frames", [])}
    return _projected(go.Figure(fig), dark)


def _projected(fig: go.Figure, dark: bool) -> go.Figure:
    """for_projector on a figure object (already a copy)."""
    ink = INK_ON_DARK if dark else INK_STRONG
    big = dict(size=PROJECTOR_TEXT, color=ink)
    fig.update_layout(
        font=big,
        title_font=dict(size=PROJECTOR_TEXT + 4, color=ink),
        legend_font=big,
        hoverlabel_font_size=PROJECTOR_TEXT,
    )
    for axes in (fig.update_xaxes, fig.update_yaxes):
        axes(tickfont=big, title_font=dict(size=PROJECTOR_TEXT + 2, color=ink))
    # notes drawn on a light plot area (a diagram's white panel) stay dark even on the dark theme
    note_ink = INK_STRONG if _is_light(fig.layout.plot_bgcolor) else ink
    for note in fig.layout.annotations:
        note.font.size = max(note.font.size or 0, PROJECTOR_TEXT)
        if note.name != "box" and note.bgcolor is None:
            note.font.color = note_ink if note.xref in (None, "x") or str(note.xref).startswith("x") else ink
    for menu in fig.layout.updatemenus:  # buttons keep their colours (BUTTONS: pale in either theme)
        menu.font.size = PROJECTOR_TEXT
    for control in fig.layout.sliders:
        control.font = big
    for slider in fig.layout.sliders:  # its value at the right end, clear of the wider play/pause buttons
        slider.currentvalue.update(font=big, xanchor="right")
    for trace in (*fig.data, *(t for frame in fig.frames for t in frame.data)):
        _thicken(trace)
    return fig


def _is_light(colour: str | None) -> bool:
    """True for white and pale hex colours (luminance above one half); None (transparent) is not light."""
    if colour is None:
        return False
    if colour == "white":
        return True
    if not (colour.startswith("#") and len(colour) == 7):
        return False
    r, g, b = rgb(colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b > 128


def _thicken(trace) -> None:
    """Thicker lines and larger markers on one trace (array-valued marker sizes are scaled element by element)."""
    line = getattr(trace, "line", None)
    if line is not None and "width" in line and trace.type in ("scatter", "scattergl"):
        line.width = max((line.width or 2) * LINE_SCALE, MIN_LINE)
    marker = getattr(trace, "marker", None)
    if trace.type in ("scatter", "scattergl") and marker is not None:
        size = 6 if marker.size is None else marker.size  # plotly's default marker size is 6 px
        marker.size = [s * MARKER_SCALE for s in size] if isinstance(size, list | tuple) else size * MARKER_SCALE
    if "textfont" in trace:
        trace.textfont.size = max(trace.textfont.size or 0, PROJECTOR_TEXT)
