"""A constructed example for the CRF: a synthetic scene whose true labels are known, and a score map made coarse
the way a network's is.

A network's score map is computed on a grid coarser than the image and upsampled bilinearly (DeepLab v1: output
stride 8, Chen et al., ICLR 2015, §3.1), so its boundaries are blurred over a cell or more and thin parts fade.
`coarse_probabilities` does exactly that to the one-hot true labels: average over stride×stride blocks
(downsample), bilinear upsampling back to the image, a little label noise. Nothing here is a network's output:
the page says "constructed".

The default scene is coarsened at output stride 32 (VGG-16's or ResNet's own stride, before the hole algorithm),
so its boundaries start a whole cell away from the image's edges, and its shapes are drawn at half contrast over
a noisy background, as objects in a photo are rarely flat colours far from their surroundings. The appearance
kernel then cannot sort every pixel by its colour at once, and the boundaries move over several mean-field steps:
tests/test_crf_scene.py checks that each of the first five steps relabels pixels with the lesson's default
settings and that the labels come closer to the truth. (With flat, full-contrast shapes at stride 8 the first step
did all the work and the later ones changed nothing.)
`photo_scene` applies the same coarsening to a labelling of a real photo (its luminance cut into quantile bands),
so the CRF can be compared with pydensecrf on real image edges without trained weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

SHAPE_COLOURS = ((205, 70, 50), (240, 200, 60), (60, 140, 210))  # RGB of shapes 1, 2, 3 at full contrast
BACKGROUND = ((40, 60, 55), (110, 130, 120))  # RGB at the top and at the bottom of the background gradient
SCENE_STRIDE = 32  # the default score map's output stride
CONTRAST = 0.5  # a shape's colour: the background's, moved this far towards its full colour
NOISE = 20.0  # standard deviation of the sensor noise, in colour levels (0..255)
BAR_WIDTH = 1.0  # the bar's width in cells of the score map: as thin as the coarse map can still see


@dataclass(frozen=True, eq=False)
class Scene:
    image: np.ndarray  # (H, W, 3) uint8
    truth: np.ndarray  # (H, W) int64 true labels: 0 background, 1..k shapes
    probabilities: np.ndarray  # (C, H, W) float32: the coarse score map (softmax-like, sums to 1 per pixel)
    stride: int  # the grid step the score map was coarsened to

    @property
    def classes(self) -> int:
        return self.probabilities.shape[0]


def coarse_probabilities(labels: np.ndarray, classes: int, stride: int = 8, confidence: float = 0.9) -> np.ndarray:
    """(C, H, W): one-hot `labels` averaged over stride×stride blocks, upsampled bilinearly, mixed with uniform."""
    h, w = labels.shape
    onehot = F.one_hot(torch.from_numpy(labels).long(), classes).permute(2, 0, 1)[None].float()  # (1, C, H, W)
    coarse = F.avg_pool2d(onehot, stride, stride, ceil_mode=True)  # (1, C, ⌈H/s⌉, ⌈W/s⌉)
    up = F.interpolate(coarse, size=(h, w), mode="bilinear", align_corners=False)[0]  # (C, H, W)
    return (confidence * up + (1 - confidence) / classes).numpy().astype(np.float32)


def constructed_scene(height: int = 180, width: int = 240, *, stride: int = SCENE_STRIDE, seed: int = 0) -> Scene:
    """Three shapes on a shaded, noisy background: an ellipse, a triangle, and a bar one score-map cell wide."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    u, v = xs / width, ys / height
    truth = np.zeros((height, width), dtype=np.int64)
    cx, cy = 0.32 + 0.05 * rng.standard_normal(), 0.45 + 0.05 * rng.standard_normal()
    truth[((u - cx) / 0.2) ** 2 + ((v - cy) / 0.28) ** 2 < 1] = 1  # ellipse
    apex, left, right = (0.72, 0.18), (0.55, 0.78), (0.93, 0.7)
    inside = np.ones_like(truth, dtype=bool)
    for (x0, y0), (x1, y1) in ((apex, left), (left, right), (right, apex)):
        inside &= (x1 - x0) * (v - y0) - (y1 - y0) * (u - x0) <= 0
    truth[inside] = 2  # triangle
    centre = 0.86 * height + 4 * rng.standard_normal()
    bar = np.abs(ys - centre - 0.25 * (xs - width / 2)) < BAR_WIDTH * stride / 2
    truth[bar & (xs > 0.1 * width) & (xs < 0.9 * width)] = 3  # the bar, drawn last: on top
    top, bottom = np.array(BACKGROUND, dtype=np.float32)
    background = top + (bottom - top) * v[..., None]  # (H, W, 3) vertical gradient
    image = background.copy()
    for label, colour in enumerate(SHAPE_COLOURS, start=1):
        shape = truth == label
        image[shape] += CONTRAST * (np.array(colour, dtype=np.float32) - background[shape])
    image += rng.normal(0.0, NOISE, image.shape)  # sensor noise, so colours are not flat
    image = np.clip(image, 0, 255).astype(np.uint8)
    return Scene(image, truth, coarse_probabilities(truth, 1 + len(SHAPE_COLOURS), stride), stride)


def photo_scene(image: np.ndarray, classes: int = 4, stride: int = 8) -> Scene:
    """A real photo (H, W, 3) uint8, labelled by cutting its luminance into `classes` quantile bands, coarsened."""
    luminance = image.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)  # (H, W)
    edges = np.quantile(luminance, np.linspace(0, 1, classes + 1)[1:-1])
    truth = np.digitize(luminance, edges).astype(np.int64)  # (H, W) in 0..classes-1
    return Scene(np.ascontiguousarray(image), truth, coarse_probabilities(truth, classes, stride), stride)


def iou(labels: np.ndarray, truth: np.ndarray, label: int) -> float:
    """Intersection over union of one label's pixels; 1.0 when the label is absent from both."""
    a, b = labels == label, truth == label
    union = int((a | b).sum())
    return int((a & b).sum()) / union if union else 1.0


def mean_iou(labels: np.ndarray, truth: np.ndarray, classes: int) -> float:
    return float(np.mean([iou(labels, truth, c) for c in range(classes)]))
