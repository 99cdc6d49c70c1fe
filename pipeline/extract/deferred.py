"""Answers given after their questions, by number: a list of numbered questions left
unanswered ("1. …？", "2. …？"), then their answers further down, each under a label that
only carries the question's number ("**问题 1：**", "Answer 2:") or as the numbered items of
an answer section ("参考答案：" / "1. …" / "2. …"). Each such label or item becomes an answer
mark aimed at the question of its number: the nearest one above it that has no answer of
its own."""
from __future__ import annotations

import re

from ..text import LEAD_IN
from .base import Mark
from .lines import Line

NAME = "deferred"
# a label with a question's number and nothing else ("**问题 1：**", "Q2.", "答案 3：")
_NUMBER_LABEL = re.compile(r"^\s*+(?:[-*+]\s++)?(?:\*\*|__)?\s*+(?:问题|题目|答案|解答|question|answer|q|a)\s*+(\d{1,3})"
                           r"\s*+(?:\*\*|__)?\s*+[:：.．]?\s*+(?:\*\*|__)?\s*+$", re.I)
# a label that opens the answers of a list of questions ("参考答案：", "## 参考回答", "**Answers**")
_ANSWERS_LABEL = re.compile(r"^\s*+(?:[-*+]\s++)?(?:#{1,6}\s++)?(?:\*\*|__)?\s*+(?:(?:对应)?(?:参考)?(?:答案|解答|回答)|answers?|solutions?)"
                            r"\s*+(?:\*\*|__)?\s*+[:：]?\s*+(?:\*\*|__)?\s*+$", re.I)


def _unanswered(lines: list[Line], mark: Mark, stop: int) -> bool:
    """Whether nothing but labels stands between a question and `stop` (its next mark) or
    the first answer label before it."""
    if mark.role != "question" or mark.answer:
        return False
    for ln in lines[mark.index + mark.span:stop]:
        if _NUMBER_LABEL.match(ln.text) or _ANSWERS_LABEL.match(ln.text):
            return True
        if not (ln.blank or ln.bold or LEAD_IN.match(ln.text.strip())):
            return False
    return True


def detect(lines: list[Line], marks: list[Mark]) -> list[Mark]:
    """Answer marks (role "answer", `target` the line index of the question answered) for
    the numbered questions of `marks` (sorted) that are answered further down; [] when none."""
    questions = [m for m in marks if m.role == "question" and lines[m.index].numbering is not None]
    if not questions:
        return []
    position = {m.index: k for k, m in enumerate(marks)}
    waiting: dict[int, Mark] = {}  # number -> the latest unanswered question of that number
    found: list[Mark] = []
    taken: set[int] = set()
    in_answers = False  # below an answer section's label
    depth: int | None = None  # the indentation of the answer section's items: deeper ones are inside answers
    nxt = 0
    for ln in lines:
        while nxt < len(questions) and questions[nxt].index <= ln.index:
            q = questions[nxt]
            k = position[q.index]
            stop = marks[k + 1].index if k + 1 < len(marks) else len(lines)
            if _unanswered(lines, q, stop):
                waiting[lines[q.index].numbering.numbers[-1]] = q
            in_answers = False
            nxt += 1
        if ln.heading and not _ANSWERS_LABEL.match(ln.text):
            waiting, in_answers = {}, False  # a new section: its numbers are its own
            continue
        if _ANSWERS_LABEL.match(ln.text):
            in_answers, depth = True, None
            continue
        label = _NUMBER_LABEL.match(ln.text)
        item = in_answers and ln.numbering is not None and ln.index not in position and not ln.in_code
        if item and depth is None:
            depth = ln.indent
        number = int(label.group(1)) if label else (ln.numbering.numbers[-1] if item and ln.indent == depth else 0)
        q = waiting.get(number)
        if q is not None and q.index not in taken:
            taken.add(q.index)
            found.append(Mark(ln.index, "answer", "", NAME, False, target=q.index,
                              answer="" if label else ln.numbering.rest))
    return found
