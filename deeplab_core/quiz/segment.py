"""Questions for the segment lesson: the size torchvision's resize gives a photo (short side to s, long side
scaled and truncated) and the side of the ResNet's last map at the chosen output stride (DeepLabv3 §3.1).
Answered by deeplab_core.nets.segmentation.network_size and deeplab_core.maths.resolution.final_size."""

from __future__ import annotations

import random

from deeplab_core.config import DEEPLAB_OUTPUT_STRIDES, RESOLUTIONS
from deeplab_core.maths.resolution import final_size, stage_sizes
from deeplab_core.nets.segmentation import network_size
from deeplab_core.quiz import Question

LESSON = "segment"
PHOTOS = ((640, 480), (800, 600), (1024, 768), (1280, 720), (1920, 1080), (480, 640), (1080, 1350), (4032, 3024))


def _resized(rng: random.Random) -> tuple[int, int, int, int, int]:
    width, height = rng.choice(PHOTOS)
    short_side = rng.choice(RESOLUTIONS)
    h, w = network_size(width, height, short_side)
    return width, height, short_side, h, w


def _long_side(rng: random.Random) -> Question:
    width, height, short_side, h, w = _resized(rng)
    return Question(
        LESSON,
        "long_side",
        max(h, w),
        values={
            "width": width,
            "height": height,
            "short": short_side,
            "long": max(width, height),
            "shortest": min(width, height),
        },
    )


def _feature_side(rng: random.Random) -> Question:
    _, _, short_side, h, w = _resized(rng)
    os_ = rng.choice(DEEPLAB_OUTPUT_STRIDES)  # the output strides the page offers for a ResNet
    return Question(
        LESSON,
        "feature_side",
        final_size(min(h, w), os_),
        values={"short": short_side, "os": os_, "halvings": len({s.stride for s in stage_sizes(short_side, os_)})},
    )


def questions(rng: random.Random) -> list[Question]:
    return [_long_side(rng), _feature_side(rng)]
