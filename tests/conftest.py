"""Shared test fixtures and the markers every test gets by rule (tests/markers.py).

Built once per session (per worker under pytest-xdist) and shared: one Chromium, one app server, the random
DeepLab models and the folder of their weights that the model tests and the pages load.
"""

from __future__ import annotations

import copy

import pytest

from tests import markers


def pytest_collection_modifyitems(config, items):
    """unit / apptest / browser / network / tool, by what each test reaches (see tests/markers.py).

    No xdist groups: the browser tests, the suite's long pole, are spread over the workers like the rest, each worker
    starting its one server and Chromium at its first browser test. (pytest-xdist 3.8's `--dist loadgroup` marks a
    group by rewriting `item._nodeid`, which pytest 9.2 no longer reads: groups were silently ignored.)"""
    markers.assign(items, lambda item, kind: item.add_marker(getattr(pytest.mark, kind)))


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, when it is installed
def pytest_xdist_auto_num_workers(config):
    """`-n auto`: one worker per core, at most 4 (each worker imports torch and Streamlit and holds its models)."""
    import os

    return max(1, min(len(os.sched_getaffinity(0)), 4))


@pytest.fixture(scope="session", autouse=True)
def own_torch_home(tmp_path_factory):
    """No test writes to the developer's torch cache: the segment engine's exports go beside the hub cache
    (deeplab_core.nets.engine_export), and a test that loads weights from a temporary file would leave one there."""
    patch = pytest.MonkeyPatch()
    patch.setenv("TORCH_HOME", str(tmp_path_factory.mktemp("torch_home")))
    yield
    patch.undo()


@pytest.fixture
def hub_dir(tmp_path):
    """torch.hub.set_dir to an empty folder for one test, then back to the *unset* state: restoring with
    set_dir(get_dir()) would pin the hub to this session's TORCH_HOME for every later test in the worker, and a
    test that sets its own TORCH_HOME (the engine's export cache) would no longer be followed."""
    import torch.hub

    previous = torch.hub._hub_dir  # noqa: SLF001 - the only way to restore "follow TORCH_HOME"
    torch.hub.set_dir(str(tmp_path / "hub"))
    yield tmp_path / "hub"
    torch.hub._hub_dir = previous  # noqa: SLF001


RANDOM_MODELS = ("mobilenet_v3_large", "resnet50")


@pytest.fixture(scope="session")
def random_models():
    """One untrained DeepLabv3 per name, seeded 0, built once; read them through `random_model`, which copies."""
    import torch

    from deeplab_core.nets.model import load_model

    built = {}
    for name in RANDOM_MODELS:
        with torch.random.fork_rng(devices=[]):  # the tests' own random state is left as it was
            torch.manual_seed(0)
            built[name] = load_model(name, weights="random", device="cpu")
    return built


@pytest.fixture(scope="session")
def random_model(random_models):
    """`random_model(name)`: a private copy of the session's untrained model (free to rewire), without rebuilding."""
    return lambda name: copy.deepcopy(random_models[name])


@pytest.fixture(scope="session")
def random_weights_folder(tmp_path_factory, random_models):
    """A folder for ATROUS_LAB_WEIGHTS: the random models' state dicts, saved to disk and loaded through the
    same path as real checkpoints (tests never fetch weights)."""
    import torch

    folder = tmp_path_factory.mktemp("weights")
    for name, model in random_models.items():
        torch.save(model.net.state_dict(), folder / f"{name}.pth")
    return folder


@pytest.fixture
def random_weights(random_weights_folder, monkeypatch, tmp_path):
    monkeypatch.setenv("ATROUS_LAB_WEIGHTS", str(random_weights_folder))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # the engine's export cache (nets.engine_export): the test's own
    return random_weights_folder


@pytest.fixture
def offline_without_weights(monkeypatch, tmp_path):
    """Pretrained weights asked for, an empty hub cache, and a download that fails as it does offline."""
    from deeplab_core.nets import checkpoints as weights

    monkeypatch.setenv("ATROUS_LAB_WEIGHTS", "pretrained")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))

    def unreachable(name, progress=None, **_):
        raise weights.WeightsUnavailableError(
            name, weights.cached_path(name), weights.weights_enum(name).url, "no network in this test"
        )

    monkeypatch.setattr(weights, "download", unreachable)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session (skipped without Chromium, unless CI is set)."""
    from tests.browser_support import CHROMIUM_ARGS, require_chromium

    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory, random_weights_folder):
    """The one app server of the session, for every browser test: its models load the random weights folder (so
    the segment page really segments, without a download) and its hub cache is empty."""
    from scripts.app_server import app_server
    from tests.browser_support import require_chromium

    require_chromium()  # no server for tests that will be skipped
    env = {"ATROUS_LAB_WEIGHTS": str(random_weights_folder)}
    with app_server(env, workdir=tmp_path_factory.mktemp("server")) as server:
        yield server.url


BROWSER_CONTEXT = {"viewport": {"width": 1400, "height": 1000}, "locale": "en-US"}


@pytest.fixture
def new_tab(browser):
    """`new_tab(**context options)`: a page in a fresh browser context (a new browser: nothing shared with any
    other page), watched for its script runs (tests/browser_support.watch_runs); all closed after the test."""
    from tests.browser_support import watch_runs

    contexts = []

    def open_tab(**options):
        context = browser.new_context(**{**BROWSER_CONTEXT, **options})
        contexts.append(context)
        return watch_runs(context.new_page())

    yield open_tab
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def shared_browser_context(browser):
    """One browser profile for the tests that need no fresh one: its HTTP cache keeps the app's scripts, so a
    page loads in about half the time. Each test still gets its own tab, and so its own app session."""
    context = browser.new_context(**BROWSER_CONTEXT)
    yield context
    context.close()


@pytest.fixture
def page(shared_browser_context):
    """A new tab (a new session of the app) in the shared browser profile, closed after the test."""
    from tests.browser_support import watch_runs

    tab = watch_runs(shared_browser_context.new_page())
    yield tab
    tab.close()
