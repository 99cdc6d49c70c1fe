"""A line that is bold as a whole and asks something: `**为什么要做归一化？**`."""
from __future__ import annotations

from ..text import is_question_like
from .base import Mark, question_text
from .lines import Line

NAME = "bold"


def _labels(lines: list[Line]) -> list[Line]:
    return [ln for ln in lines if ln.bold and not ln.heading and ln.indent <= 1]


def detect(lines: list[Line]) -> list[Mark]:
    return [Mark(ln.index, "question", question_text(ln.bold), NAME, True)
            for ln in _labels(lines) if is_question_like(question_text(ln.bold))]


def asking_share(lines: list[Line]) -> float:
    """The share of a container's bold labels that ask (1.0 when it has none): under a
    heading question, "**有向图**", "**图的优点**", "**如何用于深度学习**" are the sub-titles of
    its answer, not a list of questions."""
    labels = _labels(lines)
    return sum(is_question_like(question_text(ln.bold)) for ln in labels) / len(labels) if labels else 1.0
