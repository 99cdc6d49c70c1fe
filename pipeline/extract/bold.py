"""A line that is bold as a whole and asks something: `**为什么要做归一化？**`."""
from __future__ import annotations

import math
import re
from dataclasses import replace

from ..text import is_question_like, names_aspect
from . import numbered
from .base import ASKING_SHARE, Mark, question_text
from .lines import Line, bold_numbering

NAME = "bold"


def _label(ln: Line) -> bool:
    return bool(ln.bold) and not ln.heading and ln.indent <= 1


def _asking(ln: Line) -> bool:
    return _label(ln) and is_question_like(question_text(ln.bold))


def detect(lines: list[Line]) -> list[Mark]:
    """The asking bold lines, except those inside a blockquote that answers an asking bold
    line standing right above it outside the quote (`**何时用哪个？**` / `> **先看区别**` …)."""
    position = {ln.index: k for k, ln in enumerate(lines)}
    answered_by_quote: set[int] = set()
    opener = None  # the asking bold line outside a quote that the current blockquote answers
    for k, ln in enumerate(lines):
        if ln.blank:
            continue
        if ln.quote == 0:
            opener = ln if _asking(ln) else None
        elif opener is not None:
            answered_by_quote.add(k)
    marks = {ln.index: Mark(ln.index, "question", _front(ln.bold), NAME, True)
             for k, ln in enumerate(lines) if _asking(ln) and k not in answered_by_quote}
    for m in _numbered_run_marks(lines):
        marks.setdefault(m.index, m)
    for ln in _naming_aspects(lines):
        marks.setdefault(ln.index, Mark(ln.index, "question", _front(ln.bold), NAME, False))
    # where the questions are bold lines of their own, a bold list item that asks is a part of
    # an answer ("**15. What is feature scaling …?**" / "* __What is normalization?__")
    if any(not lines[position[i]].bullet for i in marks):
        marks = {i: m for i, m in marks.items() if not lines[position[i]].bullet}
    found = [marks[i] for i in sorted(marks)]
    return sorted(found + _sibling_titles(lines, found, position), key=lambda m: m.index)


_ASPECT_SERIES = 3  # asking bold labels of one rank, most of that rank, that make a series of questions
# "X的Y", a short attribute of a subject ("BN的公式", "BN层的参数量"): among questions, it asks for it
_OF_ATTRIBUTE = re.compile(r"^\S[^的\n]{0,30}的[^\s的，。,.：:]{1,6}$")


def _naming_aspects(lines: list[Line]) -> list[Line]:
    """The bold labels that name an aspect of a subject ("**Multi-Head Attention的作用**", see
    `text.names_aspect`) or an attribute of it ("**BN的公式**") among labels of their rank
    (indent, list item or not) most of which ask, at least `_ASPECT_SERIES` of them: questions
    of the series, worded as headings are. Labels that name a subject alone ("**Encoder**")
    stay titles."""
    ranks: dict[tuple[int, bool], list[Line]] = {}
    for ln in lines:
        if _label(ln) and ln.quote == 0:
            ranks.setdefault((ln.indent, bool(ln.bullet)), []).append(ln)
    found = []
    for rank in ranks.values():
        asking = sum(map(_asking, rank))
        if asking >= _ASPECT_SERIES and asking >= ASKING_SHARE * len(rank):
            found += [ln for ln in rank if not _asking(ln) and (names_aspect(text := question_text(ln.bold))
                                                                 or _OF_ATTRIBUTE.match(text))]
    return found


def _paragraph(lines: list[Line], k: int) -> bool:
    """Whether line `k` is a paragraph of its own: blank lines (or the container's edge) on
    both sides."""
    return (k == 0 or lines[k - 1].blank) and (k + 1 == len(lines) or lines[k + 1].blank)


def _title_at(lines: list[Line], k: int, quote: int) -> bool:
    """Whether line `k` is a bold title: a bold label that is a paragraph of its own, no list
    item, at quote depth `quote`."""
    return _label(lines[k]) and not lines[k].bullet and _paragraph(lines, k) and lines[k].quote == quote


def _sibling_titles(lines: list[Line], questions: list[Mark], position: dict[int, int]) -> list[Mark]:
    """Boundaries at the bold titles of a bold question's own rank that start the next topic
    ("**为什么要加动量？**" / its answer / "**Nesterov 动量**" / text about that): a bold line that
    is a paragraph of its own, as the question is, and does not ask. It ends the answer when it
    is the only such title before the next question, the answer has text of its own before it,
    and text that is not only links follows it. An answer's titled parts come in sets
    ("**优点**" / "**缺点**") or open it ("**KNN**" / … / "**K Means**"), and a lone title over
    a list of links heads the answer's references; a title that introduces ("**步骤：**") or a
    bold sentence ("**它收敛更快。**") titles no topic. `position` maps a line's index to its
    place in `lines`."""
    starts = [position[m.index] for m in questions]
    ends = starts[1:] + [len(lines)] if starts else []
    out = []
    for before_start, start, end in zip([0, *starts], starts, ends, strict=False):
        if not _paragraph(lines, start):
            continue
        titles = [k for k in range(start + 1, end) if _title_at(lines, k, lines[start].quote)]
        # where the question is one of a series of titled sections ("**动量**" / "**SGD原理**" /
        # "**Adam和Adagrad的区别？**"), the next title of the series ends its answer however many follow
        series = sum(_title_at(lines, k, lines[start].quote) and not _asking(lines[k])
                     for k in range(before_start, start)) >= _SERIES
        if len(titles) != 1 and not (series and titles):
            continue
        k = titles[0]
        title = lines[k]
        before = [ln for ln in lines[start + 1:k] if not ln.blank]
        after = [ln for ln in lines[k + 1:end] if not ln.blank]
        if (before and not before[0].bold and after and not all(ln.link_only for ln in after)
                and not _asking(title) and not title.introduces and not title.bold.endswith(_SENTENCE_ENDS)):
            out.append(Mark(title.index, "boundary", "", NAME, False))
    return out


_SENTENCE_ENDS = ("。", ".", "！", "!", "；", ";")
_SERIES = 2  # titled sections before a bold question that make it one of a series


def _numbered_run_marks(lines: list[Line]) -> list[Mark]:
    """Numbered bold labels ("**1.循环网络解决什么问题**", "**2.循环网络的结构**") read as a
    numbered list is read (`numbered.run_marks`): in a run most of whose items ask, the others are
    questions too, as in a long run of titles two of which ask; in a run where two or more ask,
    the others end their siblings' answers."""
    labels = [replace(ln, numbering=n, text=f"{n.numbers[-1]}. {n.rest}") for ln in lines
              if _label(ln) and (n := bold_numbering(ln.bold))]
    position = {ln.index: k for k, ln in enumerate(lines)}
    asks = {ln.index: _asking(ln) for ln in labels}
    # bold labels number a page's items, gaps and all ("**13 …**", "**16 …**"): any rise goes on
    # (a run of labels each a paragraph of its own titles the text under each)
    runs = numbered.run_marks(labels, asks, lines, position, step=_ANY_RISE,
                              titles=bool(labels) and all(_paragraph(lines, position[ln.index]) for ln in labels))
    return [replace(m, layout=NAME) for m in runs]


_ANY_RISE = math.inf


def _front(bold: str) -> str:
    """A bold label's question: without its number, however it is set off."""
    numbering = bold_numbering(bold)
    return question_text(numbering.rest if numbering and numbering.style == "spaced" else bold)


def asking_share(lines: list[Line]) -> float:
    """The share of a container's bold labels that ask (1.0 when it has none): under a
    heading question, "**有向图**", "**图的优点**", "**如何用于深度学习**" are the sub-titles of
    its answer, not a list of questions."""
    labels = [ln for ln in lines if _label(ln)]
    return sum(map(_asking, labels)) / len(labels) if labels else 1.0
