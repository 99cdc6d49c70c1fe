"""Bare title lines of page text or notes: a short line, alone between blank lines,
with no number, marker or closing punctuation ("BN", "激活函数", "深度学习优化--炼丹").

Such a line opens a topic when the next thing after it is a question (other titles and
link lines may stand between). A title followed by its own prose instead
("激活函数零中心的问题" and two paragraphs) is a question whose answer is that prose,
if it is worded as one."""
from __future__ import annotations

import re
from bisect import bisect_left

from ..text import fold, is_question_like, is_section_title
from .base import OPENS_WITH_OPTION, Mark, question_text, topic_text
from .lines import Line, bold_numbering

NAME = "bare_line"
_CLAUSE_MARK = re.compile(r"[，。！!；;]")

_MIN_PROSE = 60  # characters of prose that make a title a question with an answer


def _bare(lines: list[Line], i: int, questions: set[int]) -> bool:
    ln = lines[i]
    if ln.blank or ln.heading or ln.bullet or ln.numbering or ln.in_code or ln.link_only or ln.bold or OPENS_WITH_OPTION.match(ln.text):
        return False
    before_blank = i == 0 or lines[i - 1].blank
    after_blank = i + 1 >= len(lines) or lines[i + 1].blank
    # a label ("Embedding:", "NER") right above its list of questions is a title too
    label = i + 1 in questions and len(ln.text.strip()) <= 30
    title = is_section_title(ln.text) or (label and is_section_title(ln.text.strip().rstrip(":：")))
    # a bare line of clauses ("点个在看再走呗，老弟") is a remark, not a title
    return before_blank and (after_blank or label) and title and not _CLAUSE_MARK.search(ln.text)


def _restarts(lines: list[Line], questions: set[int], before: int, i: int) -> bool:
    """Whether the next line after `i` (past blank lines and other bare titles) numbers its
    question 1 where the question before `i` had a higher number ("15. …" / "NER" / "1. …"):
    `i` titles a new list, it answers nothing."""
    k = i + 1
    while k < len(lines) and (lines[k].blank or _bare(lines, k, questions)):
        k += 1
    after = lines[k].numbering if k < len(lines) and k in questions else None
    prior = lines[before].numbering
    return after is not None and prior is not None and after.numbers == (1,) and prior.numbers[:1] > (1,)


def _number(ln: Line) -> int | None:
    numbering = bold_numbering(ln.bold) if ln.bold and not ln.numbering else None
    return numbering.numbers[-1] if numbering is not None else None


def _numbered_on(lines: list[Line], asked: list[int], i: int, j: int) -> bool:
    """Whether question `j`, after the bare line `i`, goes on with the numbering of the last
    question above `i` (a higher number, not a restart at 1), both numbered bold titles over
    their text: where answers stand at the margin as their titles do, the line is the last of
    an answer (a list item's answer is indented into it, and a line at the margin is out of it)."""
    above = bisect_left(asked, i)
    if not above:
        return False
    before, after = _number(lines[asked[above - 1]]), _number(lines[j])
    return before is not None and after is not None and 1 < after and before < after


def detect(lines: list[Line], questions: set[int], boundaries: set[int], waiting: set[int]) -> list[Mark]:
    """Topics and title-questions among bare lines, given the questions already found
    and those of them still waiting for their answer (a short answer is no title)."""
    bare = set()
    for i in range(len(lines)):
        before = next((k for k in range(i - 1, -1, -1) if not lines[k].blank), None)
        if i not in boundaries and _bare(lines, i, questions) and (before not in waiting or _restarts(lines, questions, before, i)):
            bare.add(i)
    if not bare:
        return []
    # per line, the first line at or after it that is no blank, link line or bare title (one
    # pass from the end: scanned per title, a page of thousands of titles was quadratic)
    n = len(lines)
    content = [n] * (n + 1)
    for k in range(n - 1, -1, -1):
        content[k] = content[k + 1] if lines[k].blank or lines[k].link_only or k in bare else k
    marks: list[Mark] = []
    rest: list[tuple[int, int]] = []
    asked = sorted(questions)
    for i in sorted(bare):
        j = content[i + 1]
        if j >= len(lines) or j in questions:
            if j < len(lines) and lines[i].indent > lines[j].indent:
                continue  # deeper than the question after it: the last words of the item above
            if j < len(lines) and _numbered_on(lines, asked, i, j):
                continue  # the numbering goes on past it ("**16 …**" / text / "**17 …**"): the answer's last line
            marks.append(Mark(i, "topic", topic_text(lines[i].text), NAME, False))
        else:
            rest.append((i, j))
    if len(marks) < 2 or not rest:
        return marks  # titles with prose are questions only where titles structure the document
    # the prose under a title runs to the next boundary or title: its length by prefix sums,
    # its end by one pass from the end of the page
    before = [0]
    for ln in lines:
        before.append(before[-1] + len(fold(ln.text)))
    stop = [n] * (n + 1)
    for k in range(n - 1, -1, -1):
        stop[k] = k if k in boundaries or k in bare else stop[k + 1]
    for i, j in rest:
        end = j if j in boundaries else stop[j + 1]
        prose = before[end] - before[j]
        text = question_text(lines[i].text)
        if prose >= _MIN_PROSE and (is_question_like(text) or "问题" in text):
            marks.append(Mark(i, "question", text, NAME, True))
    return marks
