"""List items that hold a prompt and its answer: `- 为什么要有BN: 1. …`.

The prompt ends at the first colon or question mark outside links and math; the answer
may run on over the next lines and paragraphs. An item with no separator is a prompt
whose answer is missing (`- 反向传播推导 <手推>`). The prompts are the items at the
list depths where most items ask; the other items belong to answers or are sections."""
from __future__ import annotations

import re

from ..text import EN_ASK, asks_outright, ends_with_question_mark, is_question_like, join_wrapped, link_free
from .base import TASK_BOX, Mark, bracketed_answer, opens_with_answer_label, question_text, wrapped_lines
from .lines import Line, next_content

NAME = "bullet"
_MAX_PROMPT = 50
_MAX_QUESTION = 200
_MAX_PART = 30  # characters of a second question without its mark ("…的位置编码?有什么意义和优缺点")
_MIN_STATED_ANSWER = 10  # characters after a prompt that does not ask
# links (a link stops at "["), math, code and titles in 《》 or quotes: no separator inside them
_PROTECTED = re.compile(r"<?https?://\S+|\$[^$]*\$|`[^`]*`|\[[^\[\]]*+\]\([^)\[]*+\)|《[^《》\n]*+》|“[^“”\n]*+”")
_SEPARATOR = re.compile(r"[:：?？]")


def split_prompt(body: str) -> tuple[str, str, str] | None:
    """(prompt, separator, answer), or None when the item is prose rather than a prompt."""
    masked = _PROTECTED.sub(lambda m: "\0" * len(m.group(0)), body)
    m = _SEPARATOR.search(masked)
    if m is None:
        prompt = link_free(body).strip()
        # a long item is a prompt only when it opens by asking ("Give a simple introduction to …"),
        # not when an asking word stands inside its prose ("…最大的区别在于…")
        opens = asks_outright(prompt) or bool(EN_ASK.match(prompt))
        return (body, "", "") if 0 < len(prompt) <= (_MAX_QUESTION if opens else _MAX_PROMPT) else None
    if (bracketed := bracketed_answer(body)) is not None and m.start() < bracketed[0]:
        # "- …多大？（答：几万）", "- 为什么…？直接…不好吗？（答：…）", "- "…多大？" → 几万": all before the
        # labelled answer asks
        asked = body[:bracketed[0]].strip()
        if len(asked) > 2 and asked[0] in "\"“「『" and asked[-1] in "\"”」』":
            asked = asked[1:-1].strip()  # a question in quotes: '"…显存？" → 64MB'
        return (asked[:-1], asked[-1], bracketed[1]) if len(asked) <= _MAX_QUESTION else None
    prompt, separator, answer = body[:m.start()].strip(), m.group(0), body[m.end():].strip()
    if separator in "?？" and answer and (ends_with_question_mark(body) or (is_question_like(answer)
                                                                         and len(answer) <= _MAX_PART)):
        # a question in parts ("…为何选择点乘而不是加法?两者有什么区别?"), or with a short aside after
        # its mark ("…？（以 elmo 为例）", as a heading's is): the item asks to its end
        prompt, separator, answer = body.strip(), "", ""
    # an item that is one question to its end is a prompt however long ("Why are most modern
    # LLMs decoder-only architectures?"); a long text before a colon is prose
    whole = separator in "?？" and not answer
    if not prompt or len(prompt) > (_MAX_QUESTION if whole else _MAX_PROMPT):
        return None
    return prompt, separator, answer


_WHOLE_BOLD = re.compile(r"^(?:\[[ xX]\]\s*+)?(\*\*|__)(.+?)\1\s*+([:：]?)\s*+$")


def _continued(lines: list[Line], position: int, span: int = 1) -> bool:
    """Does the item at `position` hold more than its first `span` lines: continuation lines
    or paragraphs indented under its marker (after blank lines, as CommonMark allows)?"""
    marker = lines[position]
    for ln in lines[position + span:]:
        if ln.blank:
            continue
        return ln.indent > marker.indent and not (ln.bullet and ln.indent <= marker.indent + 1)
    return False


def _answer_labelled(lines: list[Line], position: int, span: int) -> bool:
    """Whether the first line under the item at `position` (after its `span` lines) is nested
    in it and opens with an answer label ("- **Scenario: …**" / "    - *A:* …"): the item is a
    prompt, worded as a question or not."""
    below = next_content(lines, position + span)
    return below is not None and below.indent > lines[position].indent and opens_with_answer_label(below.text)


def detect(lines: list[Line]) -> list[Mark]:
    items = [(k, ln) for k, ln in enumerate(lines) if ln.bullet and not ln.in_code]
    if not items:
        return []
    by_indent: dict[int, list[Mark]] = {}
    # items that are no prompt: too long, asking inside (True), or a label with little after it (False)
    others: dict[int, list[tuple[int, Line, bool]]] = {}
    for k, ln in items:
        # an item bold as a whole ("- **为什么…？**") is a prompt: a mark inside the bold splits nothing
        whole = _WHOLE_BOLD.match(ln.body)
        split = (whole.group(2), whole.group(3), "") if whole else split_prompt(ln.body)
        # a question an editor's hard wrap broke over lines is the item's whole paragraph
        more = wrapped_lines(lines, k)
        span = 1
        if more and ends_with_question_mark(joined := join_wrapped([ln.body] + [w.text for w in more])):
            whole, split, span = None, (joined, "", ""), 1 + len(more)
        if split is None:
            if len(ln.body) <= _MAX_QUESTION and is_question_like(link_free(ln.body)):
                others.setdefault(ln.indent, []).append((k, ln, True))
            continue
        prompt, sep, answer = split
        text = question_text(prompt + (sep if sep in "?？" else ""))
        if not link_free(text).strip():
            continue
        # a checklist item bold as a whole with its answer indented under it ("- [x] **求正数平方根**")
        # is a prompt by its shape: the checkbox tracks it as a question
        asks = (is_question_like(text) or bool(whole and TASK_BOX.match(ln.body) and _continued(lines, k))
                or _answer_labelled(lines, k, span))
        if not asks and sep and len(answer) < _MIN_STATED_ANSWER:
            others.setdefault(ln.indent, []).append((k, ln, False))
            continue  # "- 方法一：序列标注" is a point of an answer, not a prompt
        by_indent.setdefault(ln.indent, []).append(
            Mark(ln.index, "question", question_text(link_free(text)) or text, NAME,
                 asks, answer=answer, continues=bool(sep) or _continued(lines, k, span), span=span))
    if not by_indent:
        return []
    # prompts sit at the depths of the list where most items ask; the others are sections or points
    best = max(sum(m.asks for m in marks) for marks in by_indent.values())
    position = {ln.index: k for k, ln in items}
    chosen = {indent: marks for indent, marks in by_indent.items()
              if sum(m.asks for m in marks) >= max(2, len(marks) / 2) or sum(m.asks for m in marks) == best}
    for indent, marks in chosen.items():
        # where the prompts hold their answers nested under them, an item at their depth is no line
        # of the answer above it, which is nested: one that asks inside is a prompt however long
        # ("- 画一下…的示意图，…为什么…。" after "- …？" / "  - …"), a label ends that answer ("- 数学问题：")
        if others.get(indent) and 2 * sum(_continued(lines, position[m.index]) for m in marks) > len(marks):
            marks += [Mark(ln.index, "question", question_text(link_free(ln.body)), NAME, True, continues=_continued(lines, k))
                      if asks else Mark(ln.index, "boundary", "", NAME, False) for k, ln, asks in others.get(indent, [])]
    return sorted((m for marks in chosen.values() for m in marks), key=lambda m: m.index)
