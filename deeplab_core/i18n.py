"""Text in two languages: short UI strings from TOML catalogues, lesson prose from Markdown files.

Layout (one namespace per lesson, so lessons never edit each other's files):
    locales/<lang>/<namespace>.toml      keys are looked up as "<namespace>.<key>"
    locales/<lang>/prose/<lesson>.md     sections start with a line "<!-- section: NAME -->"
"""

from __future__ import annotations

import re
import sys
from functools import cache
from pathlib import Path

from deeplab_core.facts import expand

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

LANGUAGES: tuple[str, ...] = ("en", "zh")
DEFAULT_LANGUAGE = "en"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
_SECTION = re.compile(r"^<!--\s*section:\s*([\w-]+)\s*-->\s*$", re.MULTILINE)
# A line break between two CJK characters (or CJK punctuation) is joined: browsers render it as a space.
_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
_CJK_BREAK = re.compile(f"(?<=[{_CJK}])\n(?=[{_CJK}])")


def normalise_language(value: str | None) -> str | None:
    """Map 'zh-CN', 'zh_TW', 'EN-us' ... to a supported language code, or None."""
    if not value:
        return None
    code = value.strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else None


def _flatten(table: dict, prefix: str) -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}.{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name))
        else:
            flat[name] = str(value)
    return flat


@cache
def catalogue(lang: str) -> dict[str, str]:
    """All UI strings of one language, keyed "<namespace>.<key>"."""
    strings: dict[str, str] = {}
    for path in sorted((LOCALES_DIR / lang).glob("*.toml")):
        with path.open("rb") as f:
            strings.update(_flatten(tomllib.load(f), path.stem))
    return strings


def text(key: str, lang: str, /, **values: object) -> str:
    """The string for `key` in `lang`, formatted with `values`. A missing key is a bug: KeyError."""
    template = expand(catalogue(lang)[key])
    return template.format(**values) if values else template


@cache
def prose(lesson: str, lang: str) -> dict[str, str]:
    """The Markdown sections of one lesson's prose file, by section name."""
    source = expand(_CJK_BREAK.sub("", (LOCALES_DIR / lang / "prose" / f"{lesson}.md").read_text(encoding="utf-8")))
    parts = _SECTION.split(source)
    # parts = [preamble, name1, body1, name2, body2, ...]
    return {name: body.strip() for name, body in zip(parts[1::2], parts[2::2], strict=True)}
