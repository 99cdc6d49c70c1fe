"""Answers given after their questions, by number: a list of numbered questions left
unanswered ("1. …？", "2. …？"), then their answers further down, each under a label that
only carries the question's number ("**问题 1：**", "Answer 2:") or as the numbered items of
an answer section ("参考答案：" / "1. …" / "2. …", or "- **题1：** …"). Each such label or item becomes an answer
mark aimed at the question of its number: the nearest one above it that has no answer of
its own.

An exam's worked solutions do the same by letter (`parts`): a problem states its premise and
its lettered parts ("**a)** Perform forward propagation.", "**b)** …"), then solves them under
headings that name each part ("#### Part (a): Forward Propagation"). Each part becomes a
question whose front carries the premise, answered under its heading."""
from __future__ import annotations

import re

from ..text import LEAD_IN
from .base import Mark, question_text
from .lines import Line

NAME = "deferred"
# a label with a question's number and nothing else ("**问题 1：**", "Q2.", "答案 3：")
_NUMBER_LABEL = re.compile(r"^\s*+(?:[-*+]\s++)?(?:\*\*|__)?\s*+(?:问题|题目|答案|解答|question|answer|q|a)\s*+(\d{1,3})"
                           r"\s*+(?:\*\*|__)?\s*+[:：.．]?\s*+(?:\*\*|__)?\s*+$", re.I)
# under an answers label, an item that names its question's number before its answer
# ("- **题1：** 先构造评测集…", "第 2 题：…")
_NUMBERED_ANSWER = re.compile(r"^\s*+(?:[-*+]\s++)?(?:\*\*|__)?\s*+(?:问题|题目|题|第)\s*+(\d{1,3})\s*+题?\s*+(?:\*\*|__)?\s*+[:：]"
                              r"\s*+(?:\*\*|__)?\s*+(?P<answer>\S.*)$")
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
        named = _NUMBERED_ANSWER.match(ln.text) if in_answers and not label and not ln.in_code else None
        item = in_answers and ln.numbering is not None and ln.index not in position and not ln.in_code
        if item and depth is None:
            depth = ln.indent
        number = (int(label.group(1)) if label else int(named.group(1)) if named
                  else ln.numbering.numbers[-1] if item and ln.indent == depth else 0)
        q = waiting.get(number)
        if q is not None and q.index not in taken:
            taken.add(q.index)
            answer = "" if label else named.group("answer") if named else ln.numbering.rest
            found.append(Mark(ln.index, "answer", "", NAME, False, target=q.index, answer=answer))
    return found


# a lettered part of a problem, its letter in bold: "**a)** …", "**(b)** …", "**c.** …" (lower case: capitals
# letter options; plain "a) …" lines are left to the option and outline readers)
_PART = re.compile(r"^\s*+(?:[-*+]\s++)?(?:\*\*|__)\s*+[(（]?([a-h])[)）.．]\s*+(?:\*\*|__)\s++(\S.*)$")
# a heading that names the part it solves: "Part (a): …", "(b) …", "c) …"
_PART_HEADING = re.compile(r"^(?:part\s*+[(（]?([a-h])[)）]?|[(（]([a-h])[)）]|([a-h])[)）])(?:\s*+[:：.．\-–—]|\s|$)", re.I)
_MAX_PREMISE = 60  # lines of a problem statement that its parts' fronts carry


def _letter(text: str) -> str:
    m = _PART_HEADING.match(question_text(text).strip())
    return next(g for g in m.groups() if g).lower() if m else ""


def parts(lines: list[Line]) -> tuple[list[Mark], list[Mark]]:
    """(question marks, answer marks) of the lettered parts of problems solved under headings
    that name them: every part of a run (a, b, c … in order) must have its heading further down,
    before the next run of parts; [] and [] otherwise. A part's front is the problem statement
    above it (from the heading over the problem, at most `_MAX_PREMISE` lines) and the part."""
    questions: list[Mark] = []
    answers: list[Mark] = []
    run: list[Line] = []  # the parts of the current problem, a, b, c …
    solved: dict[str, Line] = {}  # letter -> the heading that solves that part

    def close() -> None:
        if len(run) >= 2 and all(_PART.match(p.text).group(1) in solved for p in run):
            premise = _premise(lines, run[0])
            for part in run:
                letter, text = _PART.match(part.text).groups()
                text = question_text(text)
                front = f"{premise}\n\n{text}" if premise else text
                questions.append(Mark(part.index, "question", front, NAME, True))
                answers.append(Mark(solved[letter].index, "answer", "", NAME, False, target=part.index))
        run.clear()
        solved.clear()

    for ln in lines:
        if ln.in_code:
            continue
        m = _PART.match(ln.text) if not ln.heading else None
        if m is not None and not solved:
            expected = chr(ord("a") + len(run))
            if m.group(1) == expected:
                run.append(ln)
                continue
            if m.group(1) == "a":
                close()
                run.append(ln)
            continue
        if m is not None and m.group(1) == "a":
            close()
            run.append(ln)
            continue
        if ln.heading and run and (letter := _letter(ln.body)) and letter not in solved:
            solved[letter] = ln
    close()
    return questions, answers


def premise_lines(lines: list[Line], first: Line) -> list[Line]:
    """The problem statement above its first part `first`: the lines from the nearest heading
    above it, at most `_MAX_PREMISE`; the cards of its parts show them on their fronts."""
    position = next(k for k, ln in enumerate(lines) if ln.index == first.index)
    start = position
    while start > 0 and not lines[start - 1].heading and position - start < _MAX_PREMISE:
        start -= 1
    return lines[start:position]


def _premise(lines: list[Line], first: Line) -> str:
    """`premise_lines` as Markdown."""
    return "\n".join(ln.source.rstrip() for ln in premise_lines(lines, first)).strip("\n")


def shown_premises(lines: list[Line], marks: list[Mark]) -> set[int]:
    """The line indices of the problem statements that the fronts of `marks`' lettered parts
    show (see `parts`): no text left out of every card."""
    at = {ln.index: ln for ln in lines}
    shown: set[int] = set()
    for m in marks:
        part = _PART.match(at[m.index].text) if m.layout == NAME and m.role == "question" else None
        if part is not None and part.group(1) == "a":
            shown.update(ln.index for ln in premise_lines(lines, at[m.index]))
    return shown
