"""What every figure shares: one colour per meaning, the PASCAL VOC palette, and the axis and diagram helpers."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

# One colour per meaning, on every page.
BLUE, RED, TEAL, GREY = "#1f6fd1", "#d1495b", "#2a9d8f", "#7f7f7f"
INK, ARROW = "#222222", "#555555"
OS_COLOURS: dict[int, str] = {32: RED, 16: BLUE, 8: TEAL}  # output stride, wherever it is drawn
BACKBONE_COLOURS: dict[str, str] = {"resnet50": BLUE, "resnet101": "#f28e2b", "mobilenet_v3_large": TEAL}
# ASPP branches in torchvision's order: 1×1, three atrous rates (small to large), image pooling.
BRANCH_COLOURS: tuple[str, ...] = (GREY, BLUE, TEAL, RED, "#8e6cbf")
# Play/pause buttons: pale with dark text in both themes (the dark theme's defaults drew white text on white).
BUTTONS: dict = {"bgcolor": "#f0f2f6", "bordercolor": "#9a9a9a", "font": {"color": INK}}
HOLE_COLOUR = "#e4572e"  # a pixel no path reaches: the gridding artefact


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


def tint(colour: str, amount: float = 0.82) -> str:
    """`colour` mixed with white: a pale fill that keeps dark text readable, with the colour itself as the edge."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return hex_colour(tuple(round(c + (255 - c) * amount) for c in rgb))


def square_axes(x_range: list[float] | None = None, y_range: list[float] | None = None, *, ticks: bool = False) -> dict:
    """Layout entries for an image-like plot: square cells, y downwards, no grid (and no ticks unless asked)."""
    x = dict(showgrid=False, zeroline=False, showticklabels=ticks, constrain="domain", range=x_range)
    y = dict(showgrid=False, zeroline=False, showticklabels=ticks, constrain="domain", scaleanchor="x")
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
    edge: str = "#444444",
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
        arrowcolor=ARROW,
    )


def heatmap_row(fig: go.Figure, maps: list[np.ndarray], **heatmap: object) -> go.Figure:
    """One heatmap per subplot column of a 1-row `make_subplots` figure, each square with hidden axes."""
    for col, z in enumerate(maps, start=1):
        fig.add_trace(go.Heatmap(z=z, **heatmap), row=1, col=col)
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{col}", visible=False, row=1, col=col)
        fig.update_xaxes(visible=False, row=1, col=col)
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
    ink = "#f2f2f2" if dark else "#111111"
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
    note_ink = "#111111" if _is_light(fig.layout.plot_bgcolor) else ink
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
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
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
