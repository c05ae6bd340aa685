"""The formula lesson's pictures show exactly the taps, holes and padding that conv2d uses."""

import numpy as np
import plotly.graph_objects as go
import pytest

from deeplab_core.figures.formula import (
    HOLE,
    INPUT,
    MAX_FRAMES,
    PADDING,
    TAP,
    TAP_ON_PADDING,
    kernel_figure,
    padded_cells,
    sliding_animation,
)
from deeplab_core.maths.dilation import ConvGeometry


def test_cells_of_a_dilated_kernel():
    g = ConvGeometry(input_size=5, kernel_size=3, stride=1, padding=1, dilation=2)
    cells = padded_cells(g, 0, 0)  # (7, 7)
    taps = {(r, c) for r in (0, 2, 4) for c in (0, 2, 4)}
    for (r, c), kind in np.ndenumerate(cells):
        on_pad = r in (0, 6) or c in (0, 6)
        if (r, c) in taps:
            assert kind == (TAP_ON_PADDING if on_pad else TAP)
        elif r <= 4 and c <= 4 and not on_pad:
            assert kind == HOLE
        else:
            assert kind == (PADDING if on_pad else INPUT)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(("size", "frames"), [(7, 9), (32, MAX_FRAMES)])
def test_animation_is_valid_and_has_a_frame_per_position(size, frames, lang):
    g = ConvGeometry(input_size=size, kernel_size=3, stride=1, padding=0, dilation=2)
    spec = sliding_animation(g, lang)
    fig = go.Figure(spec)  # plotly validates the plain dict here
    assert len(fig.frames) == frames
    last_output = np.array(spec["frames"][-1]["data"][1]["z"])
    assert (last_output == 2).sum() == 1 and (last_output == 1).sum() == frames - 1
    assert kernel_figure(g, lang).data[0].z.shape == (size, size)
