"""The constructed CRF scene: its score map is the truth coarsened like a network's, and with the lesson's default
settings the step-through has something to show at every step (the lesson's slider walks steps 0 to 5)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from deeplab_core.maths.crf import CrfSettings, crf_trace
from deeplab_core.maths.crf_scene import SCENE_STRIDE, coarse_probabilities, constructed_scene, iou, mean_iou

SEEDS = range(3)
STEPS = 5  # the lesson's default number of mean-field iterations
SHARE = 0.001  # a step "changes labels" when it relabels at least 0.1 % of the pixels


@pytest.fixture(scope="module", params=SEEDS)
def traced(request):
    scene = constructed_scene(seed=request.param)
    return scene, crf_trace(scene.image, scene.probabilities, CrfSettings(iterations=STEPS))


def test_the_lesson_starts_from_the_default_settings():
    assert CrfSettings().iterations == STEPS and constructed_scene().stride == SCENE_STRIDE == 32


def test_every_step_relabels_pixels(traced):
    scene, trace = traced
    pixels = scene.truth.size
    assert trace.changed[0] == 0
    assert all(changed >= SHARE * pixels for changed in trace.changed[1:]), trace.changed
    assert [int(trace.changed_mask(s).sum()) for s in range(STEPS + 1)] == list(trace.changed)


def test_the_steps_bring_the_labels_closer_to_the_truth(traced):
    scene, trace = traced
    scores = [mean_iou(labels, scene.truth, scene.classes) for labels in trace.labels]
    assert scores[0] < 0.75  # step 0, the coarse map, is visibly not the truth
    assert all(later > earlier for earlier, later in zip(scores, scores[1:], strict=False)), scores
    assert scores[-1] > 0.9


def test_the_score_map_is_the_truth_averaged_per_cell_and_upsampled():
    scene = constructed_scene(64, 96, stride=16, seed=1)
    onehot = np.eye(scene.classes, dtype=np.float32)[scene.truth].transpose(2, 0, 1)  # (C, H, W)
    cells = onehot.reshape(scene.classes, 4, 16, 6, 16).mean(axis=(2, 4))  # (C, 4, 6): a block mean per cell
    up = F.interpolate(torch.from_numpy(cells)[None], size=(64, 96), mode="bilinear", align_corners=False)[0]
    expected = 0.9 * up.numpy() + 0.1 / scene.classes
    np.testing.assert_allclose(scene.probabilities, expected, atol=1e-6)
    np.testing.assert_allclose(scene.probabilities.sum(0), 1.0, atol=1e-5)


def test_stride_one_keeps_the_truth_and_every_shape_is_drawn():
    scene = constructed_scene(seed=2)
    assert set(np.unique(scene.truth)) == set(range(scene.classes))
    kept = coarse_probabilities(scene.truth, scene.classes, stride=1).argmax(0)
    np.testing.assert_array_equal(kept, scene.truth)
    assert iou(kept, scene.truth, 3) == 1.0 and iou(np.zeros_like(kept), scene.truth, 3) == 0.0
