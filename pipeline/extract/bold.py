"""A line that is bold as a whole and asks something: `**为什么要做归一化？**`."""
from __future__ import annotations

from ..text import is_question_like
from .base import Mark, question_text
from .lines import Line

NAME = "bold"


def detect(lines: list[Line]) -> list[Mark]:
    return [Mark(ln.index, "question", question_text(ln.bold), NAME, True)
            for ln in lines
            if ln.bold and not ln.heading and ln.indent <= 1 and is_question_like(question_text(ln.bold))]
