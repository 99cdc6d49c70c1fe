"""Markdown table rows that pair a question with its answer: `| 什么是BN？ | 批量归一化… |`.
The question column is the one whose cells ask in most rows of the table (a number or a
category may stand before it: `| 3 | 什么是BN？ | … |`); the cells after it are the answer.
Header and delimiter rows are not questions."""
from __future__ import annotations

import re

from ..text import is_question_like
from .base import Mark, answer_label_alone, question_text
from .lines import Line

NAME = "table_row"
_DELIMITER = re.compile(r"^[\s|:\-]+$")


def cells(text: str) -> list[str]:
    return [c.strip() for c in text.strip().strip("|").split("|")]


def _question_column(rows: list[list[str]]) -> int:
    """The column whose cells ask in most of `rows` (the leftmost on a tie)."""
    width = max(map(len, rows))
    asking = [sum(1 for row in rows if k < len(row) and is_question_like(question_text(row[k]))) for k in range(width)]
    return asking.index(max(asking))


def _answer(values: list[str], names: list[str]) -> str:
    """The cells after the question as its answer; two or more of them under a header, each
    named by its column ("| 会有死神经元吗？ | 会 | 不会 |" under "| | ReLU | Leaky ReLU |": "- ReLU: 会",
    "- Leaky ReLU: 不会"): alone, the values would not say which is which; unless the first of
    those columns is the answer's ("| Question | Answer | Note |"): then a paragraph each."""
    named = [(name, value) for name, value in zip(names, values, strict=False) if value]
    # (under "| Question | Answer | Note |" the columns are an answer and more of it, not values side by side)
    if len(named) >= 2 and all(name for name, _ in named) and not answer_label_alone(f"{names[0]}:"):
        return "\n".join(f"- {name}: {value}" for name, value in named)
    return "\n\n".join(value for value in values if value)


def detect(lines: list[Line]) -> list[Mark]:
    tables: list[list[Line]] = []
    for k, ln in enumerate(lines):
        text = ln.text.strip()
        if ln.in_code or not text.startswith("|") or text.count("|") < 3:
            continue
        if tables and k and lines[k - 1] is tables[-1][-1]:
            tables[-1].append(ln)
        else:
            tables.append([ln])
    marks = []
    for table in tables:
        # (the row above the delimiter row is the header: it names the columns, it asks nothing)
        header = {a.index for a, b in zip(table, table[1:], strict=False) if _DELIMITER.match(b.text.strip())}
        rows = [(ln, cells(ln.text)) for ln in table if not _DELIMITER.match(ln.text.strip()) and ln.index not in header]
        if not rows:
            continue
        column = _question_column([row for _, row in rows])
        names = cells(next(ln.text for ln in table if ln.index in header)) if header else []
        for ln, row in rows:
            if column >= len(row):
                continue
            question, answer = question_text(row[column]), _answer(row[column + 1:], names[column + 1:])
            if question and answer and is_question_like(question):
                marks.append(Mark(ln.index, "question", question, NAME, True, answer=answer, continues=False))
    return marks
