"""Chinese prose renders as written: every section of every lesson (files found by globbing, so lessons added
later are checked too) goes through a CommonMark + GFM-tables parser, as Streamlit's st.markdown does in the
browser, and the visible text is checked.

A soft line break inside a paragraph is shown by the browser as a space, so the visible text is built with a space
for every soft break. Headings must hold exactly their own line (no body text glued on), and no space may sit
between two CJK characters or after CJK punctuation.
"""

import re

import pytest
from markdown_it import MarkdownIt

from deeplab_core import i18n

ZH = "zh"
PROSE = sorted((i18n.LOCALES_DIR / ZH / "prose").glob("*.md"))
CJK = f"[{i18n.CJK}]"
CJK_PUNCTUATION = "[\u3000-\u303f\uff00-\uffef]"
MARKDOWN = MarkdownIt("commonmark").enable("table")  # Streamlit: react-markdown with remark-gfm


def sections(lang: str = ZH) -> list[tuple[str, str, str]]:
    """(lesson, section, markdown) for every prose section, [[value:…]] filled with a stand-in number."""
    found = []
    for path in PROSE:
        for name, body in i18n.prose(path.stem, lang).items():
            found.append((path.stem, name, i18n.fill(body, dict.fromkeys(i18n.value_names(body), "1"))))
    return found


def visible_text(inline) -> str:
    """What the browser shows for one inline token: soft breaks become spaces, code spans are left out."""
    parts = []
    for child in inline.children or []:
        if child.type == "text":
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "code_inline":
            parts.append("`code`")
    return "".join(parts)


def rendered(markdown: str) -> tuple[list[str], list[str]]:
    """(heading texts, body texts) as they will be shown."""
    tokens = MARKDOWN.parse(markdown)
    headings, bodies = [], []
    for i, token in enumerate(tokens):
        if token.type == "inline":
            (headings if tokens[i - 1].type == "heading_open" else bodies).append(visible_text(token))
    return headings, bodies


def heading_sources(markdown: str) -> list[str]:
    """The Markdown source each rendered heading was built from."""
    tokens = MARKDOWN.parse(markdown)
    return [
        token.content
        for i, token in enumerate(tokens)
        if token.type == "inline" and tokens[i - 1].type == "heading_open"
    ]


def raw_headings(lesson: str) -> list[str]:
    """The heading lines of the file as written, without their #s."""
    text = (i18n.LOCALES_DIR / ZH / "prose" / f"{lesson}.md").read_text(encoding="utf-8")
    return [line.lstrip("#").strip() for line in text.splitlines() if re.match(r"#{1,6}\s", line)]


@pytest.mark.parametrize("lesson", [path.stem for path in PROSE])
def test_headings_hold_only_their_own_line(lesson):
    shown = [heading for name, _, body in sections() if name == lesson for heading in heading_sources(body)]
    expected = [i18n.expand(heading) for heading in raw_headings(lesson)]
    assert shown == expected


@pytest.mark.parametrize(("lesson", "name", "body"), [pytest.param(*s, id=f"{s[0]}.{s[1]}") for s in sections()])
def test_no_stray_space_in_chinese_text(lesson, name, body):
    headings, bodies = rendered(body)
    stray = [
        match.group(0)
        for text in headings + bodies
        for pattern in (f"{CJK} +{CJK}", f"{CJK_PUNCTUATION} +\\S")
        for match in re.finditer(pattern, text)
    ]
    assert stray == [], f"{lesson}.{name}"
    # CommonMark does not close ** between CJK punctuation and a CJK letter ("**细节。**单"): it shows the stars.
    assert not [text for text in headings + bodies if "**" in text or "__" in text], f"{lesson}.{name}"


def test_the_checks_see_the_faults_they_look_for():
    """Guard against checks that cannot fail: a glued heading and a broken list item are caught."""
    headings, bodies = rendered("### 网格效应\n对一个输出单元\n\n- 九个权重，\n  却跨越")
    assert headings == ["网格效应"] and bodies[0] == "对一个输出单元"
    assert re.search(f"{CJK_PUNCTUATION} +\\S", bodies[1])
    glued = i18n.join_cjk_lines("### 标题\n正文")
    assert rendered(glued)[0] == ["标题"]


def test_the_joiner_removes_only_breaks_inside_a_paragraph():
    source = (
        "### 标题\n第一行，\n第二行\n\n- 列表项，\n  续行\n- 下一项\n| 表 | 格 |\n|---|---|\n| 一 | 二 |\n$$\n公式\n$$"
    )
    joined = i18n.join_cjk_lines(source)
    assert joined.splitlines() == [
        "### 标题",
        "第一行，第二行",
        "",
        "- 列表项，续行",
        "- 下一项",
        "| 表 | 格 |",
        "|---|---|",
        "| 一 | 二 |",
        "$$",
        "公式",
        "$$",
    ]
