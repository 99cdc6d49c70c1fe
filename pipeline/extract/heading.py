"""Markdown headings (and HTML <h1>–<h6>, rendered as Markdown) as questions.

A heading that asks something is a question. A heading that does not ask is still a
question when most of its siblings (same level, same parent) ask and it carries no
section number: "### 数据不平衡的解决方法" among "### …？" headings. Other headings
are topics, except those nested inside a question, which are part of its answer
("##### 优点" under "#### …有什么优点？")."""
from __future__ import annotations

import re

from ..text import fold, is_question_like
from .base import Mark, question_text, topic_text
from .lines import Line

NAME = "heading"
_NOT_QUESTION = re.compile(r"^(参考|参考资料|参考文献|参考链接|references?|总结|小结|目录|contents|前言|附录|"
                           r"说明|注意|备注|answer|答案|解析|示例|例子|代码|code)$", re.I)
_FRAGMENT = 6  # a nested question this short ("如何解决？") leans on its parent


def _asks(line: Line) -> bool:
    text = question_text(line.body)
    return is_question_like(text) and not _NOT_QUESTION.match(fold(text))


def detect(lines: list[Line]) -> list[Mark]:
    heads = [ln for ln in lines if ln.heading and question_text(ln.body)]
    if not heads:
        return []
    parent: dict[int, int] = {}
    stack: list[Line] = []
    for ln in heads:
        while stack and stack[-1].heading >= ln.heading:
            stack.pop()
        parent[ln.index] = stack[-1].index if stack else -1
        stack.append(ln)
    groups: dict[tuple[int, int], list[Line]] = {}
    for ln in heads:
        groups.setdefault((parent[ln.index], ln.heading), []).append(ln)
    asks = {ln.index: _asks(ln) for ln in heads}

    def by_siblings(ln: Line) -> bool:
        group = groups[(parent[ln.index], ln.heading)]
        asking = sum(asks[g.index] for g in group)
        text = question_text(ln.body)
        # a section number (3.1) marks a title; a question number (Q3:, 问题3：) marks a question
        numbered_section = ln.numbering is not None and ln.numbering.style != "question_no"
        return (len(group) >= 3 and asking >= 0.6 * len(group) and not numbered_section
                and not _NOT_QUESTION.match(fold(text)))

    marks: list[Mark] = []
    open_question = 0  # level of the question heading whose answer we are in, or 0
    for ln in heads:
        label = ln.body.rstrip("*_ ").endswith((":", "：")) and not asks[ln.index]
        if open_question and label:
            continue  # "### Prefix Decoder：" under a question is a part of its answer
        if open_question and ln.heading > open_question:
            short = len(fold(question_text(ln.body))) <= _FRAGMENT
            if asks[ln.index] and not short:
                marks.append(Mark(ln.index, "question", question_text(ln.body), NAME, True, level=ln.heading))
                open_question = ln.heading
            continue  # a sub-heading inside the answer
        if asks[ln.index] or by_siblings(ln):
            marks.append(Mark(ln.index, "question", question_text(ln.body), NAME, asks[ln.index], level=ln.heading))
            open_question = ln.heading
        else:
            marks.append(Mark(ln.index, "topic", topic_text(ln.body), NAME, False, level=ln.heading))
            open_question = 0
    return marks
