"""The lessons' two animations as pictures for slides: an animated GIF, or any one frame as a PNG.

Drawn on the server with Pillow from the very data the page's plotly animations show, with the page's titles in
the reader's language: the formula lesson's sliding kernel (`figures.formula.padded_cells` for each output
position, in the page's order and up to its MAX_FRAMES), and the receptive field growing layer by layer
(`maths.receptive_field.prefix_coverages`, its holes, and the taps each layer reads). Chinese needs a CJK font;
without one the frames fall back to English and `Frames.lang` says so.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from deeplab_core.figures.formula import CELL_COLOURS, MAX_FRAMES, OUTPUT_COLOURS, padded_cells
from deeplab_core.figures.receptive_field import frame_title
from deeplab_core.figures.style import (
    GRID_BACKGROUND,
    HOLE_COLOUR,
    PATHS_FEW,
    PATHS_MANY,
    SLIDE_INK,
    TAP_MARK,
    WHITE,
    rgb,
)
from deeplab_core.i18n import text
from deeplab_core.maths.dilation import ConvGeometry
from deeplab_core.maths.receptive_field import ConvLayer, prefix_coverages, receptive_field

CJK_FONTS = (  # Debian/Ubuntu (fonts-noto-cjk), Fedora, macOS, Windows
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)
WIDTH, PANEL, MARGIN, FONT_SIZE = 760, 440, 24, 18
PAPER_RGB, INK_RGB, TAP_RGB = rgb(WHITE), rgb(SLIDE_INK), rgb(TAP_MARK)
COUNT_LOW, COUNT_HIGH = PATHS_FEW, PATHS_MANY  # the page's path-count colour scale


@dataclass(frozen=True)
class Panel:
    title: str
    colours: np.ndarray  # (H, W, 3) uint8, one pixel per cell
    marks: tuple[tuple[float, float], ...] = ()  # (row, col) cell coordinates ringed in yellow (taps)


@dataclass(frozen=True)
class Frame:
    caption: str  # under the panels: the output position, or the layer's title
    panels: tuple[Panel, ...]


@dataclass(frozen=True)
class Frames:
    frames: tuple[Frame, ...]
    legend: tuple[tuple[str, str], ...]  # (colour, name)
    lang: str  # the language the text is in: "en" when Chinese was asked for but no CJK font exists
    params: str = ""  # under every frame: the settings it was drawn with (a slide must say what it shows)


def cjk_font() -> Path | None:
    return next((Path(p) for p in CJK_FONTS if Path(p).is_file()), None)


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = cjk_font()
    return ImageFont.truetype(str(path), size) if path else ImageFont.load_default(size)


def text_language(lang: str) -> str:
    """The language frames can be written in here: Chinese only with a CJK font."""
    return lang if lang == "en" or cjk_font() is not None else "en"


def _paint(kinds: np.ndarray, colours: Sequence[str]) -> np.ndarray:
    return np.array([rgb(c) for c in colours], dtype=np.uint8)[kinds]  # (H, W, 3)


def formula_frames(geom: ConvGeometry, lang: str) -> Frames:
    """One frame per output position, row by row, as `figures.formula.sliding_animation` plays them."""
    lang = text_language(lang)
    o, size = geom.output_size, geom.input_size + 2 * geom.padding
    positions = [(r, c) for r in range(o) for c in range(o)][:MAX_FRAMES]
    frames = []
    for step, (r, c) in enumerate(positions):
        filled = np.zeros((o, o), dtype=int)  # (o, o): 0 to come, 1 done, 2 now
        filled.flat[:step] = 1
        filled[r, c] = 2
        panels = (
            Panel(text("formula.fig.padded_input", lang, size=size), _paint(padded_cells(geom, r, c), CELL_COLOURS)),
            Panel(text("formula.fig.output", lang, size=o), _paint(filled, OUTPUT_COLOURS)),
        )
        frames.append(Frame(f"{text('formula.fig.position', lang)}({r},{c})", panels))
    names = [text(f"formula.fig.{k}", lang) for k in ("input", "padding", "hole", "tap", "tap_on_padding")]
    params = text("export.params.formula", lang, i=geom.input_size, k=geom.kernel_size, d=geom.dilation,
                  s=geom.stride, p=geom.padding, k_eff=geom.effective_kernel_size, o=o)  # fmt: skip
    return Frames(tuple(frames), tuple(zip(CELL_COLOURS, names, strict=True)), lang, params)


def growth_taps(layers: Sequence[ConvLayer], depth: int) -> np.ndarray:
    """1-D positions, on the final field's grid, of the taps layer `depth` (1-based) reads around the centre."""
    records = receptive_field(layers)
    layer, size = layers[depth - 1], records[-1].size
    below_jump = records[depth - 2].jump if depth > 1 else 1
    width = len(prefix_coverages(layers[:depth])[-1])
    centre = (size - width) // 2 + (width - 1) / 2
    offsets = np.arange(layer.kernel_size) * layer.dilation - (layer.effective_kernel_size - 1) / 2
    return centre + offsets * below_jump


def growth_frames(layers: Sequence[ConvLayer], lang: str) -> Frames:
    """One frame per layer: paths to the centre unit (blue, darker = more), holes (red), this layer's taps."""
    lang = text_language(lang)
    records = receptive_field(layers)
    size = records[-1].size
    low, high = np.array(rgb(COUNT_LOW), dtype=np.float64), np.array(rgb(COUNT_HIGH), dtype=np.float64)
    frames = []
    for depth, (layer, record, paths) in enumerate(zip(layers, records, prefix_coverages(layers), strict=True), 1):
        counts = np.outer(paths, paths)  # (R, R)
        reached = counts[counts > 0]
        spread = reached.max() - reached.min()  # plotly's per-frame zmin..zmax; one count alone takes the dark end
        scale = (counts - reached.min()) / spread if spread else np.ones(counts.shape)
        block = (low + scale[..., None] * (high - low)).round().astype(np.uint8)  # (R, R, 3)
        block[counts == 0] = rgb(HOLE_COLOUR)
        image = np.full((size, size, 3), rgb(GRID_BACKGROUND), dtype=np.uint8)  # the page's plot background
        offset = (size - len(paths)) // 2
        image[offset : offset + len(paths), offset : offset + len(paths)] = block
        taps = growth_taps(layers, depth)
        title = frame_title(depth, layer, record.size, paths, lang)
        marks = tuple((float(y), float(x)) for y in taps for x in taps)
        frames.append(Frame(title, (Panel("", image, marks),)))
    names = [text(f"export.legend.{k}", lang) for k in ("paths", "hole", "taps")]
    legend = tuple(zip((COUNT_HIGH, HOLE_COLOUR, TAP_MARK), names, strict=True))
    stack = ", ".join(f"({la.kernel_size}, {la.dilation}, {la.stride}, {la.padding})" for la in layers)
    return Frames(tuple(frames), legend, lang, text("export.params.growth", lang, layers=stack, size=size))


def _wrapped(draw: ImageDraw.ImageDraw, words: str, font, width: int) -> list[str]:
    """Lines no wider than `width`: break at spaces, or between any two characters for CJK text."""
    units = words.split(" ") if " " in words else list(words)
    joiner = " " if " " in words else ""
    lines, line = [], ""
    for unit in units:
        trial = f"{line}{joiner}{unit}" if line else unit
        if line and draw.textlength(trial, font=font) > width:
            lines.append(line)
            line = unit
        else:
            line = trial
    return [*lines, line] if line else lines


def _panel_image(panel: Panel, side: int) -> Image.Image:
    """Cells scaled to fit `side` pixels, with a one-pixel white gap between cells when they are large enough."""
    rows, cols = panel.colours.shape[:2]
    cell = max(1, side // max(rows, cols))
    big = panel.colours.repeat(cell, axis=0).repeat(cell, axis=1)
    if cell >= 6:
        big[cell - 1 :: cell, :], big[:, cell - 1 :: cell] = 255, 255
    image = Image.fromarray(big)
    draw = ImageDraw.Draw(image)
    radius = max(2, cell // 2)
    for y, x in panel.marks:
        cy, cx = (y + 0.5) * cell, (x + 0.5) * cell
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline=TAP_RGB, width=2)
    return image


def _legend_layout(draw: ImageDraw.ImageDraw, legend: Sequence[tuple[str, str]], font) -> list[tuple[int, int]]:
    """(x, row) of each legend entry, wrapping to a new row where the next one would not fit."""
    spots, x, row = [], MARGIN, 0
    for _, name in legend:
        width = int(FONT_SIZE + 6 + draw.textlength(name, font=font) + MARGIN)
        if x + width > WIDTH and x > MARGIN:
            x, row = MARGIN, row + 1
        spots.append((x, row))
        x += width
    return spots


def render(frames: Frames, index: int) -> Image.Image:
    """Frame `index` as an RGB image: panel titles, the panels side by side, the caption, the settings the frames
    were drawn with, and the legend."""
    frame, font, line = frames.frames[index], _font(FONT_SIZE), FONT_SIZE + 8
    sides = (PANEL, WIDTH - PANEL - 3 * MARGIN) if len(frame.panels) == 2 else (WIDTH - 2 * MARGIN,)
    images = [_panel_image(p, s) for p, s in zip(frame.panels, sides, strict=True)]
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    caption = _wrapped(probe, frame.caption, font, WIDTH - 2 * MARGIN)
    caption += _wrapped(probe, frames.params, font, WIDTH - 2 * MARGIN) if frames.params else []
    spots = _legend_layout(probe, frames.legend, font)
    top = MARGIN + (line if any(p.title for p in frame.panels) else 0)
    below = top + max(i.height for i in images) + MARGIN
    rows = len(caption) + (spots[-1][1] + 1 if spots else 0)
    canvas = Image.new("RGB", (WIDTH, below + line * rows + MARGIN), PAPER_RGB)
    draw = ImageDraw.Draw(canvas)
    x = MARGIN
    for panel, image in zip(frame.panels, images, strict=True):
        draw.text((x, MARGIN), panel.title, fill=INK_RGB, font=font)
        canvas.paste(image, (x, top))
        x += image.width + MARGIN
    for n, words in enumerate(caption):
        draw.text((MARGIN, below + n * line), words, fill=INK_RGB, font=font)
    for (colour, name), (x, row) in zip(frames.legend, spots, strict=True):
        y = below + (len(caption) + row) * line
        draw.rectangle((x, y + 3, x + FONT_SIZE - 4, y + FONT_SIZE - 1), fill=rgb(colour), outline=INK_RGB)
        draw.text((x + FONT_SIZE + 2, y), name, fill=INK_RGB, font=font)
    return canvas


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _palette() -> Image.Image:
    """Every flat colour the frames use, greys for anti-aliased text and a ramp of the path-count blues: one
    fixed palette, so each frame is mapped to it without a per-frame colour search (about 10× faster)."""
    flat = [
        PAPER_RGB,
        INK_RGB,
        TAP_RGB,
        *(rgb(c) for c in (*CELL_COLOURS, *OUTPUT_COLOURS, HOLE_COLOUR, GRID_BACKGROUND)),
    ]
    greys = [tuple(round(w + (k - w) * i / 15) for w, k in zip(PAPER_RGB, INK_RGB, strict=True)) for i in range(1, 15)]
    low, high = rgb(COUNT_LOW), rgb(COUNT_HIGH)
    blues = [tuple(round(a + (b - a) * i / 63) for a, b in zip(low, high, strict=True)) for i in range(64)]
    colours = [channel for colour in (*flat, *greys, *blues) for channel in colour]
    palette = Image.new("P", (1, 1))
    palette.putpalette(colours + colours[:3] * (256 - len(colours) // 3))
    return palette


def gif_bytes(frames: Frames, duration_ms: int) -> bytes:
    """Every frame, looping forever, `duration_ms` per frame (GIF stores hundredths of a second)."""
    palette = _palette()
    images = [render(frames, i).quantize(palette=palette, dither=Image.Dither.NONE) for i in range(len(frames.frames))]
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:], duration=duration_ms, loop=0)
    return out.getvalue()
