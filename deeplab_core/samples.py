"""The sample photos shipped in assets/ (all public domain or CC0, recorded in assets/ATTRIBUTION.md)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from deeplab_core.i18n import text
from deeplab_core.images import load_image

ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"


@dataclass(frozen=True)
class Sample:
    """One photo: `classes` are the Pascal VOC classes a good segmentation should find in it."""

    name: str
    filename: str
    classes: tuple[str, ...]
    source: str
    licence: str

    @property
    def path(self) -> Path:
        return ASSETS_DIR / self.filename

    def label(self, lang: str) -> str:
        return text(f"images.sample.{self.name}", lang)


SAMPLES: dict[str, Sample] = {
    s.name: s
    for s in (
        Sample(
            "astronaut",
            "astronaut.png",
            ("person",),
            "NASA Great Images, as shipped in scikit-image 0.26 skimage/data",
            "public domain",
        ),
        Sample(
            "chelsea",
            "chelsea.png",
            ("cat",),
            "Stefan van der Walt, as shipped in scikit-image 0.26 skimage/data",
            "CC0",
        ),
        Sample(
            "coffee",
            "coffee.png",
            (),  # a cup is no VOC class: everything should come out background
            "Rachel Michetti, scikit-image 0.26",
            "CC0",
        ),
        Sample("camera", "camera.png", ("person",), "Lav Varshney, scikit-image 0.26", "CC0"),
        Sample(
            "grace_hopper",
            "grace_hopper.jpg",
            ("person",),
            "U.S. Navy photo, as shipped in matplotlib's mpl-data/sample_data",
            "public domain",
        ),
    )
}


def sample_path(name: str) -> Path:
    """The file of sample `name` (a key of SAMPLES); KeyError for an unknown name."""
    return SAMPLES[name].path


def load_sample(name: str) -> Image.Image:
    """Sample `name` as an RGB image, decoded by the same code path as an upload."""
    return load_image(sample_path(name).read_bytes())
