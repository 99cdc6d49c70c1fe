"""A blockquote of one line over unquoted text: the quote is the prompt, the text its answer
(`> 怎么解决过拟合问题` / `过拟合指的是…`). A quote that is a sentence (`> 注：……。`), a
citation or only links is no prompt."""
from __future__ import annotations

from ..text import PROSE_END, is_question_like, names_aspect
from .base import Mark, question_text
from .lines import Line, next_content

NAME = "quote_title"
_MAX_PROMPT = 60  # characters: a longer quoted line is a passage


def _prompt(lines: list[Line], k: int) -> bool:
    """Whether line `k` is a one-line quote (no quoted line right above or below it) with
    unquoted text after it, blank lines aside."""
    ln = lines[k]
    if ln.quote != 1 or ln.blank or ln.heading or ln.in_code or ln.link_only:
        return False
    if (k and lines[k - 1].quote) or (k + 1 < len(lines) and lines[k + 1].quote):
        return False
    after = next_content(lines, k + 1)
    text = question_text(ln.text)
    return (after is not None and not after.quote and not after.heading and 0 < len(text) <= _MAX_PROMPT
            and not PROSE_END.search(text) and not text.startswith("《"))


def detect(lines: list[Line]) -> list[Mark]:
    """The one-line quotes over text (see `_prompt`), two or more; each asks by its words or by
    naming an aspect of a subject (`> 反向传播过程` does not, `> BN的作用` does)."""
    prompts = [(ln.index, question_text(ln.text)) for k, ln in enumerate(lines) if _prompt(lines, k)]
    marks = [Mark(i, "question", text, NAME, is_question_like(text) or names_aspect(text)) for i, text in prompts]
    return marks if len(marks) >= 2 else []
