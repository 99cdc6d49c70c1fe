"""A paragraph answered by the lines under it that open with an arrow: a statement or question,
then `-> True`, or `-> L1 regularization` / `-> Dropout` (several right answers). The arrow
lines are the answer, each an item of a list when there are several; the paragraph, premises and
all, is the question, worded as one or not (a statement to judge)."""
from __future__ import annotations

import re

from ..text import ends_with_question_mark, is_link_only
from .base import ARROW, Mark, question_text
from .lines import Line

NAME = "arrowed"
_ARROW = re.compile(rf"^\s*+{ARROW}\s*+(?P<answer>\S.*)$")
_MIN_PAIRS = 2  # paragraphs so answered that make the layout
_MAX_PARAGRAPH = 6  # lines of a question paragraph


def _paragraph(lines: list[Line], k: int) -> list[Line]:
    """The paragraph that ends right above line `k`: plain lines (no heading, list item, code,
    arrow line), at most `_MAX_PARAGRAPH`; [] when there is none."""
    paragraph: list[Line] = []
    for ln in map(lines.__getitem__, range(k - 1, -1, -1)):  # no copy of the page per arrow line
        if ln.blank or ln.heading or ln.in_code or ln.bullet or _ARROW.match(ln.text):
            break
        paragraph.insert(0, ln)
    return paragraph if len(paragraph) <= _MAX_PARAGRAPH else []


def detect(lines: list[Line]) -> list[Mark]:
    """One question per paragraph with arrow lines right under it (no blank line between), two
    such pairs at least; each mark spans its arrow lines and holds them as its answer, which
    ends at the next blank line."""
    marks = []
    k = 0
    while k < len(lines):
        if lines[k].in_code or not _ARROW.match(lines[k].text) or not (paragraph := _paragraph(lines, k)):
            k += 1
            continue
        answers = []
        end = k
        # the arrow lines, and the lines right under them that go on with the list without an
        # arrow ("-> Upload data" / "Train a model"): the paragraph after a blank line is none
        while end < len(lines) and not (lines[end].blank or lines[end].in_code or lines[end].heading):
            m = _ARROW.match(lines[end].text)
            answers.append(m.group("answer").strip() if m else lines[end].text.strip())
            end += 1
        # lines after the paragraph's question mark go with the arrow lines under them ("…EI
        # Service?" / "Model Arts" / "-> EI Experience Hall"): the first answer lost its arrow
        asking = [j for j, ln in enumerate(paragraph) if ends_with_question_mark(question_text(ln.text))]
        if asking and asking[-1] + 1 < len(paragraph):
            answers = [ln.text.strip() for ln in paragraph[asking[-1] + 1:]] + answers
            paragraph = paragraph[:asking[-1] + 1]
        answer = answers[0] if len(answers) == 1 else "\n".join(f"- {a}" for a in answers)
        text = "\n".join(question_text(ln.text) for ln in paragraph)
        # an arrow that only points to a page ("→ [Part 1, §2](…)") is a cross-reference: the
        # answer goes on under it ("- **判断**：…")
        pointer = all(is_link_only(a) for a in answers)
        marks.append(Mark(paragraph[0].index, "question", text, NAME, True, answer=answer, continues=pointer,
                          span=lines[end - 1].index - paragraph[0].index + 1))
        k = end
    return marks if len(marks) >= _MIN_PAIRS else []
