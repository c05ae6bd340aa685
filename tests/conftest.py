"""Shared test fixtures: one Chromium, one app server, and the weights the model tests load."""

import pytest


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
def app_url(tmp_path_factory):
    """A running app whose models are untrained (no weights are fetched) and whose hub cache is empty."""
    from tests.browser_support import streamlit_server

    torch_home = tmp_path_factory.mktemp("torch_home")
    with streamlit_server({"ATROUS_LAB_WEIGHTS": "random", "TORCH_HOME": str(torch_home)}) as url:
        yield url


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def random_weights_folder(tmp_path_factory):
    """A folder for ATROUS_LAB_WEIGHTS: random MobileNetV3 and ResNet-50 state dicts, saved to disk and loaded
    through the same path as real checkpoints (tests never fetch weights)."""
    import torch

    from deeplab_core.nets.model import load_model

    folder = tmp_path_factory.mktemp("weights")
    torch.manual_seed(0)
    for name in ("mobilenet_v3_large", "resnet50"):
        torch.save(load_model(name, weights="random", device="cpu").net.state_dict(), folder / f"{name}.pth")
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
