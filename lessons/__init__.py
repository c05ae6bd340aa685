"""The course: one Streamlit page per lesson, in teaching order. Pages hold widgets and text, no maths."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

LESSONS_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Lesson:
    slug: str  # file lessons/<slug>.py, catalogue namespace <slug>, prose locales/<lang>/prose/<slug>.md
    icon: str

    @property
    def path(self) -> Path:
        return LESSONS_DIR / f"{self.slug}.py"


COURSE: tuple[Lesson, ...] = (
    Lesson("overview", ":material/home:"),
    Lesson("formula", ":material/functions:"),
    Lesson("receptive_field", ":material/filter_center_focus:"),
    Lesson("output_stride", ":material/stacked_line_chart:"),
    Lesson("aspp", ":material/account_tree:"),
    Lesson("large_rates", ":material/grid_4x4:"),
    Lesson("segment", ":material/photo_camera:"),
    Lesson("pixel_field", ":material/my_location:"),
    Lesson("deeplab_v1_v2", ":material/history_edu:"),
    Lesson("train", ":material/model_training:"),
)


def available_lessons() -> list[Lesson]:
    """The lessons that exist, in course order; a planned lesson without a page is simply not listed."""
    return [lesson for lesson in COURSE if lesson.path.exists()]
