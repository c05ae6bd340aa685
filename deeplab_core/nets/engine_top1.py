"""The engine's top-1 at the photo's size, in bands of rows so that no photo-sized buffer of all classes exists.

What it computes is `segmentation.top1`: the logits upsampled bilinearly (align_corners=False, PyTorch's
half-pixel rule), then per pixel the winning class and 1 / Σ_c exp(l_c − l_max). Bilinear upsampling is separable,
so it runs in two ONNX Runtime graphs:
- **widen**: Resize to the photo's width only, (1, C, h, w) → (1, C, h, W), small (h is the score map's height);
- **band**, once per band of output rows: each row blends two rows of the widened map with PyTorch's weights
  (`row_weights`), then max, argmax and the sum of exponentials over the classes.

Why bands: a photo of 2048×1536 (images.MAX_SIDE) upsampled for 21 classes is 264 MB of float32, and the
reductions need two more like it. ONNX Runtime's memory arena keeps the largest buffers it ever served for the
life of the process: with one graph over the whole photo, the server held ~850 MB for good after one camera
photo, and without the arena every call paid for faulting that memory in afresh (2× slower). In bands of
BAND_BYTES the arena stays a few tens of MB and is reused (docs/BENCHMARKS.md, "A class that watches …").
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from deeplab_core.nets.engine_export import OPSET
from deeplab_core.nets.ort_session import run, session

BAND_BYTES = 8 * 2**20  # one band's upsampled logits, float32: a few of these are the graph's whole working memory


def row_weights(h: int, height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each of `height` output rows upsampled from `h` rows: the two source rows it blends and the second one's
    weight, as PyTorch's upsample_bilinear2d computes them in float32 (align_corners=False: source =
    (row + ½)·h/height − ½, clamped at 0; the last row blends with itself)."""
    scale = np.float32(h / height)
    source = np.maximum((np.arange(height, dtype=np.float32) + np.float32(0.5)) * scale - np.float32(0.5), 0)
    first = source.astype(np.int64)  # (height,) floor, source ≥ 0
    second = np.minimum(first + 1, h - 1)  # (height,)
    weight = (source - first).astype(np.float32)  # (height,) the second row's share
    return first, second, weight


def band_rows(classes: int, width: int) -> int:
    """Output rows per band: as many as fit BAND_BYTES of float32 logits, at least one."""
    return max(1, BAND_BYTES // (4 * classes * max(width, 1)))


def top1(logits: np.ndarray, size: tuple[int, int], threads: int) -> tuple[np.ndarray, np.ndarray]:
    """(1, C, h, w) float32 logits → labels (H, W) int64 and top-1 probability (H, W) float32 at `size` = (H, W),
    on `threads` threads."""
    height, width = size
    classes, h = logits.shape[1], logits.shape[2]
    wide = run(_widen(threads), None, {"logits": logits, "width": np.array([width], dtype=np.int64)})[0]  # (1, C, h, W)
    first, second, weight = row_weights(h, height)
    labels = np.empty((height, width), dtype=np.int64)
    probability = np.empty((height, width), dtype=np.float32)
    rows = band_rows(classes, width)
    for top in range(0, height, rows):
        band = slice(top, min(top + rows, height))
        feeds = {
            "wide": wide,
            "first": first[band],
            "second": second[band],
            "weight": weight[band].reshape(1, 1, -1, 1),
        }
        labels[band], probability[band] = (out[0] for out in run(_band(threads), None, feeds))
    return labels, probability


@functools.cache
def _widen(threads: int) -> Any:
    """Resize along the width only (the height's scale is 1: the half-pixel rule maps each row onto itself)."""
    from onnx import TensorProto, helper

    node = helper.make_node
    graph = helper.make_graph(
        [
            node("Shape", ["logits"], ["batch_classes_height"], end=3),
            node("Concat", ["batch_classes_height", "width"], ["sizes"], axis=0),
            node(
                "Resize",
                ["logits", "", "", "sizes"],
                ["wide"],
                mode="linear",
                coordinate_transformation_mode="half_pixel",
            ),
        ],
        "widen",
        [
            helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, "classes", "height", "width_in"]),
            helper.make_tensor_value_info("width", TensorProto.INT64, [1]),
        ],
        [helper.make_tensor_value_info("wide", TensorProto.FLOAT, [1, "classes", "height", "width_out"])],
    )
    return _session(graph, threads)


@functools.cache
def _band(threads: int) -> Any:
    """One band: rows blended from two rows of the widened map (a + w·(b − a)), then the top-1 over the classes."""
    from onnx import TensorProto, helper

    node = helper.make_node
    graph = helper.make_graph(
        [
            node("Gather", ["wide", "first"], ["upper"], axis=2),  # (1, C, rows, W)
            node("Gather", ["wide", "second"], ["lower"], axis=2),
            node("Sub", ["lower", "upper"], ["step"]),
            node("Mul", ["step", "weight"], ["part"]),
            node("Add", ["upper", "part"], ["up"]),
            node("ReduceMax", ["up"], ["best"], axes=[1], keepdims=1),
            node("ArgMax", ["up"], ["labels"], axis=1, keepdims=0),
            node("Sub", ["up", "best"], ["shifted"]),
            node("Exp", ["shifted"], ["exp"]),
            node("ReduceSum", ["exp", "classes_axis"], ["total"], keepdims=0),
            node("Reciprocal", ["total"], ["probability"]),
        ],
        "band",
        [
            helper.make_tensor_value_info("wide", TensorProto.FLOAT, [1, "classes", "height", "width"]),
            helper.make_tensor_value_info("first", TensorProto.INT64, ["rows"]),
            helper.make_tensor_value_info("second", TensorProto.INT64, ["rows"]),
            helper.make_tensor_value_info("weight", TensorProto.FLOAT, [1, 1, "rows", 1]),
        ],
        [
            helper.make_tensor_value_info("labels", TensorProto.INT64, [1, "rows", "width"]),
            helper.make_tensor_value_info("probability", TensorProto.FLOAT, [1, "rows", "width"]),
        ],
        [helper.make_tensor("classes_axis", TensorProto.INT64, [1], [1])],
    )
    return _session(graph, threads)


def _session(graph: Any, threads: int) -> Any:
    from onnx import helper

    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    return session(model.SerializeToString(), threads)
