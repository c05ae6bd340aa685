"""Synthetic scenes for the train lab: a task on which field of view and resolution both pay, by design.

A real segmentation data set (PASCAL VOC 2012 in DeepLabv3, Chen et al. 2017, §4) cannot be trained in a minute
on a CPU, so the lab draws its own scenes, each with its pixel labels, reproducibly from (seed, index). Each
class is built to need one of the properties the variants differ in:

- **disc** (large and small): filled discs whose radius spans a factor of five — objects at very different scales.
- **line** (thin structures): straight segments two pixels wide; at output stride 32 a line is a sixteenth of a
  cell wide and cannot be localised; at output stride 8 it is a quarter of a cell.
- **dot** (small objects): 3 × 3 squares, again far below one cell at output stride 32.
- **inside red / inside blue** (wide context): blobs with one and the same striped texture, labelled by the
  colour of the thin square frame that encloses them. The frame is at least `min_gap` pixels away from every
  blob, so no unit whose receptive field is smaller than about twice that distance can tell the two apart;
  the frame itself is background.

Images are float32 in [0, 1], (3, H, W); labels int64, (H, W). Every pixel's label is the class of the last
shape painted over it, and the image is painted with the same masks, so labels match shapes by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CLASSES: tuple[str, ...] = ("background", "disc", "line", "dot", "inside_red", "inside_blue")

_RGB = {
    "background": (0.50, 0.50, 0.50),
    "disc": (0.25, 0.65, 0.30),
    "line": (0.95, 0.85, 0.20),
    "dot": (0.85, 0.30, 0.85),
    "inside": (0.95, 0.60, 0.25),
    "red": (0.85, 0.15, 0.15),
    "blue": (0.15, 0.30, 0.90),
}


@dataclass(frozen=True)
class SceneSpec:
    """How scenes are drawn; every size in pixels."""

    size: int = 96
    noise: float = 0.10  # std of the per-pixel Gaussian noise on every colour
    discs: tuple[int, int] = (1, 3)  # how many per scene (inclusive)
    disc_radius: tuple[int, int] = (3, 16)
    lines: tuple[int, int] = (1, 3)
    line_width: int = 2
    dots: tuple[int, int] = (2, 5)
    dot_size: int = 3
    frame_side: tuple[int, int] = (48, 80)
    frame_width: int = 2
    blobs: tuple[int, int] = (1, 2)
    blob_radius: tuple[int, int] = (4, 8)
    min_gap: int = 10  # blob to frame distance


SCENES = SceneSpec()  # the lab's task


@dataclass(frozen=True)
class Scene:
    image: np.ndarray  # (3, H, W) float32
    labels: np.ndarray  # (H, W) int64


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float32)  # (H, W) each
    return rows, cols


def _paint(image: np.ndarray, labels: np.ndarray, mask: np.ndarray, rgb, label: int) -> None:
    image[:, mask] = np.asarray(rgb, dtype=np.float32)[:, None]  # (3, n)
    labels[mask] = label


def _framed_blobs(rng: np.random.Generator, spec: SceneSpec, rows, cols, image, labels) -> None:
    """One square frame, red or blue, and blobs of the shared texture well inside it."""
    side = int(rng.integers(spec.frame_side[0], spec.frame_side[1] + 1))
    top, left = (int(v) for v in rng.integers(0, spec.size - side + 1, size=2))
    inside = (rows >= top) & (rows < top + side) & (cols >= left) & (cols < left + side)
    w = spec.frame_width
    hollow = (rows >= top + w) & (rows < top + side - w) & (cols >= left + w) & (cols < left + side - w)
    red = bool(rng.integers(0, 2))
    _paint(image, labels, inside & ~hollow, _RGB["red" if red else "blue"], 0)
    stripes = ((rows + cols) // 2 % 2 == 0)[None]  # (1, H, W): the texture both blob classes share
    for _ in range(int(rng.integers(spec.blobs[0], spec.blobs[1] + 1))):
        radius = int(rng.integers(spec.blob_radius[0], spec.blob_radius[1] + 1))
        margin = w + spec.min_gap + radius
        if side - 2 * margin < 1:
            continue  # too small a frame for this blob: skip it rather than break the gap rule
        cy, cx = (int(v) + margin for v in rng.integers(0, side - 2 * margin, size=2))
        blob = (rows - top - cy) ** 2 + (cols - left - cx) ** 2 <= radius**2
        _paint(image, labels, blob, _RGB["inside"], CLASSES.index("inside_red" if red else "inside_blue"))
        image[:, blob & stripes[0]] *= 0.6


def _segment_mask(rng: np.random.Generator, spec: SceneSpec, rows, cols) -> np.ndarray:
    """A straight segment `line_width` wide between two random points at least size/4 apart."""
    while True:
        (y0, x0), (y1, x1) = rng.uniform(4, spec.size - 4, size=(2, 2))
        length = float(np.hypot(y1 - y0, x1 - x0))
        if length >= spec.size / 4:
            break
    t = np.clip(((rows - y0) * (y1 - y0) + (cols - x0) * (x1 - x0)) / length**2, 0, 1)
    distance = np.hypot(rows - (y0 + t * (y1 - y0)), cols - (x0 + t * (x1 - x0)))
    return distance < spec.line_width / 2


def scene(seed: int, index: int, spec: SceneSpec = SCENES) -> Scene:
    """Scene number `index` of the stream `seed`: the same pair always gives the same scene."""
    rng = np.random.default_rng([seed, index])
    n = spec.size
    rows, cols = _grid(n)
    image = np.empty((3, n, n), dtype=np.float32)
    image[:] = np.asarray(_RGB["background"], dtype=np.float32)[:, None, None]
    labels = np.zeros((n, n), dtype=np.int64)
    _framed_blobs(rng, spec, rows, cols, image, labels)
    for _ in range(int(rng.integers(spec.discs[0], spec.discs[1] + 1))):
        radius = int(rng.integers(spec.disc_radius[0], spec.disc_radius[1] + 1))
        cy, cx = rng.uniform(0, n, size=2)
        _paint(image, labels, (rows - cy) ** 2 + (cols - cx) ** 2 <= radius**2, _RGB["disc"], 1)
    for _ in range(int(rng.integers(spec.lines[0], spec.lines[1] + 1))):
        _paint(image, labels, _segment_mask(rng, spec, rows, cols), _RGB["line"], 2)
    d = spec.dot_size
    for _ in range(int(rng.integers(spec.dots[0], spec.dots[1] + 1))):
        top, left = (int(v) for v in rng.integers(0, n - d + 1, size=2))
        dot = (rows >= top) & (rows < top + d) & (cols >= left) & (cols < left + d)
        _paint(image, labels, dot, _RGB["dot"], 3)
    image += rng.normal(0.0, spec.noise, size=image.shape).astype(np.float32)
    return Scene(np.clip(image, 0.0, 1.0), labels)


def batch(seed: int, start: int, count: int, spec: SceneSpec = SCENES) -> tuple[np.ndarray, np.ndarray]:
    """Scenes start .. start + count - 1 of stream `seed`: images (N, 3, H, W) float32, labels (N, H, W) int64."""
    drawn = [scene(seed, index, spec) for index in range(start, start + count)]
    return np.stack([s.image for s in drawn]), np.stack([s.labels for s in drawn])
