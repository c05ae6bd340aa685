"""One set of animation controls for every animation: play and pause, pale with dark text so both themes read
them, and a slider with one step per frame."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest
from plotly.utils import PlotlyJSONEncoder

from deeplab_core.figures import formula, receptive_field
from deeplab_core.figures.animation import animation_controls
from deeplab_core.figures.style import BUTTONS
from deeplab_core.i18n import LANGUAGES, text
from deeplab_core.maths.dilation import ConvGeometry
from deeplab_core.maths.receptive_field import same_conv

GEOMETRY = ConvGeometry(input_size=5, kernel_size=3, stride=1, padding=1, dilation=1)
STACK = (same_conv(3, 1), same_conv(3, 2))


def animation(name: str, lang: str) -> dict:
    """The figure as plain JSON, with the frame time and the frame the slider starts on."""
    if name == "formula":
        fig: go.Figure | dict = formula.sliding_animation(GEOMETRY, lang)
    else:
        fig = receptive_field.growth_animation(STACK, lang)
    spec = fig.to_plotly_json() if isinstance(fig, go.Figure) else fig
    return json.loads(json.dumps(spec, cls=PlotlyJSONEncoder))


FRAME_MS = {"formula": formula.FRAME_MS, "growth": receptive_field.FRAME_MS}  # the CRF's steps: one page control


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", list(FRAME_MS))
def test_every_animation_has_play_pause_and_a_slider_over_its_frames(name, lang):
    fig = animation(name, lang)
    (menu,) = fig["layout"]["updatemenus"]
    assert [b["label"] for b in menu["buttons"]] == [text("common.play", lang), text("common.pause", lang)]
    play, pause = (b["args"] for b in menu["buttons"])
    assert play[0] is None and play[1]["frame"]["duration"] == FRAME_MS[name] and play[1]["fromcurrent"]
    assert pause[0] == [None] and pause[1]["frame"]["duration"] == 0  # stops where it is
    assert {key: menu[key] for key in BUTTONS} == BUTTONS  # pale with dark text: readable on the dark theme
    (slider,) = fig["layout"]["sliders"]
    assert [step["args"][0] for step in slider["steps"]] == [[frame["name"]] for frame in fig["frames"]]
    assert slider["x"] > 0 and slider["x"] + slider["len"] == pytest.approx(1)  # right of the buttons, to the edge
    assert menu["y"] < slider["y"] < 0  # both under the plot, the buttons' top below the slider's


def test_controls_for_given_frames():
    controls = animation_controls(
        [("a", "first"), ("b", "second")], frame_ms=250, prefix="n: ", lang="zh", y=-0.1, slider_x=0.3
    )
    (slider,) = controls["sliders"]
    assert [s["label"] for s in slider["steps"]] == ["first", "second"] and slider["currentvalue"]["prefix"] == "n: "
    assert controls["updatemenus"][0]["buttons"][0]["label"] == text("common.play", "zh")
