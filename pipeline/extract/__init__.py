"""Find questions, answers and topics in a cleaned document.

The layout detectors form a table, as markdown-it's block rules do. Each reads the
analysed lines and proposes question starts; the detector whose proposals ask the most
questions is the document's layout (earlier in the table on a tie), and only its
questions are used, so a list inside a heading's answer never becomes a card. Topics
come from headings, numbered section lines and bare title lines."""
from __future__ import annotations

import re

from ..model import Card, CleanDocument, Drop, Extraction, SourceSpan
from . import bare_line, bold, bullet, heading, numbered, qa_marker, question_line, table_row
from .base import Mark, topic_text
from .lines import Line, analyse

# (name, detect) in order of precedence on a tie
QUESTION_RULES = [
    (qa_marker.NAME, qa_marker.detect),
    (heading.NAME, heading.detect),
    (numbered.NAME, numbered.detect),
    (bold.NAME, bold.detect),
    (bullet.NAME, bullet.detect),
    (table_row.NAME, table_row.detect),
    (question_line.NAME, question_line.detect),
]

# possessive space runs (*+, ++): side by side, plain ones were tried in every split
_ANSWER_LABEL = re.compile(r"^\s*+(?:[-*+]\s++)?(?:\*{1,2}|_{1,2})?\s*+"
                           r"(?:(?:解析|答案|参考答案|答|回答|A\d{0,3}|Answer)\s*+(?:(?:\*{1,2}|_{1,2})\s*+)?[:：]"
                           r"|[【\[]\s*+(?:答案?|解析|A)\s*+[】\]]\s*+[:：]?)\s*+(?:(?:\*{1,2}|_{1,2})\s*+)?", re.I)


LAYOUTS = [name for name, _ in QUESTION_RULES]


def choose_layout(lines: list[Line], hint: str = "") -> tuple[str, list[Mark], dict[str, list[Mark]]]:
    """The detector whose questions ask the most, or the one `sources.yaml` names."""
    found = {name: detect(lines) for name, detect in QUESTION_RULES}
    scores = {name: sum(m.role == "question" and m.asks for m in marks) for name, marks in found.items()}
    best = max(scores.values())
    if hint:
        name = hint
    elif best == 0:
        return "", [], found
    else:
        name = next(n for n, _ in QUESTION_RULES if scores[n] == best)
    return name, [m for m in found[name] if m.role == "question"], found


def outline_items(lines: list[Line], questions: list[Mark]) -> list[Mark]:
    """In an outline whose questions are list items, an item no deeper than the questions
    that is not one of them is a section of the outline ("- 二、经典关系抽取篇"): a topic."""
    depth = {lines[m.index].indent for m in questions if lines[m.index].bullet or lines[m.index].numbering}
    if not depth or any(not (lines[m.index].bullet or lines[m.index].numbering) for m in questions):
        return []
    qset = {m.index for m in questions}
    return [Mark(ln.index, "topic", topic_text(ln.body), "outline", False) for ln in lines
            if ln.index not in qset and (ln.bullet or ln.numbering) and not ln.in_code and not ln.link_only
            and ln.indent < max(depth)]


def find_marks(lines: list[Line], hint: str = "") -> tuple[str, list[Mark]]:
    layout, questions, found = choose_layout(lines, hint)
    qset = {m.index for m in questions}
    if layout == heading.NAME:
        topics = [m for m in found[heading.NAME] if m.role == "topic"]
    else:
        # every heading still closes the answer before it
        topics = [Mark(m.index, "topic", m.text, heading.NAME, False) for m in found[heading.NAME] if m.index not in qset]
        topics += numbered.topics(lines, qset)
    topics += outline_items(lines, questions)
    boundaries = qset | {m.index for m in topics}
    waiting = {m.index for m in questions if m.continues and not m.answer}
    extra = bare_line.detect(lines, qset, boundaries, waiting)
    if layout == heading.NAME:
        extra = [m for m in extra if m.role == "topic"]
    by_index: dict[int, Mark] = {m.index: m for m in topics}
    by_index.update({m.index: m for m in extra})
    by_index.update({m.index: m for m in questions})
    return layout, [by_index[i] for i in sorted(by_index)]


def _answer_text(lines: list[Line]) -> str:
    out: list[str] = []
    for ln in lines:
        if ln.blank:
            if out and out[-1] != "":
                out.append("")
            continue
        if ln.heading:
            out.append(f"**{ln.body}**")
        else:
            out.append(ln.text.rstrip())
    while out and out[-1] == "":
        out.pop()
    text = "\n".join(out)
    # the common indentation of scraped page text means nothing
    indents = [len(t) - len(t.lstrip(" ")) for t in out if t.strip()]
    if indents and min(indents) > 0:
        text = "\n".join(t[min(indents):] for t in out)
    return text


def strip_answer_label(text: str) -> str:
    return _ANSWER_LABEL.sub("", text, count=1).lstrip("\n")


def extract(doc: CleanDocument, title: str, layout_hint: str = "") -> Extraction:
    lines = analyse(doc.lines)
    layout, marks = find_marks(lines, layout_hint)
    cards: list[Card] = []
    drops: list[Drop] = []
    topic_lines: list[int] = []
    layouts: dict[str, int] = {}

    def unclaimed(chunk: list[Line], rule: str) -> None:
        for ln in chunk:
            if not ln.blank:
                drops.append(Drop("link_only" if ln.link_only else rule, doc.name, ln.number, ln.text.strip()[:200]))

    first = marks[0].index if marks else len(lines)
    unclaimed(lines[:first], "preamble" if marks else "no_questions")
    # heading topics nest: a question takes the deepest open topic above its own level
    open_topics: list[tuple[int, str]] = []
    for k, mark in enumerate(marks):
        end = marks[k + 1].index if k + 1 < len(marks) else len(lines)
        body = lines[mark.index + 1:end]
        if mark.role == "topic":
            level = mark.level or 0
            open_topics = [t for t in open_topics if level and t[0] and t[0] < level]
            if mark.text:
                open_topics.append((level, mark.text))
            topic_lines.append(lines[mark.index].number)
            unclaimed(body, "section_text")
            continue
        above = [text for level, text in open_topics if not (mark.level and level and level >= mark.level)]
        topic = above[-1] if above else title
        if not mark.continues:
            unclaimed(body, "section_text")
            body = []
        parts = [mark.answer, _answer_text(body)]
        following = marks[k + 1] if k + 1 < len(marks) else None
        if following is not None and following.carry:
            parts.append(following.carry)
        answer = strip_answer_label("\n\n".join(p for p in parts if p.strip()))
        numbers = [lines[mark.index].number] + [ln.number for ln in body if not ln.blank]
        if following is not None and following.carry:
            numbers.append(lines[following.index].number)
        cards.append(Card(question=mark.text, answer=answer, topic=topic,
                          sources=[SourceSpan(doc.name, min(numbers), max(numbers))], layout=mark.layout))
        layouts[mark.layout] = layouts.get(mark.layout, 0) + 1
    if layout:
        layouts.setdefault(layout, 0)
    return Extraction(doc.name, cards, topic_lines, drops, layouts)

