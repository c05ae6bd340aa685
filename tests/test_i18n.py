"""Every UI string and every prose section exists in both languages, with the same placeholders."""

import re
import string

import pytest

from deeplab_core import i18n
from lessons import available_lessons

EN, ZH = i18n.LANGUAGES


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_catalogues_have_the_same_keys():
    en, zh = i18n.catalogue(EN), i18n.catalogue(ZH)
    assert sorted(set(en) - set(zh)) == [], "keys missing in Chinese"
    assert sorted(set(zh) - set(en)) == [], "keys missing in English"


def test_catalogue_files_exist_in_both_languages():
    files = {lang: sorted(p.name for p in (i18n.LOCALES_DIR / lang).rglob("*") if p.is_file()) for lang in (EN, ZH)}
    assert files[EN] == files[ZH]


@pytest.mark.parametrize("key", sorted(i18n.catalogue(EN)))
def test_same_placeholders_and_not_empty(key):
    en, zh = i18n.catalogue(EN)[key], i18n.catalogue(ZH)[key]
    assert en.strip() and zh.strip()
    assert placeholders(en) == placeholders(zh)


def test_chinese_strings_are_translated():
    """A Chinese catalogue that is mostly English copies would pass the key test; count real CJK text."""
    cjk = re.compile(r"[\u4e00-\u9fff]")
    zh = i18n.catalogue(ZH)
    assert len([k for k in zh if cjk.search(zh[k])]) > 0.6 * len(zh)


@pytest.mark.parametrize("lesson", [lesson.slug for lesson in available_lessons()])
def test_each_lesson_has_a_title_and_prose_in_both_languages(lesson):
    for lang in (EN, ZH):
        assert i18n.text(f"{lesson}.title", lang)
        sections = i18n.prose(lesson, lang)
        assert {"intuition", "notice"} <= set(sections), f"{lesson}/{lang} lacks intuition or notice"
        assert all(body for body in sections.values())
    assert set(i18n.prose(lesson, EN)) == set(i18n.prose(lesson, ZH))


def test_language_codes_are_normalised():
    assert i18n.normalise_language("zh-CN") == "zh"
    assert i18n.normalise_language("zh_TW") == "zh"
    assert i18n.normalise_language("EN-us") == "en"
    assert i18n.normalise_language("fr") is None
    assert i18n.normalise_language(None) is None


def test_missing_key_is_an_error_not_a_blank():
    with pytest.raises(KeyError):
        i18n.text("formula.no_such_key", EN)


def test_prose_joins_line_breaks_inside_chinese_text():
    """A soft line break between two Chinese characters would show as a stray space in the browser; a heading
    line is never joined to the next (tests/test_chinese_rendering.py renders every section)."""
    assert i18n.join_cjk_lines("第一行，\n  第二行") == "第一行，第二行"
    assert i18n.join_cjk_lines("### 标题\n正文") == "### 标题\n正文"
    joined = "\n".join(i18n.prose("formula", ZH).values())
    assert re.search(r"[\u4e00-\u9fff]\n[\u4e00-\u9fff]", joined) is None
