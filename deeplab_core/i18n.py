"""Text in two languages: short UI strings from TOML catalogues, lesson prose from Markdown files.

Layout (one namespace per lesson, so lessons never edit each other's files):
    locales/<lang>/<namespace>.toml      keys are looked up as "<namespace>.<key>"
    locales/<lang>/prose/<lesson>.md     sections start with a line "<!-- section: NAME -->"

Placeholders, the same in both languages:
    [[fact:KEY]]    a number quoted from a paper (deeplab_core.facts.FACTS), in strings and prose
    [[table:KEY]]   a registered table of such numbers (deeplab_core.facts.TABLES), in prose
    [[value:NAME]]  a number the app computes, passed by the page: `section(lesson, lang, name, NAME=...)`
                    (a syntax that cannot clash with LaTeX braces or str.format fields in prose)

Chinese prose is written one paragraph per line. A line break inside a paragraph still works: it is removed when
it falls between two CJK characters (a browser would show it as a space), but never after a heading, a table row
or a display-maths line, and never before a line that opens a new block (heading, list item, table, maths).
"""

from __future__ import annotations

import re
import sys
from functools import cache
from pathlib import Path

from deeplab_core.facts import TABLE_PLACEHOLDER, expand, table_markdown

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

LANGUAGES: tuple[str, ...] = ("en", "zh")
DEFAULT_LANGUAGE = "en"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
_SECTION = re.compile(r"^<!--\s*section:\s*([\w-]+)\s*-->\s*$", re.MULTILINE)
# CJK characters and punctuation: a line break between two of them is rendered by browsers as a stray space.
CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
_CJK_END = re.compile(f"[{CJK}]$")
_CJK_START = re.compile(f"^[{CJK}]")
_BLOCK = re.compile(r"^(#{1,6}\s|[-*+]\s|\d+[.)]\s|\||\$\$|<!--|>)")  # lines that open a Markdown block
_ENDS_BLOCK = re.compile(r"^(#{1,6}\s|\||\$\$|<!--)")  # lines after which a break always ends the block
VALUE = re.compile(r"\[\[value:(\w+)\]\]")


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


def join_cjk_lines(markdown: str) -> str:
    """Remove the line breaks that fall inside a paragraph between two CJK characters, and only those."""
    lines: list[str] = []
    for line in markdown.split("\n"):
        body = line.lstrip()
        if (
            lines
            and _CJK_END.search(lines[-1])
            and _CJK_START.match(body)
            and not _ENDS_BLOCK.match(lines[-1].lstrip())
            and not _BLOCK.match(body)
        ):
            lines[-1] += body
        else:
            lines.append(line)
    return "\n".join(lines)


@cache
def prose(lesson: str, lang: str) -> dict[str, str]:
    """The Markdown sections of one lesson's prose file, by section name; [[value:NAME]] left for the page."""
    source = join_cjk_lines((LOCALES_DIR / lang / "prose" / f"{lesson}.md").read_text(encoding="utf-8"))
    source = TABLE_PLACEHOLDER.sub(lambda m: table_markdown(m.group(1), lambda key: text(key, lang)), source)
    parts = _SECTION.split(expand(source))
    # parts = [preamble, name1, body1, name2, body2, ...]
    return {name: body.strip() for name, body in zip(parts[1::2], parts[2::2], strict=True)}


def value_names(markdown: str) -> set[str]:
    """The NAMEs of the [[value:NAME]] placeholders in a piece of prose."""
    return set(VALUE.findall(markdown))


def fill(markdown: str, values: dict[str, object]) -> str:
    """`markdown` with every [[value:NAME]] replaced by str(values[NAME]).

    A placeholder without a value is a KeyError and a value without a placeholder a ValueError: both are typos
    that would otherwise show a blank, or silently drop a computed number from the page."""
    unused = set(values) - value_names(markdown)
    if unused:
        raise ValueError(f"No [[value:…]] placeholder for {sorted(unused)}")
    return VALUE.sub(lambda match: str(values[match.group(1)]), markdown)


def section(lesson: str, lang: str, name: str, /, **values: object) -> str:
    """One prose section with its computed values filled in."""
    return fill(prose(lesson, lang)[name], values)
