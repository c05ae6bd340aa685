"""Batched inference equals `segment` photo by photo (the torch network stacked into one pass, the ONNX Runtime
engine one photo at a time), and a replica (without Ray) answers every request of a batch: mixed sizes grouped,
wirings kept apart, bad requests refused one by one without spoiling the others."""

import io
import json

import numpy as np
import pytest
from PIL import Image

from deeplab_core.config import MULTI_GRID, NO_MULTI_GRID
from deeplab_core.nets.engine import Engine, fast_model
from deeplab_core.nets.fast_inference import inference_copy
from deeplab_core.nets.model import load_model, set_output_stride
from deeplab_core.nets.segmentation import segment
from deeplab_core.serving.batching import Photo, groups, segment_group, stacks
from deeplab_core.serving.client import png
from deeplab_core.serving.messages import Ask, read_answer, write_ask
from deeplab_core.serving.service import Segmenter


def photo(width: int, height: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


@pytest.fixture(scope="module", autouse=True)
def export_cache(tmp_path_factory):
    """The engine's export cache (beside torch's hub cache): this module's own, never the developer's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TORCH_HOME", str(tmp_path_factory.mktemp("torch_home")))
        yield


@pytest.fixture(scope="module")
def mobilenet(random_weights_folder):
    return inference_copy(load_model("mobilenet_v3_large", weights=random_weights_folder / "mobilenet_v3_large.pth"))


def test_groups_follow_the_network_input_size():
    photos = [Photo(photo(120, 90, 0), 64), Photo(photo(90, 120, 1), 64), Photo(photo(124, 93, 2), 64)]
    photos += [Photo(photo(120, 90, 3), 96)]
    # 120×90 and 124×93 both become 64×85; the portrait and the larger short side stand alone
    assert groups(photos) == [[0, 2], [1], [3]]


def test_a_group_gives_each_photo_the_labels_segment_gives_it(mobilenet):
    photos = [Photo(photo(120, 90, i), 64) for i in range(3)] + [Photo(photo(124, 93, 9), 64)]
    assert groups(photos) == [[0, 1, 2, 3]]
    batched = segment_group(mobilenet, photos)
    for p, seg in zip(photos, batched, strict=True):
        alone = segment(mobilenet, p.image, short_side=p.short_side)
        assert np.array_equal(seg.labels, alone.labels)
        np.testing.assert_allclose(seg.probabilities, alone.probabilities, atol=1e-5)
        assert seg.labels.shape == (p.image.height, p.image.width) and seg.network_size == alone.network_size
        assert seg.timings.inference_ms == batched[0].timings.inference_ms  # one forward pass for the group


def test_the_engine_runs_a_group_photo_by_photo_with_the_same_labels(random_weights_folder):
    engine = fast_model(load_model("mobilenet_v3_large", weights=random_weights_folder / "mobilenet_v3_large.pth"))
    assert isinstance(engine, Engine) and not stacks(engine)  # its export takes one photo at a time
    photos = [Photo(photo(120, 90, i), 64) for i in range(2)]
    for p, seg in zip(photos, segment_group(engine, photos), strict=True):
        alone = segment(engine, p.image, short_side=p.short_side)
        assert np.array_equal(seg.labels, alone.labels) and seg.timings.engine == "onnxruntime"


def test_a_group_of_two_sizes_is_refused(mobilenet):
    with pytest.raises(ValueError, match="one network input size"):
        segment_group(mobilenet, [Photo(photo(120, 90, 0), 64), Photo(photo(90, 120, 1), 64)])


def body(ask: Ask, image: Image.Image) -> bytes:
    return write_ask(ask, png(image))


def test_a_replica_answers_a_mixed_batch_request_by_request(random_weights_folder):
    path = random_weights_folder / "mobilenet_v3_large.pth"
    replica = Segmenter("mobilenet_v3_large", str(path))
    local = fast_model(load_model("mobilenet_v3_large", weights=path))  # what the page runs
    ask = Ask("mobilenet_v3_large", 320, None, NO_MULTI_GRID, trained=True)
    images = [photo(400, 300, 0), photo(300, 400, 1), photo(400, 300, 2)]
    bodies = [body(ask, im) for im in images]
    bodies.insert(1, b"garbage")  # a malformed frame
    bodies.insert(2, write_ask(ask, b"not an image"))  # a photo the upload decoder refuses
    bodies.insert(3, body(Ask("mobilenet_v3_large", 320, None, NO_MULTI_GRID, trained=False), images[0]))
    bodies.insert(4, body(Ask("resnet50", 320, 16, NO_MULTI_GRID, trained=True), images[0]))
    replies = replica.answer_batch(bodies, [0.0] * len(bodies))
    assert [r.status for r in replies] == [200, 400, 422, 409, 409, 200, 200]
    assert json.loads(replies[2].body)["reason"] == "errors.image.not_image"
    assert [json.loads(replies[i].body)["reason"] for i in (3, 4)] == ["weights", "model"]
    answers = [read_answer(replies[i].body) for i in (0, 5, 6)]
    for image, answer in zip(images, answers, strict=True):
        alone = segment(local, image, short_side=320)
        assert np.array_equal(answer.labels, alone.labels)
        assert answer.batch == len(bodies)
    # on a CPU the replica runs what the page runs, ONNX Runtime, one photo per pass (the grouping is above)
    assert [(a.engine, a.group) for a in answers] == [("onnxruntime", 1)] * 3


def test_a_replica_keeps_each_wiring_apart(random_weights_folder):
    """One base model, re-wired per request: each wiring's copy gives the labels of a model built that way."""
    path = random_weights_folder / "resnet50.pth"
    replica = Segmenter("resnet50", str(path))
    image = photo(66, 64, 0)
    model = load_model("resnet50", weights=path)
    for stride, grid in ((16, MULTI_GRID), (8, NO_MULTI_GRID)):
        served = segment_group(replica.model(stride, grid), [Photo(image, 64)])[0]
        set_output_stride(model, stride, grid)
        assert np.array_equal(served.labels, segment(fast_model(model), image, short_side=64).labels)
    assert replica.model(16, MULTI_GRID) is replica.model(16, MULTI_GRID)  # kept, not rebuilt


def test_png_keeps_every_pixel():
    image = photo(37, 23, 5)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png(image)))), np.asarray(image))
