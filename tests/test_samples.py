"""deeplab_core.samples: every sample photo is shipped, decodes, and is attributed with a free licence."""

from __future__ import annotations

import numpy as np
import pytest

from deeplab_core.i18n import LANGUAGES
from deeplab_core.samples import ASSETS_DIR, SAMPLES, load_sample, sample_path

VOC_CLASSES = {
    "background",
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
}
PHOTO_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}


def attribution_rows() -> dict[str, list[str]]:
    """The table of assets/ATTRIBUTION.md: file name -> its cells."""
    rows = {}
    for line in (ASSETS_DIR / "ATTRIBUTION.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 4 and cells[0] not in ("file", "---"):
            rows[cells[0]] = cells
    return rows


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_exists_and_loads_as_rgb(name: str) -> None:
    sample = SAMPLES[name]
    assert sample.name == name and sample_path(name) == sample.path and sample.path.is_file()
    image = load_sample(name)
    assert image.mode == "RGB" and min(image.size) >= 256
    assert np.asarray(image).std() > 10  # a photo, not a blank


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_is_attributed_with_a_free_licence(name: str) -> None:
    sample = SAMPLES[name]
    row = attribution_rows()[sample.filename]
    assert sample.licence in ("public domain", "CC0") and row[3] == sample.licence
    assert sample.source.replace("`", "") == row[2].replace("`", "")


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_classes_and_labels(name: str) -> None:
    sample = SAMPLES[name]
    assert set(sample.classes) <= VOC_CLASSES - {"background"}
    for lang in LANGUAGES:
        assert sample.label(lang).strip()


def test_every_photo_in_assets_is_registered_and_attributed() -> None:
    photos = {path.name for path in ASSETS_DIR.iterdir() if path.suffix.lower() in PHOTO_SUFFIXES}
    assert photos == {sample.filename for sample in SAMPLES.values()} == set(attribution_rows())


def test_grayscale_sample_becomes_three_equal_channels() -> None:
    rgb = np.asarray(load_sample("camera"))  # (H, W, 3), from an 8-bit grayscale PNG
    assert np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2])


def test_unknown_sample() -> None:
    with pytest.raises(KeyError):
        sample_path("no_such_photo")
