"""A constructed example for the CRF: a synthetic scene whose true labels are known, and a score map made coarse
the way a stride-8 network's is.

DeepLab's score map is computed on a grid 8 times coarser than the image and upsampled bilinearly (Chen et al.,
ICLR 2015, §3.2), so its boundaries are blurred over ~8 pixels and thin parts vanish. `coarse_probabilities`
does exactly that to the one-hot true labels: average over 8×8 blocks (downsample by 8), bilinear upsampling back
to the image, a little label noise. Nothing here is a network's output: the page says "constructed".
`photo_scene` applies the same coarsening to a labelling of a real photo (its luminance cut into quantile bands),
so the CRF can be compared with pydensecrf on real image edges without trained weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

SHAPE_COLOURS = ((205, 70, 50), (240, 200, 60), (60, 140, 210))  # RGB of shapes 1, 2, 3
BACKGROUND = ((40, 60, 55), (110, 130, 120))  # RGB at the top and at the bottom of the background gradient


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


def constructed_scene(height: int = 240, width: int = 320, *, stride: int = 8, seed: int = 0) -> Scene:
    """Three shapes on a shaded, noisy background: an ellipse, a triangle, and a bar 12 px wide (1.5 strides)."""
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
    bar = np.abs(ys - (0.86 * height + 4 * rng.standard_normal()) - 0.25 * (xs - width / 2)) < 6
    truth[bar & (xs > 0.1 * width) & (xs < 0.9 * width)] = 3  # the bar, drawn last: on top
    top, bottom = np.array(BACKGROUND, dtype=np.float32)
    image = top + (bottom - top) * v[..., None]  # (H, W, 3) vertical gradient
    for label, colour in enumerate(SHAPE_COLOURS, start=1):
        image[truth == label] = colour
    image += rng.normal(0.0, 8.0, image.shape)  # sensor noise, so colours are not perfectly flat
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
