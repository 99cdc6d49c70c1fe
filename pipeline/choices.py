"""Multiple-choice and true/false cards: options A–H (one per line, several on one line, or
a checklist whose ticked boxes are the key), the answer key (`正确答案D`, `答案：B`, `答案是A`), the explanation. Whatever stands
between the question line and the options (premises, steps a–e) belongs on the front."""
from __future__ import annotations

import re
from dataclasses import replace

from .model import Card, Choice
from .text import fold

_LIST_ITEM = re.compile(r"^\s*[-*+•]\s+")
_OPTION_AT = re.compile(r"(?:^|(?<=\s))\(?([A-H])\s*[.．、:：)）]\s*")
# possessive space runs (*+): three \s* side by side made a long run of spaces cubic
_KEY = re.compile(r"(?:正确答案|参考答案|标准答案|答案|正确选项|answer)\s*+(?:(?:是|为|应为|应该是|选)\s*+)?(?:[:：]\s*+)?"
                  r"([A-H](?:\s*+(?:[,，、和]\s*+)?[A-H])*)(?![A-Za-z])", re.I)
_CHOICE_WORDS = re.compile(r"下列|下面|以下|哪项|哪一项|哪个选项|哪些选项|选择|正确的是|错误的是|对还是|对吗|是否正确|which of")
_TRUE_FALSE = {"对", "错", "不对", "错误", "正确", "是", "否", "true", "false", "√", "×", "✓", "✗", "t", "f"}
_AFFIRMATIVE = {"对", "正确", "是", "true", "√", "✓", "t"}
_AFFIRMS = re.compile(r"可以|正确|对的|是的|没错|能够|成立|\btrue\b|\byes\b", re.I)
_DENIES = re.compile(r"不可以|不能|不正确|错误|不对|不是|不成立|不会|\bfalse\b|\bno\b", re.I)
_EXPLANATION_LABEL = re.compile(r"^\s*(?:解析|解答|答案解析|分析|explanation)\s*[:：]\s*", re.I)


def _options_in(line: str, expected: str) -> list[tuple[str, str]] | None:
    """The options on one line (or list item), if it starts with option `expected` and the
    labels run in order."""
    line = _LIST_ITEM.sub("", line)
    starts = [m for m in _OPTION_AT.finditer(line)]
    if not starts or starts[0].start() != len(line) - len(line.lstrip()) or starts[0].group(1) != expected:
        return None
    options, label = [], expected
    kept = []
    for m in starts:
        if m.group(1) == label:
            kept.append(m)
            label = chr(ord(label) + 1)
    for k, m in enumerate(kept):
        end = kept[k + 1].start() if k + 1 < len(kept) else len(line)
        options.append((m.group(1), line[m.end():end].strip()))
    return options


def split_choices(answer: str) -> tuple[list[str], list[Choice], list[str]] | None:
    """(stem lines, options, lines after the options), or None when there are no options."""
    lines = answer.split("\n")
    for start, line in enumerate(lines):
        found = _options_in(line, "A")
        if not found:
            continue
        options = list(found)
        pos = start + 1
        while pos < len(lines):
            if not lines[pos].strip():
                pos += 1
                continue
            more = _options_in(lines[pos], chr(ord(options[-1][0]) + 1))
            if not more:
                break
            options += more
            pos += 1
        if len(options) >= 2 and all(text for _, text in options):
            return lines[:start], [Choice(label, text) for label, text in options], lines[pos:]
    return None


def implied_true_false(options: list[Choice], explanation: str) -> list[str]:
    """The key of a true/false card whose explanation plainly affirms or denies in its
    first sentence ("可以进行这些操作" → 对); nothing when it is not plain."""
    first = re.split(r"[。.!！\n]", explanation.strip(), maxsplit=1)[0]
    affirms, denies = bool(_AFFIRMS.search(first)), bool(_DENIES.search(first))
    if affirms == denies:
        return []
    return [o.label for o in options if (fold(o.text) in _AFFIRMATIVE) == affirms]


_CHECKBOX = re.compile(r"^\s*[-*+]\s+\[([ xX✓✔]?)\]\s+(.+)$")


def checkbox_choices(card: Card) -> Card | None:
    """Options written as a checklist, the right ones ticked (`- [x] sigmoid`)."""
    lines = card.answer.split("\n")
    boxes = [i for i, line in enumerate(lines) if _CHECKBOX.match(line)]
    if len(boxes) < 2 or boxes[-1] - boxes[0] + 1 != len(boxes):
        return None
    options, correct = [], []
    for k, i in enumerate(boxes):
        tick, text = _CHECKBOX.match(lines[i]).groups()
        label = chr(ord("A") + k)
        options.append(Choice(label, text.strip()))
        if tick.strip():
            correct.append(label)
    if not correct:
        return None
    stem = "\n".join(lines[:boxes[0]]).strip()
    true_false = len(options) == 2 and all(fold(o.text) in _TRUE_FALSE for o in options)
    return replace(card, type="truefalse" if true_false else "choice",
                   question=card.question + ("\n\n" + stem if stem else ""),
                   answer="\n".join(lines[boxes[-1] + 1:]).strip(), choices=options, correct=correct)


def classify(card: Card) -> Card:
    if card.type != "basic":
        return card
    ticked = checkbox_choices(card)
    if ticked is not None:
        return ticked
    split = split_choices(card.answer)
    if split is None:
        return card
    stem, options, rest = split
    explanation = "\n".join(rest).strip()
    key = _KEY.search(explanation) or _KEY.search(card.question)
    correct = sorted(set(re.findall(r"[A-H]", key.group(1).upper()))) if key else []
    true_false = len(options) == 2 and all(fold(o.text) in _TRUE_FALSE for o in options)
    stem_text = "\n".join(stem).strip()
    if not (key or true_false or _CHOICE_WORDS.search(card.question + stem_text)):
        return card
    explanation = _EXPLANATION_LABEL.sub("", explanation).lstrip("。.，, ")
    notes = list(card.notes)
    if not correct and true_false:
        correct = implied_true_false(options, explanation)
        if correct:
            notes.append("answer key inferred from the explanation, not stated in the source")
    question = card.question + ("\n\n" + stem_text if stem_text else "")
    return replace(card, type="truefalse" if true_false else "choice", question=question,
                   answer=explanation, choices=options, correct=correct, notes=notes)
