"""Numbered question lines: `16. …`, `3、…`, `6.1 …`, `6.6.1 …`, `(2) …`.

A numbered line that asks something is a question. One that does not ask ("24、深度学习常用方法。")
is a question too when it belongs to a numbering run (1, 2, 3 … at one depth) most of whose
lines ask. Questions are numbered in one style; other styles number points inside answers.
Numbered lines that are titles ("4.1 神经元", "2. 梯度消失/爆炸") open topics, but only in a
numbering style that already appears before the first question: a style first seen
inside an answer ("一、…的目的" under "16. …") is the answer's own outline. Under a quiz
section label (`二、判断题`, `三、填空题`) every numbered statement is a question."""
from __future__ import annotations

import re
import textwrap
import unicodedata
from dataclasses import replace

from ..text import (OPTION_LETTERS, TRUE_FALSE_WORD, blank_marks, ends_with_question_mark, introduces, join_wrapped,
                    is_question_like, is_section_title, quiz_section)
from .base import ASKING_SHARE, EXPLANATION_LABEL, Mark, bracketed_key, opens_with_answer_label, question_text, split_inline_answer, topic_text, wrapped_lines
from .lines import Line, next_content, parse_numbering

NAME = "numbered"
_MAX_QUESTION = 600  # characters: quiz questions with their premises can be long


def _candidate(ln: Line) -> bool:
    return (ln.numbering is not None and not ln.heading and not ln.bullet and not ln.in_code
            and len(ln.numbering.rest) <= _MAX_QUESTION)


def _asks(ln: Line) -> bool:
    """Whether a numbered line asks: by its words (not a lead-in ending in a colon), by a
    blank to fill ("…最后剩下的数是__"), or by the true/false key that judges it ("…为 0。（√）")."""
    question, _ = split_inline_answer(ln.text)
    text = question_text(question)
    return ((is_question_like(text) and not introduces(ln.numbering.rest)) or bool(blank_marks(question))
            or bracketed_key(ln.text) is not None)


# the statements of these sections ask to be judged or filled in, with or without a question mark
_STATEMENT_SECTIONS = {"判断题", "填空题"}


def _quiz_items(numbered: list[Line], lines: list[Line]) -> set[int]:
    """The numbered lines under a quiz section label, numbered (`二、判断题`, up to the next label
    of its style) or a heading (`## 判断题`, up to the next heading at its level or above)."""
    items: set[int] = set()
    style = None
    level = 0  # the level of the heading that opened the section, or 0
    at = {ln.index: ln for ln in numbered}
    for line in lines:
        if line.heading:
            if quiz_section(line.body) in _STATEMENT_SECTIONS:
                style, level = None, line.heading
            elif level and line.heading <= level:
                level = 0
            continue
        ln = at.get(line.index)
        if ln is None:
            continue
        if quiz_section(ln.numbering.rest) in _STATEMENT_SECTIONS:
            style, level = ln.numbering.style, 0
        elif style is not None and ln.numbering.style == style:
            style = None
        elif style is not None or level:
            items.add(ln.index)
    return items


_AUTO_RUN = 3  # "1." items in a row that number a list by Markdown's auto-numbering
_PROMPT_LENGTH = 40  # characters an item of a list of prompts has on average, at most
_MAX_STEM = 4  # premise lines a numbered question may hold before its asking line
_MAX_STEM_CODE = 30  # … and lines of code it shows
_STATEMENT_END = re.compile(r"[。．.!！；;:：]\s*+$")


def _stem(lines: list[Line], position: int) -> list[Line]:
    """The numbered line and the premise lines that follow it up to an asking line
    ("5. 考虑一个二分类问题。" / "正负样本比为 1:99。" / "以下哪种指标最合适？"), or [] when the
    paragraph does not end in a question. A code block the item shows ("4、看下面的代码" / code /
    "请问 c 的维度是多少？") is premise too, and so are the blank lines around it; past a blank
    line otherwise, only a quote that holds the item goes on with it (`> 4、…` / blank / `> …？`)."""
    first = lines[position]
    stem, texts, code, after_blank, after_code = [first], 0, 0, False, False
    for at in range(position + 1, len(lines)):  # (no copy of the rest of the page per item)
        ln = lines[at]
        if ln.blank:
            after_blank = True
            continue
        if ln.in_code:
            code += 1
            if code > _MAX_STEM_CODE:
                return []
            stem.append(ln)
            after_blank, after_code = False, True
            continue
        if after_blank and not after_code and not (first.quote and ln.quote):
            return []
        if ln.heading or ln.bullet or ln.numbering or ln.bold or texts == _MAX_STEM:
            return []
        if split_inline_answer(ln.text)[1] or opens_with_answer_label(ln.text):
            return []
        if not code and not _STATEMENT_END.search(first.text):
            return []  # a title over text ("5、模型评估" / …), not a premise
        stem.append(ln)
        texts += 1
        after_blank = after_code = False
        if is_question_like(question_text(ln.text)) and ends_with_question_mark(ln.text):
            return stem
    return []


def _premise(stem: list[Line]) -> list[str]:
    """A stem's lines after its numbered one, as the front shows them: text lines trimmed, a
    code block fenced (an indented block trimmed would read as prose; a fenced one keeps its
    fences), and a blank line where the source had one."""
    out: list[str] = []
    code: list[str] = []
    lines = stem[1:]
    for k, ln in enumerate(lines):
        gap = ln.index - stem[k].index - 1  # blank lines skipped before this one
        if code and ln.in_code:
            code += [""] * gap
        elif gap or (ln.in_code and out[-1:] != [""]):  # (a fence after a paragraph reads better set apart)
            out.append("")
        if ln.in_code:
            code.append(ln.text.rstrip())
        else:
            out.append(ln.text.strip())
        if code and (k + 1 == len(lines) or not lines[k + 1].in_code):
            fenced = code[0].lstrip().startswith(("```", "~~~"))
            block = textwrap.dedent("\n".join(code))
            out.append(block if fenced else f"```\n{block}\n```")
            code = []
    return out


# a true/false key alone on its line under a statement: "**True**", "错", "√"
_TRUE_FALSE_KEY = re.compile(rf"^\s*+(?:\*\*|__)?\s*+(?:{TRUE_FALSE_WORD})\s*+(?:\*\*|__)?\s*+$")


def _answer_labelled(numbered: list[Line], lines: list[Line], position: dict[int, int],
                     asks: dict[int, bool]) -> dict[int, list[Line]]:
    """The items whose first line under them, nested in the item or at its margin, labels an
    answer ("1. 实现一个批次函数。" / "   - 参考答案：…") or is a true/false key ("**True**"): they ask,
    worded so or not (an explanation label, "   * **解析：**", follows a key: "1. **B. Adam**" is no
    question). So does a title that does not ask whose paragraph states the problem, the label
    after it ("1) Pooling" / "Input 16×16, 2×2 max pool. Output size?" / "Solution: 8×8."): that
    paragraph (at most `_MAX_STEM` lines, no options) is its stem. Item index -> its stem lines
    after the numbered line."""
    found: dict[int, list[Line]] = {}
    for ln in numbered:
        start = end = position[ln.index] + 1  # (positions, not a slice of the rest of the page per item)
        while end < len(lines) and not ((b := lines[end]).blank or b.numbering is not None or b.bullet or b.heading
                                        or b.in_code or _labels(b)):
            end += 1
        paragraph = lines[start:end]
        if paragraph and (asks[ln.index] or ln.indent or len(paragraph) > _MAX_STEM
                          or any(_OPTION.match(b.text) for b in paragraph)):
            continue
        below = next_content(lines, end)
        if (below is not None and not below.in_code and not below.heading and below.indent >= ln.indent
                and below.numbering is None and (_TRUE_FALSE_KEY.match(below.text) or _labels(below))):
            found[ln.index] = paragraph
    return found


def _labels(ln: Line) -> bool:
    """Whether a line opens with an answer's label (not an explanation's)."""
    return opens_with_answer_label(ln.text) and not EXPLANATION_LABEL.match(ln.text)


_MAX_OPTION = 100  # characters of an option line: longer lettered lines are the points of an answer
_SENTENCE_END = re.compile(r"[。．.？?！!：:）)]\s*+(?:\*\*|__)?\s*+$")  # a stem is a sentence
# an option line under a quiz item: "A. …", "**B. …**", "(c) …"
_OPTION = re.compile(rf"^\s*+(?:[-*+]\s++)?(?:\*\*|__)?\s*+[(（]?([{OPTION_LETTERS}])(?:[.．、)）]|\s*+[:：])\s*+\S")


def _offering_options(numbered: list[Line], lines: list[Line], position: dict[int, int]) -> list[int]:
    """The items with a block of three or more short options lettered A, B, C … under them (one
    after another, blank lines aside), before the next numbered line: a quiz question, worded as a question or not
    ("…, then the input should be ___. Choose one."). Lettered parts with text between them
    ("a. …？" / its answer / "b. …？"), or under a title that is no sentence ("2. 位置编码"), are no
    options."""
    found = []
    for ln in numbered:
        if not _SENTENCE_END.search(ln.numbering.rest):
            continue  # a title over lettered points ("2. 位置编码" / "a. …" / "b. …"): an outline
        letters: list[str] = []
        for below in map(lines.__getitem__, range(position[ln.index] + 1, len(lines))):
            if below.numbering is not None or below.heading:
                break
            if (m := _OPTION.match(below.text)) is not None and len(below.text.strip()) <= _MAX_OPTION:
                letters.append(unicodedata.normalize("NFKC", m.group(1)).upper())
            elif letters and not below.blank:
                break  # text after an option: the block ends (or it was a lettered part)
        if letters[:3] == ["A", "B", "C"]:
            found.append(ln.index)
    return found


def _unwrapped(item: Line, more: list[Line]) -> Line:
    text = join_wrapped([item.text] + [ln.text for ln in more])
    return replace(item, text=text, numbering=parse_numbering(text))


def detect(lines: list[Line]) -> list[Mark]:
    position = {ln.index: k for k, ln in enumerate(lines)}
    numbered = [ln for ln in lines if _candidate(ln)]
    wraps = {ln.index: more for ln in numbered if (more := wrapped_lines(lines, position[ln.index]))}
    # a wrapped item reads as its whole paragraph, on one line
    numbered = [_unwrapped(ln, wraps[ln.index]) if ln.index in wraps else ln for ln in numbered]
    asks = {ln.index: _asks(ln) for ln in numbered}
    asks.update(dict.fromkeys(_quiz_items(numbered, lines), True))
    stems = {ln.index: stem for ln in numbered if not asks[ln.index] and (stem := _stem(lines, position[ln.index]))}
    asks.update({i: True for i in stems})
    at = {ln.index: ln for ln in numbered}
    labelled = _answer_labelled(numbered, lines, position, asks)
    asks.update(dict.fromkeys(labelled, True))
    stems.update({i: [at[i], *paragraph] for i, paragraph in labelled.items() if paragraph and i not in stems})
    asks.update(dict.fromkeys(_offering_options(numbered, lines, position), True))
    # questions are numbered in one style (at one or more depths); other styles number points in answers
    per_style: dict[str, int] = {}
    for ln in numbered:
        per_style[ln.numbering.style] = per_style.get(ln.numbering.style, 0) + asks[ln.index]
    if not per_style or max(per_style.values()) == 0:
        return []
    style = max(per_style, key=lambda s: per_style[s])
    # a depth is an indent inside a quote depth: the points numbered inside a quoted answer
    # ("1. **…？**" / "> 1. **剪枝**：…") are no run with the questions outside it
    per_depth: dict[tuple[int, int], list[Line]] = {}
    for ln in numbered:
        if ln.numbering.style == style:
            per_depth.setdefault((ln.indent, ln.quote), []).append(ln)
    best = max(sum(asks[ln.index] for ln in group) for group in per_depth.values())
    depths = {d for d, group in per_depth.items()
              if sum(asks[ln.index] for ln in group) >= max(2, len(group) / 2) or sum(asks[ln.index] for ln in group) == best}
    chosen = [ln for ln in numbered if ln.numbering.style == style and (ln.indent, ln.quote) in depths]
    marks = (_runs(chosen, asks, depths, lines, position) + _sub_questions(numbered, chosen, asks)
             + _outline_questions(numbered, chosen, asks))
    for m in marks:
        if m.index in wraps:
            m.span = 1 + len(wraps[m.index])
        elif m.index in stems:
            m.text = "\n".join([m.text, *_premise(stems[m.index])])
            m.span = stems[m.index][-1].index - m.index + 1
    return sorted(marks, key=lambda m: m.index)


def _sub_questions(numbered: list[Line], chosen: list[Line], asks: dict[int, bool]) -> list[Mark]:
    """Asking lines numbered under a question in another style: "2.1，…吗" after "二，…"."""
    parent: dict[int, int] = {}  # line index -> number of the question above it
    current = None
    chosen_at = {ln.index for ln in chosen}
    for ln in numbered:
        if ln.index in chosen_at:
            current = ln.numbering.numbers[-1]
        elif current is not None:
            parent[ln.index] = current
    return [Mark(ln.index, "question", question_text(split_inline_answer(ln.text)[0]), NAME, True)
            for ln in numbered
            if ln.index not in chosen_at and ln.numbering.style == "dotted" and asks[ln.index]
            and len(ln.numbering.numbers) == 2 and ln.numbering.numbers[0] == parent.get(ln.index)]


def _outline_questions(numbered: list[Line], chosen: list[Line], asks: dict[int, bool]) -> list[Mark]:
    """Asking lines numbered at the outline's top level that go on from sub-numbered questions:
    "3. 了解 CNN 吗？…" and "4. 说说 RBM" after "2.1 …", "2.5 …", each number one more than the
    last (a 面经 numbers its rounds' questions so)."""
    chosen_at = {ln.index for ln in chosen}
    if not chosen or chosen[0].numbering.style != "dotted":
        return []
    marks: list[Mark] = []
    last = None  # the top-level number the outline stands at
    for ln in numbered:
        if ln.index in chosen_at:
            last = ln.numbering.numbers[0]
        elif (last is not None and ln.numbering.style in _TOP_LEVEL and len(ln.numbering.numbers) == 1
              and ln.numbering.numbers[0] == last + 1 and asks[ln.index]):
            last = ln.numbering.numbers[0]
            marks.append(Mark(ln.index, "question", question_text(split_inline_answer(ln.text)[0]), NAME, True))
    return marks


_TOP_LEVEL = {"dot", "dun"}  # the plain numbers of an outline's top level ("3.", "3、")


def _runs(numbered: list[Line], asks: dict[int, bool], depths: set[tuple[int, int]], lines: list[Line],
          position: dict[int, int]) -> list[Mark]:
    """Asking lines, and the lines that continue their numbering run, depth (indent, quote
    depth) by depth."""
    marks: list[Mark] = []
    for depth in depths:
        marks += run_marks([ln for ln in numbered if (ln.indent, ln.quote) == depth], asks, lines, position)
    return marks


def _nested_bodies(run: list[Line], lines: list[Line], position: dict[int, int]) -> bool:
    """Whether the items of `run` carry bodies of their own nested under them: every item
    after a blank line, or a good share of them (`ASKING_SHARE`, the share that makes a layout)
    right under their line (`1. GBDT描述` / `    boosting…`),
    lines indented past the item's number before the next item (`position` maps a line's
    index to its place in `lines`). Items without a body in such a list are prompts left
    unanswered."""
    stops = [position[ln.index] for ln in run[1:]] + [len(lines)]
    after_blank = under = 0
    for ln, stop in zip(run, stops, strict=True):
        below = lines[position[ln.index] + 1:stop]
        gap = next((k for k, b in enumerate(below) if b.blank), None)
        after_blank += gap is not None and any(b.indent > ln.indent and not b.blank for b in below[gap:])
        under += bool(below) and not below[0].blank and below[0].indent > ln.indent
    return after_blank == len(run) or under >= ASKING_SHARE * len(run)


_TITLE_RUN = 6  # numbered titles over paragraphs that make a page's list of items, at least


def run_marks(numbered: list[Line], asks: dict[int, bool], lines: list[Line], position: dict[int, int],
              step: float = 2, titles: bool = False) -> list[Mark]:
    """Split one depth into numbering runs (each number one to `step` above the last, or the
    same number again as Markdown's "1." auto-numbering writes it; a restart begins a new
    run). Every line of a run is a question ("24、深度学习常用方法。" between 23 and 25) when
    at least half of it asks, when it is a tight list of one-line items two of which ask,
    or when each item is a one-line prompt with its answer nested under it and two ask
    (a list of prompts such as "1. KL 散度" beside "1. 为什么…？"), or, for `titles` (bold
    labels, each a paragraph over the text it titles), when the run numbers `_TITLE_RUN` or
    more of them and two ask (a page's numbered interview items, "**16 卷积层的优势**" among
    "**13 为什么…？**"); elsewhere only asking lines are."""
    runs: list[list[Line]] = []
    for ln in numbered:
        last = runs[-1][-1].numbering.numbers if runs else None
        now = ln.numbering.numbers
        auto = len(runs[-1]) >= _AUTO_RUN and all(r.numbering.numbers[-1] == 1 for r in runs[-1]) if runs else False
        if auto and now[-1] == 2 and ln.index - runs[-1][-1].index <= 2:
            # "1." items one after another (each its own list, Markdown's auto-numbering), then a
            # "1." right above a "2.": those two open a list of their own inside an answer
            runs.append([runs[-1].pop(), ln])
        elif last is not None and last[:-1] == now[:-1] and last[-1] <= now[-1] <= last[-1] + step:
            runs[-1].append(ln)
        else:
            runs.append([ln])
    marks: list[Mark] = []
    for run in runs:
        asking = sum(asks[ln.index] for ln in run)
        if len(run) >= 3 and asking == 1:
            continue  # the steps of an answer, one of which happens to ask
        # a tight list of short items (one line each, nothing between: "2. CRF-loss梯度") is a list of
        # prompts when several of them ask; long ones are the steps of an answer
        tight = (all(b.index - a.index == 1 for a, b in zip(run, run[1:], strict=False))
                 and sum(len(ln.numbering.rest) for ln in run) <= _PROMPT_LENGTH * len(run))
        # a list of prompts each with its answer nested under it is a question list by its
        # shape, so its items score as asking ones
        prompts = asking >= 2 and ((len(run) >= 3 and _nested_bodies(run, lines, position))
                                   or (titles and len(run) >= _TITLE_RUN))
        whole = len(run) >= 2 and (asking >= len(run) / 2 or (tight and asking >= 2) or prompts)
        for ln in run:
            question, answer = split_inline_answer(ln.text)
            if (asks[ln.index] or whole) and question_text(question):
                marks.append(Mark(ln.index, "question", question_text(question), NAME, asks[ln.index] or prompts,
                                  answer=answer))
            elif asking >= 2 and len(run) >= 3:
                # "5. 池化和池化作用" after "4. …怎么回事" and its answer: the next item of the list
                # ends that answer, it is no part of it
                marks.append(Mark(ln.index, "boundary", "", NAME, False))
        if marks and marks[-1].index == run[-1].index and marks[-1].role == "question" and _unanswered_list(run, lines, position):
            marks[-1].continues = False
    return marks


def _unanswered_list(run: list[Line], lines: list[Line], position: dict[int, int]) -> bool:
    """Whether `run` is a list of questions one per line with no answer under any (three or
    more on consecutive lines) followed, after a blank line, by text no deeper than its items:
    that text closes the page or opens a section ("Be prepared to answer…"); it answers none
    of them, the last one included."""
    if len(run) < 3 or any(b.index - a.index != 1 for a, b in zip(run, run[1:], strict=False)):
        return False
    after = position[run[-1].index] + 1
    following = next_content(lines, after)
    return after < len(lines) and lines[after].blank and following is not None and following.indent <= run[-1].indent


def topics(lines: list[Line], questions: set[int]) -> list[Mark]:
    """Numbered section titles above the questions, and a line that goes on with their
    numbering and asks: a question among them."""
    first_question = min(questions, default=len(lines))
    before = [ln for ln in lines[:first_question] if _candidate(ln) and ln.indent <= 1]
    # a style whose lines mostly ask numbers a list of questions, not sections ("1. What is …?")
    styles_before = {style for style in {ln.numbering.style for ln in before}
                     if sum(_asks(ln) for ln in before if ln.numbering.style == style) * 2
                     < sum(ln.numbering.style == style for ln in before)}
    marks: list[Mark] = []
    last: dict[str, tuple[int, ...]] = {}
    for ln in lines:
        if ln.heading:
            last.clear()  # a new section numbers its titles from 1 again ("## FAQ" / "01. …相关")
            continue
        if ln.index in questions or not _candidate(ln) or ln.indent > 1 or ln.numbering.style not in styles_before:
            continue
        previous = last.get(ln.numbering.style)
        if not is_section_title(ln.numbering.rest) or len(ln.numbering.rest) < 1:
            # the next number of the titles' run that asks is a question of its own among them
            # ("03. 前馈层相关" / … / "04. 为什么…加一个[CLS]标志?"), not a line of the answer above
            if (previous is not None and len(previous) == 1 and ln.numbering.numbers == (previous[0] + 1,)
                    and ends_with_question_mark(ln.text)):
                last[ln.numbering.style] = ln.numbering.numbers
                marks.append(Mark(ln.index, "question", question_text(ln.text), NAME, True))
            continue
        if previous is not None and ln.numbering.numbers <= previous:
            continue  # numbering restarts: an outline inside an answer
        last[ln.numbering.style] = ln.numbering.numbers
        marks.append(Mark(ln.index, "topic", topic_text(ln.text), NAME, False))
    return marks
