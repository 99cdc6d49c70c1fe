"""Markdown table rows that pair a question with its answer: `| 什么是BN？ | 批量归一化… |`.
The first cell must ask; the other cells are the answer. Header and delimiter rows are not."""
from __future__ import annotations

import re

from ..text import is_question_like
from .base import Mark, question_text
from .lines import Line

NAME = "table_row"
_DELIMITER = re.compile(r"^[\s|:\-]+$")


def cells(text: str) -> list[str]:
    return [c.strip() for c in text.strip().strip("|").split("|")]


def detect(lines: list[Line]) -> list[Mark]:
    marks = []
    for ln in lines:
        text = ln.text.strip()
        if ln.in_code or not text.startswith("|") or text.count("|") < 3 or _DELIMITER.match(text):
            continue
        row = cells(text)
        question, answer = question_text(row[0]), " ".join(c for c in row[1:] if c)
        if question and answer and is_question_like(question):
            marks.append(Mark(ln.index, "question", question, NAME, True, answer=answer, continues=False))
    return marks
