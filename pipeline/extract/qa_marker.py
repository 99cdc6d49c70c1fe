"""Labelled questions: `Q: …`, `Q1. …`, `Question 2.1: …`, `问：…`, `题目：…`, `【问题】…`, `Question: …`, a mock interview's
`Interviewer: …` / `面试官：…` turns, also in bold or in a list item
(numbered or not: a labelled follow-up in a numbered item is a question of its own).
The answer is what follows, with or without an `A:` / `答：` label. A question with no
label of its own is declared by the label of its answer: a plain paragraph that asks, right
above a line that opens with `答：` / `A:` (`…能和 ZeRO-3 一起用吗？` / `答：不建议…`)."""
from __future__ import annotations

import re

from ..text import TRUE_FALSE_LEAD, TRUE_FALSE_PROMPT, is_question_like, join_wrapped
from .base import OPENS_WITH_OPTION, Mark, label_below, opens_with_answer_label, question_text, split_inline_answer
from .lines import Line

NAME = "qa_marker"
# Possessive space runs (*+, ++): side by side, plain ones were tried in every split. The
# question grows a non-space at a time (with the spaces before it), so that the check for
# the closing marks does not scan the same run of spaces again at each character of it.
_QUESTION = re.compile(r"^\s*+(?:[-*+]\s++|\d{1,3}[.．、)]\s*+)?(?:\*\*|__)?\s*+"
                       r"(?:(?:Q(?:uestion)?\s*+(?:\d{1,3}(?:[.．]\d{1,3})*+)?|问题?\s*+\d{0,3}|题目\s*+\d{0,3}|(?P<turn>(?i:interviewer)|面试官|考官))\s*+(?:(?:\*\*|__)\s*+)?[:：.．]"
                       r"|[【\[]\s*+(?:问题?|Q)\s*+\d{0,3}\s*+[】\]]\s*+[:：]?)"
                       r"\s*+(?:(?:\*\*|__)\s*+)?(?P<q>(?:\s*+\S)+?)\s*+(?:(?:\*\*|__)\s*+)?$")


# a question's label alone on its line, its question the paragraph under it ("**Question 3**",
# "Q2:", "**第 3 题**")
_LABEL_ALONE = re.compile(r"^\s*+(?:\*\*|__)?\s*+(?:(?:Q|question|问题|题目)\s*+\d{0,3}|第\s*+\d{1,3}\s*+题)\s*+[:：.．]?"
                          r"\s*+(?:\*\*|__)?\s*+$", re.I)
_MAX_STATED = 6  # lines of the paragraph a label alone stands over


def _stated(lines: list[Line], k: int) -> list[Line]:
    """The paragraph under the label alone at `k`, blank lines between, when it is the question:
    plain text (no heading, code, list, label), up to `_MAX_STATED` lines; [] otherwise."""
    paragraph: list[Line] = []
    for ln in map(lines.__getitem__, range(k + 1, len(lines))):
        if ln.blank and not paragraph:
            continue
        if ln.blank:
            break
        if ln.heading or ln.in_code or ln.bullet or opens_with_answer_label(ln.text) or _LABEL_ALONE.match(ln.text):
            return paragraph
        paragraph.append(ln)
    return paragraph if len(paragraph) <= _MAX_STATED else []


def labels_question(text: str) -> bool:
    """Whether a line opens with a question's label ("**题目**：…", "Q3: …")."""
    return _QUESTION.match(text) is not None


# a list item that is a field of a record ("- **场景**：…" / "- **问题**：…" / "- **解决方案**：…")
_FIELD = re.compile(r"^\s*+[-*+]\s++(?:\*\*|__)[^*_:：\n]{1,12}(?:\*\*|__)\s*+[:：]")


def _in_record(lines: list[Line], k: int) -> bool:
    """Whether the list item at `k` is a field of a record: a sibling item next to it, the one
    before or the one after, is a labelled field that asks nothing (`- **问题**: …` over
    `- **方法**: …`): its `问题：` names the problem of a case, not a question to study."""
    ln = lines[k]
    for order in (range(k - 1, -1, -1), range(k + 1, len(lines))):
        for before in map(lines.__getitem__, order):  # no copy of the page per item
            if before.blank:
                continue
            if before.indent < ln.indent or not before.bullet:
                break
            if before.indent == ln.indent:
                if _FIELD.match(before.text) and not _QUESTION.match(before.text):
                    return True
                break
    return False


_WORD = re.compile(r"\w")


def _poses(text: str) -> bool:
    """Whether the paragraph under a question's label poses a question: it asks, or it is a
    statement to judge ("True or false: …", "… (T/F)")."""
    return is_question_like(text) or bool(TRUE_FALSE_LEAD.match(text) or TRUE_FALSE_PROMPT.search(text))


def detect(lines: list[Line]) -> list[Mark]:
    marks = []
    for k, ln in enumerate(lines):
        if ln.blank or ln.heading or ln.in_code:
            continue
        if _LABEL_ALONE.match(ln.text) and (stated := _stated(lines, k)) and _poses(question_text(stated[-1].text)):
            # (over a paragraph that asks nothing it names a problem, "**问题**" / "训练时显存不够。", or
            # labels the answer to question 1 further down, "**问题 1：**" / "早期参数随机，…"; a
            # statement to judge, "True or false: …", poses one)
            marks.append(Mark(ln.index, "question", "\n".join(question_text(s.text) for s in stated), NAME, True,
                              span=stated[-1].index - ln.index + 1))
            continue
        m = _QUESTION.match(ln.text)
        if m is None and (declared := _declared_by_answer(lines, k)) is not None:
            marks.append(declared)
            continue
        if not m or not _WORD.search(m.group("q")) or (ln.bullet and _in_record(lines, k)):
            continue  # (a label over no word, "Question: ...", is a template's placeholder)
        question, answer = split_inline_answer(m.group("q"))  # "Q: …? A: …" on one line
        if m.group("turn") and not is_question_like(question_text(question)):
            continue  # "面试官：一位算法组的负责人" introduces someone; a turn that asks is a question
        more = _bold_continued(lines, k)
        if more:
            question = join_wrapped([question.rstrip()] + [ln.text for ln in more])
        marks.append(Mark(ln.index, "question", question_text(question) or question.strip("*_ "), NAME, True,
                          answer=answer, span=1 + len(more)))
    return marks


_MAX_PREMISE = 3  # lines above its asking line that a declared question's paragraph may hold


def _plain(ln: Line) -> bool:
    return not (ln.blank or ln.heading or ln.in_code or ln.bullet or ln.numbering or ln.quote or ln.link_only)


def _declared_by_answer(lines: list[Line], k: int) -> Mark | None:
    """The question whose answer's label declares it: the plain paragraph ending at line `k`
    (its premise lines above the asking one included, up to `_MAX_PREMISE`) when `k` asks and
    the next line with content opens with an answer label; None otherwise."""
    ln = lines[k]
    # (an option or a problem's lettered part, "b. What does it solve?", shares the label below
    # with the question or parts around it)
    if not _plain(ln) or opens_with_answer_label(ln.text) or OPENS_WITH_OPTION.match(ln.text):
        return None
    below = label_below(lines, k + 1)  # (before the costly test of the question's words)
    if below is None or below.indent > ln.indent or not is_question_like(question_text(ln.text)):
        return None
    first = k
    while first > 0 and k - first < _MAX_PREMISE and _plain(lines[first - 1]) and not opens_with_answer_label(lines[first - 1].text):
        first -= 1
    if first > 0 and not lines[first - 1].blank and not lines[first - 1].heading:
        return None  # more of a paragraph than a premise: the text it closes asks on its own way
    if any(x.introduces for x in lines[first:k + 1]):
        return None  # a list of questions under its label ("**Questions:**" / "a) …?"): one problem's parts
    return Mark(lines[first].index, "question", join_wrapped([question_text(x.text) for x in lines[first:k + 1]]),
                NAME, True, span=k - first + 1)


_MAX_BOLD_LINES = 4  # lines a bold question may run on over


def _bold_continued(lines: list[Line], k: int) -> list[Line]:
    """The lines a question's bold runs on over when its line opens the bold and does not close
    it ("**Q1. Suppose … words." / "Which of the following …?**"): up to the line that closes it,
    with no blank line between; [] when the bold closes on the question's line."""
    if lines[k].text.count("**") % 2 == 0:
        return []
    more: list[Line] = []
    for ln in lines[k + 1:k + 1 + _MAX_BOLD_LINES]:
        if ln.blank or ln.heading or ln.in_code:
            return []
        more.append(ln)
        if ln.text.count("**") % 2:
            return more if ln.text.rstrip().endswith("**") else []
    return []
