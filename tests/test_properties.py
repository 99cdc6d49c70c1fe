"""Property-based tests: stages that meet arbitrary text never crash, the line accounting
always balances, rendered HTML never carries active content."""
from __future__ import annotations

import re

from bs4 import BeautifulSoup
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.choices import classify
from pipeline.clean import clean
from pipeline.dedup import deduplicate
from pipeline.extract import extract
from pipeline.model import Document, SourceLine
from pipeline.render import to_html
from pipeline.report import account, spans_by_file
from pipeline.status import assess
from pipeline.text import is_blank

PIECES = ["1、", "2. ", "6.1 ", "## ", "### ", "- ", "* ", "• ", "Q:", "A:", "问：", "答：", "**", "?", "？", "：", ":",
          "$", "$$", "\\frac{a}{b}", "`", "```", "<script>", "</script>", "<手推>", "<b>", "[x](http://e.com)",
          "![](a.png)", "|", "---", "\u00a0", "\u200b", "\r", "\n", "\n\n", " ", "什么是", "为什么", "卷积", "答案",
          "正确答案B", "A.对 B.不对", "解析:", "评论", "公众号", "©", "_", "\\(1\\)", "<!--", "-->", "{{c1::x}}"]
documents = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=60).map("".join)


def run(text: str, kind: str):
    raw = re.split(r"\r\n|\r|\n", text)
    doc = Document("p.md", kind, [SourceLine(i, t) for i, t in enumerate(raw, start=1)], len(raw), "utf-8")
    cleaned = clean(doc)
    extraction = extract(cleaned, "t")
    cards = [assess(classify(c)) for c in extraction.cards]
    merged, _ = deduplicate(cards)
    return raw, cleaned, extraction, merged


@settings(max_examples=150, deadline=None)
@given(documents, st.sampled_from(["text", "markdown"]))
@example(">>", "text")  # a line of quote markers alone, before any question
def test_any_text_extracts_and_every_line_is_accounted_for(text, kind):
    raw, cleaned, extraction, cards = run(text, kind)
    acc = account(cleaned, extraction, spans_by_file(cards))
    assert acc.unaccounted == []
    assert acc.nonblank == sum(not is_blank(line) for line in raw)
    assert acc.in_cards + acc.topics + acc.dropped_lines == acc.nonblank
    for card in cards:
        assert card.question.strip()
        assert card.status in ("ok", "needs_answer", "needs_review")


def active_content(html: str) -> list[str]:
    """Tags and attributes that would run or load something, in the parsed HTML."""
    found = []
    for tag in BeautifulSoup(html, "html.parser").find_all(True):
        if tag.name in {"script", "iframe", "object", "embed", "style", "svg", "form", "meta", "link", "base"}:
            found.append(tag.name)
        for name, value in tag.attrs.items():
            value = " ".join(value) if isinstance(value, list) else str(value)
            if name.lower().startswith("on") or re.match(r"\s*(javascript|vbscript|data):", value, re.I):
                found.append(f"{tag.name}[{name}]")
    return found


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(PIECES + ["<img src=x onerror=alert(1)>", "<a href='javascript:x'>y</a>",
                                                    "<iframe src=//e>", "<svg onload=x>", "[z](javascript:alert(1))",
                                                    "<style>*{}</style>", "<div onclick=x>"]),
                          st.text(max_size=6)), max_size=40).map("".join))
def test_rendered_html_never_carries_active_content(text):
    html = to_html(text)
    assert active_content(html) == [], html
    assert "{{" not in html and "}}" not in html
