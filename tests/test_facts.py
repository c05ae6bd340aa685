"""The paper-facts registry: every entry names its source, tables agree with their entries' settings, prose and
strings quote registered numbers only through placeholders, and both languages show the same numbers."""

import re
from collections import Counter

import pytest

from deeplab_core import facts, i18n

EN, ZH = i18n.LANGUAGES
PLACEHOLDERS = re.compile(r"\[\[(?:fact|table):[\w.]+\]\]")
NUMBER = re.compile(r"\d+(?:\.\d+)?")


def raw_texts(lang: str) -> dict[str, str]:
    """Every catalogue string and prose section before expansion ("<namespace>.<key>", "prose:<lesson>.<section>")."""
    texts = dict(i18n.catalogue(lang))
    for path in sorted((i18n.LOCALES_DIR / lang / "prose").glob("*.md")):
        parts = re.split(r"^<!--\s*section:\s*([\w-]+)\s*-->\s*$", path.read_text(encoding="utf-8"), flags=re.M)
        texts.update({f"prose:{path.stem}.{name}": body for name, body in zip(parts[1::2], parts[2::2], strict=True)})
    return texts


@pytest.mark.parametrize("key", sorted(facts.FACTS))
def test_every_fact_names_its_source(key):
    fact = facts.FACTS[key]
    assert fact.paper in facts.PAPERS
    assert fact.where.strip() and fact.setting.strip()
    assert fact.formatted()


@pytest.mark.parametrize("key", sorted(facts.TABLES))
def test_tables_agree_with_their_facts(key):
    table = facts.TABLES[key]
    keys = [k for row in range(len(table.rows)) for k in table.keys(row)]
    assert len(set(keys)) == len(keys)
    assert len({(facts.fact(k).paper, facts.fact(k).where) for k in keys}) == 1, "one table, one source"
    for row, (cells, _) in enumerate(table.rows):
        assert len(cells) + len(table.keys(row)) == len(table.columns)
        for fact_key in table.keys(row):
            setting = facts.fact(fact_key).setting
            for cell in cells:
                if cell == "✓":
                    assert "image pooling" in setting
                elif cell:
                    assert cell in setting, f"{fact_key}: {cell!r} not in {setting!r}"
            if "✓" not in cells and key == "deeplabv3.table5":
                assert "image pooling" not in setting
    for column in table.columns:
        assert i18n.text(column, EN) and i18n.text(column, ZH)


def test_multi_value_rows_read_in_the_columns_order():
    """DeepLab v2 Table 3: before, then after the CRF, in each row; the CRF helps every row."""
    table = facts.TABLES["deeplabv2.table3"]
    for row in range(len(table.rows)):
        before, after = table.keys(row)
        assert before.endswith(".before") and after.endswith(".after")
        assert facts.fact(after).value > facts.fact(before).value
    lines = facts.table_markdown("deeplabv2.table3", lambda key: key.rsplit(".", 1)[1]).splitlines()
    assert lines[0] == "| method | before | after |" and lines[-1] == "| ASPP-L | 68.96 | 71.57 |"


def test_v3_best_with_and_without_jft():
    """DeepLabv3 Table 7: 85.7 is the best without JFT; DeepLabv3-JFT reaches 86.9."""
    assert facts.fact("deeplabv3.table7.jft_test_miou").value > facts.fact("deeplabv3.table7.test_miou").value
    assert "JFT" not in facts.fact("deeplabv3.table7.test_miou").setting.replace("no JFT", "")


def test_released_res4_order_is_two_then_the_cycle():
    """TuSimple-DUC's get_resnet_hdc: res4_1 at rate 2, then (2, 5, 9, 1) repeating over the remaining units."""
    fact = facts.fact("wang2018_code.res4_group")
    units = [2] + [(2, 5, 9, 1)[i % 4] for i in range(22)]  # 23 units in ResNet-101's res4
    shown = [int(r) for r in fact.formatted().replace("…", "").split(",") if r.strip()]
    assert shown[:8] == units[:8] and shown[-2:] == units[-2:]


def test_deeplabv3_table5_has_every_row_of_the_paper():
    """DeepLabv3 Table 5 (§4.3): five rows, read in the paper's order; 76.58 − 76.46 is the 0.12 % the text names."""
    values = [facts.fact(k).value for _, k in facts.TABLES["deeplabv3.table5"].rows]
    assert values == [75.36, 75.93, 76.58, 76.46, 77.21]
    assert round(values[2] - values[3], 2) == 0.12


def test_placeholders_name_registered_facts_and_both_languages_use_the_same():
    en, zh = raw_texts(EN), raw_texts(ZH)
    for key in en:
        found_en, found_zh = Counter(PLACEHOLDERS.findall(en[key])), Counter(PLACEHOLDERS.findall(zh[key]))
        assert found_en == found_zh, key
        for placeholder in found_en:
            name = placeholder[2:-2].split(":", 1)[1]
            assert name in (facts.TABLES if placeholder.startswith("[[table:") else facts.FACTS), placeholder


def test_registered_numbers_are_never_typed():
    """A registered result appears in the text only through its placeholder, so a correction reaches every page."""
    typed = [
        (where, f.formatted())
        for lang in (EN, ZH)
        for where, text in raw_texts(lang).items()
        for f in facts.FACTS.values()
        if isinstance(f.value, float) and f.formatted() in text
    ]
    assert typed == []


@pytest.mark.parametrize("lesson", sorted(p.stem for p in (i18n.LOCALES_DIR / EN / "prose").glob("*.md")))
def test_both_languages_show_the_same_numbers_in_prose(lesson):
    en, zh = i18n.prose(lesson, EN), i18n.prose(lesson, ZH)
    differ = {name: set(NUMBER.findall(en[name])) ^ set(NUMBER.findall(zh[name])) for name in en}
    assert {name: numbers for name, numbers in differ.items() if numbers} == {}


def test_both_languages_show_the_same_numbers_in_strings():
    """Numbers of two or more digits (a single digit may be a word in one language: "ones kernel", "规则一")."""
    en, zh = i18n.catalogue(EN), i18n.catalogue(ZH)

    def numbers(text: str) -> set[str]:
        return {n for n in NUMBER.findall(i18n.expand(text)) if len(n) > 1}

    assert [key for key in en if numbers(en[key]) != numbers(zh[key])] == []


def test_expansion_and_tables():
    assert facts.expand("[[fact:deeplabv3.table5.mg121]]") == "75.93"
    with pytest.raises(KeyError):
        facts.expand("[[fact:deeplabv3.no_such_fact]]")
    table = facts.table_markdown("deeplabv3.table5", lambda key: key.rsplit(".", 1)[1])
    assert table.splitlines()[0] == "| multi_grid | aspp | pooling | miou |"
    assert "| (1, 2, 4) | (6, 12, 18) | ✓ | 77.21 |" in table.splitlines()
    assert "| 8 | 75.18 |" in i18n.prose("output_stride", ZH)["paper"]


def test_values_fill_prose_and_typos_fail():
    body = "rate [[value:rate]] on [[value:n]]"
    assert i18n.fill(body, {"rate": 36, "n": 65}) == "rate 36 on 65"
    with pytest.raises(KeyError):
        i18n.fill(body, {"rate": 36})
    with pytest.raises(ValueError):
        i18n.fill(body, {"rate": 36, "n": 65, "extra": 1})
