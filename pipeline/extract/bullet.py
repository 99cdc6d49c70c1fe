"""Top-level list items that hold a prompt and its answer: `- 为什么要有BN: 1. …`.

The prompt ends at the first colon or question mark outside links and math; the answer
may run on over the next lines and paragraphs. An item with no separator is a prompt
whose answer is missing (`- 反向传播推导 <手推>`)."""
from __future__ import annotations

import re

from ..text import is_question_like, link_free
from .base import Mark, question_text
from .lines import Line

NAME = "bullet"
_MAX_PROMPT = 50
_PROTECTED = re.compile(r"<?https?://\S+|\$[^$]*\$|`[^`]*`|\[[^\]]*\]\([^)]*\)")
_SEPARATOR = re.compile(r"[:：?？]")


def split_prompt(body: str) -> tuple[str, str, str] | None:
    """(prompt, separator, answer), or None when the item is prose rather than a prompt."""
    masked = _PROTECTED.sub(lambda m: "\0" * len(m.group(0)), body)
    m = _SEPARATOR.search(masked)
    if m is None:
        prompt = link_free(body).strip()
        return (body, "", "") if 0 < len(prompt) <= _MAX_PROMPT else None
    prompt, answer = body[:m.start()].strip(), body[m.end():].strip()
    if not prompt or len(prompt) > _MAX_PROMPT:
        return None
    return prompt, m.group(0), answer


def detect(lines: list[Line]) -> list[Mark]:
    items = [ln for ln in lines if ln.bullet and not ln.in_code]
    if not items:
        return []
    top = min(ln.indent for ln in items)
    marks = []
    for ln in items:
        if ln.indent != top:
            continue
        split = split_prompt(ln.body)
        if split is None:
            continue
        prompt, sep, answer = split
        text = question_text(prompt + (sep if sep in "?？" else ""))
        if not link_free(text).strip():
            continue
        marks.append(Mark(ln.index, "question", question_text(link_free(text)) or text, NAME,
                          is_question_like(text), answer=answer, continues=bool(sep)))
    return marks
