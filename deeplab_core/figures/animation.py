"""The controls every animation of the course shares: play and pause buttons beside a slider over the frames.

Returned as plain dicts (plotly's `updatemenus` and `sliders`), so a figure built as a dict (a long animation,
left unvalidated) and a `go.Figure` take the same controls. The buttons carry `style.BUTTONS`: pale with dark text,
readable in the dark theme too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from deeplab_core.figures.style import BUTTONS
from deeplab_core.i18n import text

BUTTON_GAP = 0.02  # the buttons' top sits this far (paper height) below the slider's


def animation_controls(
    steps: Sequence[tuple[str, str]],
    *,
    frame_ms: int,
    prefix: str,
    lang: str,
    y: float,
    slider_x: float,
    active: int = 0,
) -> dict[str, list[dict[str, Any]]]:
    """Layout entries `updatemenus` and `sliders` for frames `steps` ((frame name, slider label) each, in order).

    frame_ms: how long each frame shows while playing; prefix: written before the slider's current label;
    y: the slider's top in paper coordinates (below the plot, so negative); slider_x: where the slider starts,
    right of the buttons; active: the frame the slider shows first."""
    play = {"frame": {"duration": frame_ms, "redraw": True}, "fromcurrent": True, "transition": {"duration": 0}}
    pause = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}
    jump = {"mode": "immediate", "frame": {"duration": 0, "redraw": True}, "transition": {"duration": 0}}
    buttons = {
        **BUTTONS,
        "type": "buttons",
        "direction": "left",
        "x": 0,
        "y": y - BUTTON_GAP,
        "xanchor": "left",
        "yanchor": "top",
        "buttons": [
            {"label": text("common.play", lang), "method": "animate", "args": [None, play]},
            {"label": text("common.pause", lang), "method": "animate", "args": [[None], pause]},
        ],
    }
    slider = {
        "active": active,
        "x": slider_x,
        "y": y,
        "len": 1 - slider_x,
        "currentvalue": {"prefix": prefix},
        "steps": [{"label": label, "method": "animate", "args": [[name], jump]} for name, label in steps],
    }
    return {"updatemenus": [buttons], "sliders": [slider]}
