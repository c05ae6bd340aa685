"""One Chinese term per concept: every catalogue and every Chinese prose file uses only locales/glossary.toml's terms.

The files are found by globbing, so a lesson added later (its catalogue, its prose) is checked without editing
this test. A synonym may appear only in the one prose section the glossary names as the term's definition, and
there at most once.
"""

import re
import sys

import pytest

from deeplab_core import i18n

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ZH = "zh"
GLOSSARY = tomllib.loads((i18n.LOCALES_DIR / "glossary.toml").read_text(encoding="utf-8"))["term"]

# English words that always name one glossary concept, so the Chinese string beside them must use its term.
PAIRED = {
    r"\boutput strides?\b": "输出步幅",
    r"\breceptive fields?\b": "感受野",
    r"\bmulti-grid\b": "多重网格",
    r"\bcamera\b": "摄像头",
    r"\bimage[- ]pooling\b": "图像级池化",
    r"\bimage-level features?\b": "图像级特征",
    r"\bgridding\b": "网格效应",
    r"\bvalid weights?\b": "有效权重",
}


def chinese_texts() -> dict[str, str]:
    """Every Chinese string and prose section, keyed "<namespace>.<key>" or "<lesson>.<section>"."""
    texts = dict(i18n.catalogue(ZH))
    for path in sorted((i18n.LOCALES_DIR / ZH / "prose").glob("*.md")):
        texts.update({f"{path.stem}.{name}": body for name, body in i18n.prose(path.stem, ZH).items()})
    return texts


def test_glossary_is_well_formed():
    seen: set[str] = set()
    for term in GLOSSARY:
        assert term["en"] and term["zh"], term
        assert term["zh"] not in term["synonyms"], term
        assert not seen & {term["zh"], *term["synonyms"]}, f"{term['zh']}: a word listed twice"
        seen |= {term["zh"], *term["synonyms"]}


@pytest.mark.parametrize("term", GLOSSARY, ids=lambda term: term["zh"])
def test_only_the_glossary_term_is_used(term):
    texts = chinese_texts()
    misuse = [
        (where, synonym)
        for where, text in texts.items()
        for synonym in term["synonyms"]
        if text.count(synonym) > (1 if where == term["defined_in"] else 0)
    ]
    assert misuse == [], f"use {term['zh']!r} instead"


@pytest.mark.parametrize("term", [t for t in GLOSSARY if t["defined_in"]], ids=lambda term: term["zh"])
def test_synonyms_are_named_where_the_term_is_defined(term):
    section = chinese_texts()[term["defined_in"]]
    assert term["zh"] in section
    assert any(synonym in section for synonym in term["synonyms"])


@pytest.mark.parametrize("pattern", sorted(PAIRED))
def test_english_term_and_chinese_term_go_together(pattern):
    """A catalogue string that names the concept in English names it with the glossary's term in Chinese."""
    en, zh = i18n.catalogue("en"), i18n.catalogue(ZH)
    missing = [key for key in en if re.search(pattern, en[key], re.IGNORECASE) and PAIRED[pattern] not in zh[key]]
    assert missing == []


def test_the_check_finds_a_synonym():
    """Guard against a check that cannot fail: a planted synonym is found."""
    rate = next(term for term in GLOSSARY if term["zh"] == "空洞率")
    planted = {"x.y": "膨胀率为 2 的卷积"}
    assert [w for w, text in planted.items() for s in rate["synonyms"] if s in text] == ["x.y"]
