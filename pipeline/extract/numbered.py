"""Numbered question lines: `16. …`, `3、…`, `6.1 …`, `6.6.1 …`, `(2) …`.

A numbered line that asks something is a question. One that does not ask ("24、深度学习常用方法。")
is a question too when it continues the numbering run of asking lines (23 and 25 ask, or
6.11 asks and 6.12 is the last). Questions are numbered in one style; other styles
number the points inside answers.
Numbered lines that are titles ("4.1 神经元", "2. 梯度消失/爆炸") open topics, but only in a
numbering style that already appears before the first question: a style first seen
inside an answer ("一、…的目的" under "16. …") is the answer's own outline."""
from __future__ import annotations

from ..text import is_question_like, is_section_title
from .base import Mark, question_text, topic_text
from .lines import Line

NAME = "numbered"
_MAX_QUESTION = 200


def _candidate(ln: Line) -> bool:
    return (ln.numbering is not None and not ln.heading and not ln.bullet and not ln.in_code
            and ln.indent <= 1 and len(ln.numbering.rest) <= _MAX_QUESTION)


def detect(lines: list[Line]) -> list[Mark]:
    numbered = [ln for ln in lines if _candidate(ln)]
    asks = {ln.index: is_question_like(question_text(ln.text)) and not ln.numbering.rest.rstrip().endswith((":", "："))
            for ln in numbered}
    # questions are numbered in one style; the other styles number the answers' own points
    per_style: dict[str, int] = {}
    for ln in numbered:
        per_style[ln.numbering.style] = per_style.get(ln.numbering.style, 0) + asks[ln.index]
    if not per_style or max(per_style.values()) == 0:
        return []
    style_of_questions = max(per_style, key=lambda s: per_style[s])
    numbered = [ln for ln in numbered if ln.numbering.style == style_of_questions]
    marks: list[Mark] = []
    for pos, ln in enumerate(numbered):
        if asks[ln.index]:
            marks.append(Mark(ln.index, "question", question_text(ln.text), NAME, True))
            continue
        number = ln.numbering.numbers
        before = next((p for p in reversed(numbered[:pos]) if asks[p.index]), None)
        after = next((p for p in numbered[pos + 1:] if asks[p.index]), None)
        follows = before is not None and before.numbering.numbers[:-1] == number[:-1] \
            and before.numbering.numbers[-1] == number[-1] - 1
        leads = after is None or (after.numbering.numbers[:-1] == number[:-1]
                                  and after.numbering.numbers[-1] == number[-1] + 1)
        if follows and leads and question_text(ln.text):
            marks.append(Mark(ln.index, "question", question_text(ln.text), NAME, False))
    return marks


def topics(lines: list[Line], questions: set[int]) -> list[Mark]:
    """Numbered section titles above the questions."""
    first_question = min(questions, default=len(lines))
    styles_before = {ln.numbering.style for ln in lines[:first_question] if _candidate(ln)}
    marks: list[Mark] = []
    last: dict[str, tuple[int, ...]] = {}
    for ln in lines:
        if ln.index in questions or not _candidate(ln) or ln.numbering.style not in styles_before:
            continue
        if not is_section_title(ln.numbering.rest) or len(ln.numbering.rest) < 1:
            continue
        previous = last.get(ln.numbering.style)
        if previous is not None and ln.numbering.numbers <= previous:
            continue  # numbering restarts: an outline inside an answer
        last[ln.numbering.style] = ln.numbering.numbers
        marks.append(Mark(ln.index, "topic", topic_text(ln.text), NAME, False))
    return marks
