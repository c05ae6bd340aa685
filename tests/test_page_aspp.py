"""The ASPP lesson with untrained weights saved to a temporary folder and loaded through the real path."""

import pytest

from deeplab_core.i18n import LANGUAGES, text
from tests.apptest_support import open_page


@pytest.mark.parametrize("lang", LANGUAGES)
def test_page_runs_with_the_seed_code_and_the_photo_probe(random_weights, lang):
    at = open_page("aspp", lang)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == text("aspp.title", lang)
    assert any("F.upsample(image_features" in c.value for c in at.code)  # the seed's code, verbatim
    # weights from a folder count as real checkpoints (a classroom copies them there): no "untrained" label
    assert any(c.value == text("aspp.ablation_real", lang) for c in at.caption)
    assert len(at.metric) == 2  # the ablation's changed pixels and share


@pytest.mark.parametrize("lang", LANGUAGES)
def test_muting_a_branch_changes_the_counts_and_muting_none_changes_nothing(random_weights, lang):
    at = open_page("aspp", lang)
    at.radio(key="mute").set_value(-1).run()
    assert [m.value for m in at.metric] == ["0", "0.0%"]
    counts = set()
    for branch in range(5):
        at.radio(key="mute").set_value(branch).run()
        assert not at.exception
        counts.add(at.metric[0].value)
    assert counts != {"0"}


def test_code_runs_both_modules_at_the_chosen_size(random_weights):
    at = open_page("aspp", "en")
    at.slider(key="size").set_value(9).run()
    table = at.table[0].value.set_index(text("aspp.col.module", "en"))  # one column per module
    modules = [text(f"aspp.module_name.{name}", "en") for name in ("seed", "deeplabv3")]
    assert list(table.loc[text("aspp.col.output", "en"), modules]) == ["(1, 256, 9, 9)"] * 2
    assert list(table.loc[text("aspp.col.bn", "en"), modules]) == ["0", "6"]


def test_missing_pretrained_weights_are_explained_and_untrained_offered(offline_without_weights):
    at = open_page("aspp", "en")
    assert not at.exception
    assert "python -m deeplab_core.weights download resnet50" in at.warning[0].value
    assert not at.metric  # no photo probe without a model
    at.toggle(key="untrained").set_value(True).run()
    assert not at.exception and len(at.metric) == 2
