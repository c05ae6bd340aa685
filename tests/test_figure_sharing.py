"""The cold-start error of the receptive-field lesson ("Invalid property … Scatter: 'colorscale'"), reproduced and
fixed: plotly's validator takes a trace's "type" out of the dict it validates while it builds the trace, so two
sessions drawing one cached figure at once made the second read a heatmap as a scatter (figures/sharing.py).

The first tests hold the first session inside the validator at exactly that moment (no timing luck); the last
runs real threads in a fresh interpreter, as a cold server's first sessions are, many times over."""

import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable

import plotly.graph_objects as go
import plotly.tools
import pytest
from _plotly_utils.basevalidators import BaseDataValidator

from deeplab_core.figures.receptive_field import coverage_figure, growth_animation
from deeplab_core.figures.sharing import private_copy, safe_to_draw
from deeplab_core.figures.style import for_projector
from deeplab_core.maths.receptive_field import same_conv
from tests.paths import ROOT

STACK = tuple(same_conv(3, d) for d in (1, 2, 5))


def streamlit_draws(fig) -> dict:
    """What st.plotly_chart does with a figure before it serialises it (Streamlit 1.67)."""
    return plotly.tools.return_figure_from_figure_or_data(fig, validate_figure=True)


def while_first_session_is_inside_the_validator(monkeypatch, first: Callable[[], object], second: Callable[[], object]):
    """Run `first` in a thread and stop it in the validator right after it took a heatmap's "type" out; run
    `second` in this thread meanwhile; then let `first` finish. Returns what `second` returned or raised."""
    paused, release = threading.Event(), threading.Event()
    original = BaseDataValidator.get_trace_class
    holder: list[threading.Thread] = []

    def get_trace_class(self, trace_name):
        if holder and threading.current_thread() is holder[0] and trace_name == "heatmap" and not paused.is_set():
            paused.set()  # the trace's "type" is out of its dict now
            release.wait(10)
        return original(self, trace_name)

    monkeypatch.setattr(BaseDataValidator, "get_trace_class", get_trace_class)
    errors: list[BaseException] = []

    def run_first() -> None:
        try:
            first()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    thread = threading.Thread(target=run_first)
    holder.append(thread)
    thread.start()
    assert paused.wait(10), "the first session never validated a heatmap"
    try:
        outcome: object = second()
    except ValueError as exc:
        outcome = exc
    finally:
        release.set()
        thread.join(10)
    assert not errors, errors
    return outcome


def test_a_shared_animation_drawn_by_two_sessions_at_once_is_read_as_a_scatter(monkeypatch):
    cached = growth_animation(STACK, "en")  # what st.cache_resource hands every session
    outcome = while_first_session_is_inside_the_validator(
        monkeypatch, lambda: streamlit_draws(cached), lambda: streamlit_draws(cached)
    )
    assert isinstance(outcome, ValueError)
    assert "plotly.graph_objs.Scatter" in str(outcome) and "'colorscale'" in str(outcome)


def test_each_session_drawing_its_private_copy_of_the_cached_animation_draws_it(monkeypatch):
    cached = growth_animation(STACK, "en")
    draw = lambda: streamlit_draws(safe_to_draw(cached, restyled=False))  # noqa: E731 - what ui.chart does
    outcome = while_first_session_is_inside_the_validator(monkeypatch, draw, draw)
    assert isinstance(outcome, dict)
    assert [trace["type"] for trace in outcome["data"]] == ["heatmap", "heatmap", "scatter"]
    assert [trace["type"] for trace in cached["data"]] == ["heatmap", "heatmap", "scatter"]  # left as it was


@pytest.mark.parametrize("guarded", [False, True])
def test_projector_styling_of_a_cached_figure_leaves_it_whole_for_the_others(monkeypatch, guarded):
    """go.Figure(fig) (projector styling) takes the types out of the cached figure's own trace dicts: another
    session serialising the figure at that moment would send the browser a scatter."""
    cached = coverage_figure(STACK, "en")
    style = (lambda: for_projector(safe_to_draw(cached, restyled=True))) if guarded else lambda: for_projector(cached)
    outcome = while_first_session_is_inside_the_validator(monkeypatch, style, cached.to_dict)
    assert isinstance(outcome, dict)
    types = [trace.get("type") for trace in outcome["data"]]
    assert types == (["bar", "heatmap", "heatmap"] if guarded else ["bar", None, "heatmap"])


def test_a_private_copy_draws_the_same_figure():
    for fig in (growth_animation(STACK, "zh"), coverage_figure(STACK, "zh")):
        copy = private_copy(fig)
        assert copy is not fig
        assert go.Figure(copy).to_json() == go.Figure(fig).to_json()


STRESS = textwrap.dedent(
    """
    import sys, threading
    import plotly.tools
    from deeplab_core.figures.receptive_field import growth_animation
    from deeplab_core.figures.sharing import safe_to_draw
    from deeplab_core.maths.receptive_field import same_conv

    sys.setswitchinterval(1e-6)  # the interpreter switches threads as often as it can: every race gets its chance
    cached = growth_animation(tuple(same_conv(3, d) for d in (1, 2, 5)), "en")
    for guarded in (False, True):
        failures, barrier = [], threading.Barrier(8)

        def session():
            barrier.wait()  # a cold class: everyone draws the first figure at once
            for _ in range(6):
                fig = safe_to_draw(cached, restyled=False) if guarded else cached
                try:
                    plotly.tools.return_figure_from_figure_or_data(fig, validate_figure=True)
                except ValueError as exc:
                    failures.append(str(exc).splitlines()[0])

        threads = [threading.Thread(target=session) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print("guarded" if guarded else "shared", len(failures), sorted(set(failures))[:1])
    """
)


def test_many_sessions_drawing_the_cached_animation_at_once_in_a_fresh_interpreter():
    """8 threads x 6 draws of one cached animation, in a new interpreter (plotly's classes loaded for the first
    time, as on a cold server): drawn as it is, some fail (the race is real here); drawn through the guard
    every one of the 48 draws succeeds."""
    run = subprocess.run([sys.executable, "-c", STRESS], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    counts = dict(line.split(" ", 2)[:2] for line in run.stdout.splitlines())
    assert int(counts["shared"]) > 0, f"the stress no longer reproduces the race: {run.stdout}"
    assert int(counts["guarded"]) == 0, run.stdout
