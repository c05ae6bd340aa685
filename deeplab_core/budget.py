"""The pixel budget every network input obeys, whatever the photo's shape.

DeepLab resizes a photo so that its short side is `s` (torchvision's preset: s = 520, long side truncated), so the
input has s · ⌊s·a⌋ pixels for a photo of aspect ratio a = long/short. That is harmless for a 4:3 photo and ruinous
for a strip: 20000×1 pixels would become a 520 × 10,400,000 input, gigabytes of activations. Two rules bound it:

- **Budget**: the input never has more pixels than a 1:B photo at short side s, that is B·s² (B = BUDGET_ASPECT).
  A longer photo gets a smaller short side s' = the largest s' ≤ s with s'·⌊s'·a⌋ ≤ B·s², about s·√(B/a).
- **Refusal**: beyond a = MAX_ASPECT the photo is refused before any pixel is decoded or resized; at that ratio
  s' ≥ s·√(B/MAX_ASPECT) (half of s for 4 and 16), so every accepted photo keeps a usable resolution.

Pure integer arithmetic, no torch: pages, `deeplab_core.images.load_image` and every network pipeline call it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import Image

from deeplab_core.config import BUDGET_ASPECT, MAX_ASPECT
from deeplab_core.errors import LabError


class PhotoShapeError(LabError, ValueError):
    """A photo too elongated for any network page ("errors.budget.aspect")."""

    def __init__(self, width: int, height: int) -> None:
        ratio = max(width, height) / max(min(width, height), 1)
        super().__init__(
            "errors.budget.aspect",
            f"The photo is {width}×{height} pixels, 1:{ratio:.0f}; photos longer than 1:{MAX_ASPECT} are refused.",
            width=width,
            height=height,
            ratio=f"{ratio:.0f}",
            limit=MAX_ASPECT,
        )


@dataclass(frozen=True)
class InputPlan:
    """What the network will see for a photo of `photo` (W, H) asked at short side `requested`."""

    photo: tuple[int, int]  # (W, H)
    requested: int  # the short side the page asked for
    short_side: int  # the short side the network gets (≤ requested)
    size: tuple[int, int]  # (h, w) of the network input

    @property
    def scaled(self) -> bool:
        """True when the budget, not the page's resolution, set the size."""
        return self.short_side < self.requested

    @property
    def pixels(self) -> int:
        return self.size[0] * self.size[1]


def pixel_budget(short_side: int) -> int:
    """B·s²: the pixels of a 1:B photo at short side s."""
    return BUDGET_ASPECT * short_side * short_side


def check_aspect(width: int, height: int) -> None:
    """Refuse (PhotoShapeError) an empty photo or one longer than 1:MAX_ASPECT, from its size alone."""
    if min(width, height) < 1 or max(width, height) > MAX_ASPECT * min(width, height):
        raise PhotoShapeError(width, height)


def network_size(width: int, height: int, short_side: int) -> tuple[int, int]:
    """(h, w) after torchvision's resize of the short side to `short_side` (long side truncated, as it does)."""
    short, long = min(width, height), max(width, height)
    new_short, new_long = short_side, int(short_side * long / short)
    return (new_short, new_long) if height <= width else (new_long, new_short)


def plan_input(width: int, height: int, short_side: int) -> InputPlan:
    """The network input for a W×H photo at `short_side`, within the pixel budget; PhotoShapeError beyond 1:16."""
    check_aspect(width, height)
    budget = pixel_budget(short_side)
    short, long = min(width, height), max(width, height)
    fitted = min(short_side, max(1, math.floor(short_side * math.sqrt(BUDGET_ASPECT * short / long))))
    # the float estimate can be off by a step either way (rounding, the truncated long side): settle it exactly
    while fitted > 1 and math.prod(network_size(width, height, fitted)) > budget:
        fitted -= 1
    while fitted < short_side and math.prod(network_size(width, height, fitted + 1)) <= budget:
        fitted += 1
    return InputPlan((width, height), short_side, fitted, network_size(width, height, fitted))


def fit_photo(image: Image.Image, short_side: int) -> tuple[Image.Image, InputPlan]:
    """The photo resized (bilinear, antialiased) to the size the network sees, and the plan: for pages that show
    or post-process the network's view of a photo (the ASPP probe, the CRF step)."""
    plan = plan_input(image.width, image.height, short_side)
    h, w = plan.size
    return image.resize((w, h), Image.Resampling.BILINEAR), plan
