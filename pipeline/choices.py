"""Quiz cards made from what extraction found: multiple choice, true/false, fill in the blank.

- Options: labelled lines (`A.` `A、` `A:` `(a)` `a)` `Ａ．`, or a label in a code span or in
  bold: `` `a.` 早停``, `**B.** Adam`), several on one line (also at the end of the question
  line), list items, a checklist whose ticked boxes are the key, or unlabelled list items
  right after the stem (labelled A, B, C … by position; only with a key).
- Keys: `正确答案D`, `答案：B`, `答案是A`, `答案：B、D` (several right options), `答：b`, a
  position (`第2项`, `第二个选项`), an option's own text, a bare label on the first line after
  the options, the one option written in bold; a key block of the document
  (`参考答案：1-5 BCADA 9 ×`, see `classify_document`) keys its numbered questions.
- True/false: a statement ending in a blank (`……。（ ）`) or under a 判断题 section, keyed
  对/错/√/×/正确/错误/T/F/True/False.
- Fill in the blank: a sentence with blanks (`____`, `（ ）`) whose answer opens with one key
  per blank (`学习率；动量`): a cloze card with `blanks`.

Whatever stands between the question line and the options (premises, steps a–e) belongs on
the front; the explanation (`解析：…`) is the answer."""
from __future__ import annotations

import re
import textwrap
import unicodedata
from dataclasses import dataclass, replace
from typing import Literal

from .blocks import table_rows
from .model import Card, Choice, SourceLine
from .text import (CJK, LEAD_IN, OPTION_LETTERS, TRUE_FALSE_PROMPT, TRUE_FALSE_WORD, blank_marks, ends_with_question_mark, fold, hard_wrapped, join_wrapped,
                   strip_list_marker, unbold,
                   quiz_section, zh_number)

# the note on a card whose key was inferred (a true/false explanation that plainly affirms
# or denies): the deck and the sheets mark such a key
INFERRED_KEY = "answer key inferred from the explanation, not stated in the source"
KEY_ENTRY = "an entry of the document's answer key: its key and explanation went to the question of its number"
_L = OPTION_LETTERS
_LIST_ITEM = re.compile(r"^\s*[-*+•]\s+")
_OPTION_AT = re.compile(rf"(?:^|(?<=\s))(?:[(（]\s*([{_L}])\s*[)）]|([{_L}])\s*[.．、:：)）])\s*")
_WHOLE_BOLD = re.compile(r"^\*\*((?:(?!\*\*).)+)\*\*$")
# a label in a code span or in bold leading its option: `a.` 早停, **B.** Adam, **(c)** SGD
_WRAPPED_LABEL = re.compile(rf"^(`|\*\*)\s*([(（]?\s*[{_L}]\s*[)）]?)\s*([.．、:：]?)\s*\1\s*([.．、:：]?)\s*")
_UNLABELLED = re.compile(r"^(\s*)([-*+•]|\d{1,2}[.．)、])\s+(.+)$")  # an HTML <ol> arrives numbered
_MAX_UNLABELLED = 8  # options of a list item stem: more is a list, not a choice
_MAX_OPTION = 120  # characters of an unlabelled option
_MAX_SENTENCE_OPTION = 400  # … on a page that marks its keys in bold
_RIGHT_MARK = re.compile(r"\s*+\*\*(?:true|correct|right|正确|对|√|✓|✔)\*\*\s*+$", re.I)

# possessive runs (*+): several \s* side by side made a long run of spaces cubic
_KEY_LABEL = r"(?:正确答案|参考答案|标准答案|答案|正确选项|(?i:correct\s++answers?|answers?)|(?<![解回问])答(?=\s*+[:：]))"
_KEY_HEAD = _KEY_LABEL + r"\s*+(?:\*\*\s*+)?(?:(?:是|为|应为|应该是|选)\s*+)?(?:[:：]\s*+)?(?:\*\*\s*+)?[(（]?\s*+"
_UPPER_KEYS = r"[A-HＡ-Ｈ](?:\s*+(?:[,，、和]\s*+)?[A-HＡ-Ｈ])*+"
_LOWER_KEYS = r"[a-hａ-ｈ](?:\s*+[,，、和]\s*+[a-hａ-ｈ])*+"  # apart, so that "Bad" is no key
_KEY = re.compile(_KEY_HEAD + rf"(?:(?P<letters>{_UPPER_KEYS}|{_LOWER_KEYS})(?![A-Za-z])"
                  r"|第\s*+(?P<nth>\d{1,2}|[一二三四五六七八九十]{1,2})\s*+(?:个\s*+)?(?:选项|项|个))")
_KEY_TEXT = re.compile(_KEY_HEAD + r"(?P<text>[^\n。；;，,]+)")  # 答案：tanh names an option by its text
# … or by its whole text to the line's end, brackets and commas in it ("**Answer:** (2.5, 2)")
_KEY_WHOLE_TEXT = re.compile(_KEY_LABEL + r"\s*+(?:\*\*\s*+)?(?:[:：]\s*+)?(?:\*\*\s*+)?(?P<text>[^\n]+)")
# ("Answer: Option 3: Width" names the option by its number too)
_KEY_NUMBER_REF = re.compile(_KEY_HEAD + r"(?:(?i:option)\s*+|选项\s*+)?(?P<number>\d{1,2})(?![\d.．]\d)(?:\s*+[).．、）:：]|\s|$)")
# (a dash set off by spaces may lead to its explanation: "**B** - 融合多个结果")
_BARE_KEY = re.compile(rf"^\s*+(?:\*\*)?[(（]?(?P<letters>{_UPPER_KEYS}|{_LOWER_KEYS})[)）]?(?:\*\*)?"
                       r"(?:\s*+(?:$|[。.，,；;:：])|\s++[-–—]\s)")

_CHOICE_WORDS = re.compile(r"下列|下面|以下|哪项|哪一项|哪个选项|哪些选项|选择|正确的是|错误的是|对还是|对吗|是否正确|which of")
_OPTIONS_ALONE = 3
_CHOOSING = re.compile(_CHOICE_WORDS.pattern + r"|哪(?:个|种|一|些)|(?i:\bwhich\b)")
_TRUE_FALSE = {"对", "错", "不对", "错误", "正确", "是", "否", "true", "false", "√", "×", "✓", "✗", "t", "f"}
_AFFIRMATIVE = {"对", "正确", "是", "true", "√", "✓", "✔", "t"}
_AFFIRMS = re.compile(r"可以|正确|对的|是的|没错|能够|成立|\btrue\b|\byes\b", re.I)
_DENIES = re.compile(r"不可以|不能|不正确|错误|不对|不是|不成立|不会|\bfalse\b|\bno\b", re.I)
# a label that opens the explanation, with its colon or alone on its line ("**Solution**")
_EXPLANATION_LABEL = re.compile(r"^\s*(?:\*\*)?(?:解析|解答|答案解析|分析|explanation|solution)\s*(?:\*\*)?(?:[:：]\s*(?:\*\*)?|\n)",
                                re.I)
_TF_KEY = re.compile(rf"^\s*+(?:\*\*)?(?:{_KEY_LABEL}\s*+(?:\*\*)?\s*+(?:是|为)?\s*+(?:[:：]\s*+)?)?(?:\*\*)?"
                     rf"(?P<word>{TRUE_FALSE_WORD}|(?i:t|f))(?:\*\*)?(?=$|[\s。.，,；;!！:：)）])")
# the two options of a statement to judge, in the statement's language
_TF_CHOICES = {True: [Choice("A", "对"), Choice("B", "错")], False: [Choice("A", "True"), Choice("B", "False")]}
# section labels that say what kind the items under them are (`二、判断题`)

_KEY_PREFIX = re.compile(rf"^\s*+(?:\*\*)?{_KEY_LABEL}\s*+(?:\*\*)?\s*+(?:是|为)?\s*+(?:\*\*)?[:：]?\s*+(?:\*\*)?")
_KEY_END = re.compile(r"。|\.\s|(?:解析|解释|说明|分析)\s*+[:：]")  # where a cloze key line's explanation starts
_KEY_NUMBER = re.compile(r"^[(（]?\d{1,2}[)）.．、](?!\d)\s*")  # (not "0.01": a number, no label)
_MAX_BLANK = 60  # characters of one blank's key (alternatives and a gloss included): a longer first line is an answer
KEYS_JOINED = "；"  # a cloze card without an explanation answers with its keys, so joined

# a key block: `参考答案：1-5 BCADA 6-8 DDB`, `9-12 √××√`, `1.B 2.C`
_BLOCK_GROUP = re.compile(r"(\d{1,3})\s*+(?:[-~～–—]\s*+(\d{1,3}))?\s*+[.．、:：]?\s*+([A-HＡ-Ｈ√×✓✗✔✘]++|对|错)")
_BLOCK_REST = re.compile(r"[\s,，;；|*]*")
# a list of keys under a key label (`**答案解析：**` / `1. B。先查看版本历史`), one question a line
_KEYS_LABEL = re.compile(r"^(?:#{1,6}\s++)?(?:\*\*)?\s*+(?:单项选择题|多项选择题|单选题|多选题|选择题|判断题)?"
                         r"(?:参考答案|标准答案|答案解析|答案与解析|答案|(?i:answer\s++key|answers|key))\s*+(?:\*\*)?\s*+[:：]?"
                         r"\s*+(?:\*\*)?$")
# (under a key label a lower-case letter keys too: "1.  c" for options "a." … "d.")
# (and a key may repeat its question's label and name itself: "**Q1. Answer: B**")
_KEY_LINE = re.compile(r"^(?:\*\*)?\s*+(?:第\s*+|(?i:question\s*+|q\s*+))?(\d{1,3})\s*+(?:题\s*+)?[.．、)）:：]\s*+(?:\*\*)?\s*+"
                       rf"(?:{_KEY_LABEL}\s*+(?:\*\*)?\s*+[:：]\s*+(?:\*\*)?\s*+)?(?P<key>[A-HＡ-Ｈ](?:\s*+[,，、]?\s*+[A-HＡ-Ｈ])*+|[a-h]|正确|错误|[√×✓✗对错])"
                       r"(?:\*\*)?\s*+(?:$|[。.，,；;:：]\s*+(?P<why>.*)$)")
_QUESTION_NUMBER = re.compile(r"^\s*+(?:#{1,6}\s++)?(?:[-*+]\s++)?(?:\*\*)?\s*+(?:第\s*+|(?i:question)\s*+|[QqＱ]\s*+)?[(（]?"
                              r"(\d{1,3})[)）]?\s*+(?:题\s*+)?(?:[.．、:：)）]|$|\s)")


def _label(m: re.Match) -> str:
    return unicodedata.normalize("NFKC", m.group(1) or m.group(2))


def _unwrapped(line: str) -> str:
    """A line led by a label in a code span or bold, with the label as plain text."""
    m = _WRAPPED_LABEL.match(line)
    if m is None:
        return line
    label = re.sub(r"\s", "", m.group(2))
    punct = m.group(3) or m.group(4) or ("" if label.endswith((")", "）")) else ".")
    return f"{label}{punct} {line[m.end():]}"


_BARE_LABEL = re.compile(r"^([A-Ha-h])\s++(\S.*)$")
_OPEN_BOX = re.compile(r"^\\?\[ \\?\]\s++")
_HARD_BREAK_END = re.compile(r"(?<!\\)\\$")


def _options_in(line: str, expected: str) -> list[tuple[str, str, bool]] | None:
    """The options (label, text, written in bold) on one line or list item, if it starts with
    option `expected` ("A" or "a": the case the labels run in) and the labels run in order."""
    item = _LIST_ITEM.match(line) is not None
    # an unticked box before a labelled option ("- [ ] B) …") is the page's checklist look, not
    # text, and so is a hard line break after it (its explanation on the next line)
    line = _HARD_BREAK_END.sub("", _OPEN_BOX.sub("", _LIST_ITEM.sub("", line).strip()) if item else line.strip())
    whole = _WHOLE_BOLD.match(line)
    inner = whole.group(1).strip() if whole else line
    # a label set in bold alone ("**A.** …" beside "B. …") marks its option as the whole bold line does
    label_bold = (m := _WRAPPED_LABEL.match(inner)) is not None and m.group(1) == "**"
    line = _unwrapped(inner)
    starts = list(_OPTION_AT.finditer(line))
    if not starts or starts[0].start() != 0 or _label(starts[0]) != expected:
        # a list item labelled by its letter alone ("- B Adam"), or a line by its capital letter
        # alone ("B Bagging", a page's <br> lines); the letters must still run A, B, C
        bare = _BARE_LABEL.match(line) if item or expected.isupper() else None
        if bare is None or bare.group(1) != expected:
            return None
        return [(expected.upper(), bare.group(2).strip(), bool(whole) or label_bold)]
    kept, label = [], expected
    for m in starts:
        if _label(m) == label:
            kept.append(m)
            label = chr(ord(label) + 1)
    texts = [_checked(line[m.end():kept[k + 1].start() if k + 1 < len(kept) else len(line)].strip()) for k, m in enumerate(kept)]
    return [(_label(m).upper(), text, bool(whole) or (label_bold and k == 0) or checked)
            for k, (m, (text, checked)) in enumerate(zip(kept, texts, strict=True))]


_CHECK_AFTER = re.compile(r"\s*+(?:✓|✔️?|✅|☑️?)\s*+$")


def _checked(text: str) -> tuple[str, bool]:
    """An option's text without a check mark after it that says it is right ("c) **0** ✓"),
    nor the bold that then marks it too; and whether it had one."""
    mark = _CHECK_AFTER.search(text)
    if mark is None:
        return text, False
    text = text[:mark.start()].strip()
    bold = _WHOLE_BOLD.match(text)
    return (bold.group(1).strip() if bold else text), True


def split_choices(answer: str, first: str = "A") -> tuple[list[str], list[tuple[str, str, bool]], list[str]] | None:
    """(stem lines, options, lines after the options) of labelled options whose labels
    start at `first` (its case is theirs), or None when there are none. Lines indented under
    an option item (its explanation) come first in the lines after, each led by its option's
    label."""
    lines = answer.split("\n")
    for start, line in enumerate(lines):
        found = _options_in(line, first)
        if not found:
            continue
        options = list(found)
        notes: list[str] = []  # lines indented under an option item: its explanation, named by its label
        listed = _LIST_ITEM.match(line) is not None
        pos = start + 1
        while pos < len(lines):
            if not lines[pos].strip():
                pos += 1
                continue
            more = _options_in(lines[pos], chr(ord(first) + len(options)))
            if not more:
                if listed and _continues(lines[pos]):
                    notes.append(f"- {options[-1][0]}) {lines[pos].strip()}")
                    pos += 1
                    continue
                break
            options += more
            pos += 1
        if len(options) >= 2 and all(text for _, text, _ in options):
            return lines[:start], options, notes + lines[pos:]
    return None


def _options_after_question(question: str) -> tuple[str, list[tuple[str, str, bool]], bool] | None:
    """(question, options, upper case) of a question line that ends in its options
    ("…哪种激活函数？ A．ReLU B．sigmoid …")."""
    head, _, last = question.rpartition("\n")
    # the first label A after the stem opens the options (trying every one is quadratic)
    m = next((m for m in _OPTION_AT.finditer(last) if m.start() > 0 and _label(m) in ("A", "a")), None)
    if m is None:
        return None
    options = _options_in(last[m.start():], _label(m))
    stem = last[:m.start()].rstrip()
    if options and len(options) >= 2 and all(text for _, text, _ in options) and fold(stem):
        return (head + "\n" + stem if head else stem), options, _label(m) == "A"
    return None


def listed_options(answer: str, longest: int = _MAX_OPTION) -> tuple[list[str], list[tuple[str, str, bool]], list[str]] | None:
    """(stem lines, options, lines after) of options written as a plain list (bullets, or
    numbers 1, 2, 3 …) right after the stem, labelled A, B, C … by position; None when the
    first list of the answer is no such list (nested items, items over `longest`
    characters, items that ask)."""
    lines = answer.split("\n")
    first = next((i for i, line in enumerate(lines) if _UNLABELLED.match(line)), None)
    if first is None:
        return None
    indent = _UNLABELLED.match(lines[first]).group(1)
    items, pos = [], first
    while pos < len(lines):
        line = lines[pos]
        m = _UNLABELLED.match(line)
        if m and m.group(1) == indent:
            items.append((m.group(2), m.group(3).strip()))
        elif line.strip() and not m and line[:len(indent) + 1].strip():
            break
        elif line.strip():
            return None  # a nested item or an item's own paragraph: a list, not options
        pos += 1
    if not 2 <= len(items) <= _MAX_UNLABELLED:
        return None
    numbers = [marker[:-1] for marker, _ in items]
    # numbered 1, 2, 3 …, or "1." throughout as Markdown's auto-numbering writes it
    if any(n.isdigit() for n in numbers) and numbers not in ([str(k) for k in range(1, len(items) + 1)], ["1"] * len(items)):
        return None
    options = []
    for k, (_, item) in enumerate(items):
        item = _OPEN_BOX.sub("", item)  # an unticked checklist ("- [ ] True", none ticked): the page's look
        whole = _WHOLE_BOLD.match(item)
        text = whole.group(1).strip() if whole else item
        # a bold mark after an option says it is right ("$L = …$ **True**")
        marked = _RIGHT_MARK.search(text) if not whole else None
        if marked:
            text, whole = text[:marked.start()].strip(), marked
        if len(text) > longest or ends_with_question_mark(text):
            return None
        options.append((chr(ord("A") + k), text, bool(whole)))
    return lines[:first], options, lines[pos:]


def _letters(text: str) -> list[str]:
    return sorted({unicodedata.normalize("NFKC", c).upper() for c in re.findall(rf"[{_L}]", text)})


def _named_by(text: str, options: list[tuple[str, str, bool]]) -> list[str]:
    """The labels of the options `text` names: those equal to it once folded, or, where folding
    makes several equal ("coef_" and "coef", "1.234" and "12.34"), the one it names letter for letter."""
    named = [label for label, option, _ in options if fold(option) == fold(text)]
    # (a hard break that ended the key's line, "12.34 units\\", is no part of what it names)
    exact = [label for label, option, _ in options if option.strip().rstrip("\\").strip() == text.strip().rstrip("\\").strip()]
    return exact if len(named) > 1 and len(exact) == 1 else named


_LABELLED_REPEAT = re.compile(r"^\s*+(?:\*\*|__)?\s*+[(（]?(?P<label>[A-Ha-h])[)）.．、:：]\s*+(?P<text>\S.*)$")


def find_key(options: list[tuple[str, str, bool]], after: list[str], question: str, given: str = "",
             bold: bool | Literal["every"] = True) -> list[str]:
    """The right options' labels: a key stated after the options, a bare label on the first
    line after them, an option named by its text, a key in the question, the key `given` by
    the document's key block, or (when `bold`) the one option in bold; with `bold="every"`
    (a document that marks its keys in bold) every option in bold; [] when there is none."""
    labels = {label for label, _, _ in options}
    text = "\n".join(after)

    def valid(found: list[str]) -> list[str]:
        return found if found and set(found) <= labels else []

    for m in _KEY.finditer(text):
        nth = m.group("nth")
        found = _letters(m.group("letters")) if m.group("letters") else \
            [chr(ord("A") + (int(nth) if nth.isdigit() else zh_number(nth)) - 1)]
        if valid(found):
            return found
    first = next((line for line in after if line.strip()), "")
    if (m := _BARE_KEY.match(first)) and valid(_letters(m.group("letters"))) and not _numbered_twice(first, options):
        return _letters(m.group("letters"))
    # the first line after them repeats one option, label and text ("**B) The basic unit …** - why")
    if (m := _LABELLED_REPEAT.match(first)) and (label := m.group("label").upper()) in labels:
        option = next(text for k, text, _ in options if k == label)
        if fold(option) and fold(m.group("text")).startswith(fold(option)):
            return [label]
    for key_text in (_KEY_TEXT, _KEY_WHOLE_TEXT):
        for m in key_text.finditer(text):
            named = _named_by(m.group("text"), options)
            if fold(m.group("text")) and len(named) == 1:
                return named
    for m in _KEY.finditer(question):
        if m.group("letters") and valid(_letters(m.group("letters"))):
            return _letters(m.group("letters"))
    if valid(_letters(given)):
        return _letters(given)
    in_bold = [label for label, _, is_bold in options if is_bold]
    if bold == "every" and 0 < len(in_bold) < len(options):
        return in_bold
    return in_bold if bold and len(in_bold) == 1 and len(options) > 1 else []


_TEXT_AFTER_KEY = 8  # folded characters after a repeated lower-case label: an item's text, no key's
_LOWER_LABELLED = re.compile(r"^\s*+[(（]?([a-z])[.．、)）]\s*+(\S.*)$")


def _numbered_twice(line: str, options: list[tuple[str, str, bool]]) -> bool:
    """Whether `line` is labelled in lower case as the last option and goes on with a text of
    its own ("c. 对异常值的敏感度不同" after "c. 能否输出概率"): the next item of a list whose
    writer repeated a letter, not a key naming that option (lower-case letters also number the
    parts of an answer)."""
    m = _LOWER_LABELLED.match(line)
    return bool(m and options and m.group(1).upper() == options[-1][0].upper()
                and not fold(m.group(2)).startswith(fold(options[-1][1])) and len(fold(m.group(2))) >= _TEXT_AFTER_KEY)


def _key_only(line: str, options: list[str]) -> bool:
    """A line that states the key and nothing else ("答案：B", "**C**", "答案：tanh" naming
    one of the `options` by its text, "Answer: B) 320" by its label and text, "Answer:
    Option 3: Width" by its number and text)."""
    keyed = _KEY.search(line)
    for m in (keyed, _BARE_KEY.match(line)):
        if m is not None and not fold(line[:m.start()] + line[m.end():]):
            return True
    if keyed is not None and keyed.group("letters") and not fold(line[:keyed.start()]):
        index = ord(unicodedata.normalize("NFKC", keyed.group("letters")).upper()) - ord("A")
        rest = line[keyed.end():].lstrip(")）.．、:： ")
        if len(keyed.group("letters")) == 1 and index < len(options) and fold(rest) == fold(options[index]):
            return True
    named = _KEY_TEXT.search(line)
    if named is not None and not fold(line[:named.start()]) and \
            any(fold(option) == fold(line[named.start("text"):]) for option in options):
        return True
    # "**Answer:** Option 3: Width": the option's number and its text
    numbered = _KEY_NUMBER_REF.search(line)
    return (numbered is not None and not fold(line[:numbered.start()]) and 1 <= int(numbered.group("number")) <= len(options)
            and fold(line[numbered.end():]) in ("", fold(options[int(numbered.group("number")) - 1])))


# a key that leads its explanation across a dash ("**B** - 融合多个结果"): the key leaves the answer
_KEY_LEAD = re.compile(rf"^\s*+(?:\*\*)?[(（]?(?:{_UPPER_KEYS})[)）]?(?:\*\*)?\s++[-–—]\s++(?=\S)"
                       # (or the key with its option's text in bold: "**B) The basic unit …** - why")
                       r"|^\s*+\*\*[(（]?[A-H][)）.．、:：]\s*+[^*\n]++\*\*\s++[-–—]\s++(?=\S)")


def _explanation(lines: list[str], options: list[str] = ()) -> str:
    """The answer of a quiz card: what follows its options or key, without lines that only
    state the key, a key leading the explanation across a dash, or an explanation label."""
    text = "\n".join(line for line in lines if not _key_only(line, options)).strip()
    return _EXPLANATION_LABEL.sub("", _KEY_LEAD.sub("", text, count=1)).lstrip("。.，, ")


def implied_true_false(options: list[Choice], explanation: str) -> list[str]:
    """The key of a true/false card whose explanation plainly affirms or denies in its
    first sentence ("可以进行这些操作" → 对); nothing when it is not plain."""
    first = re.split(r"[。.!！\n]", explanation.strip(), maxsplit=1)[0]
    affirms, denies = bool(_AFFIRMS.search(first)), bool(_DENIES.search(first))
    if affirms == denies:
        return []
    return [o.label for o in options if (_tf_word(o.text) in _AFFIRMATIVE) == affirms]


def _tf_word(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip(" *_。.").lower()


def _true_false(options: list[Choice]) -> bool:
    return len(options) == 2 and all(_tf_word(o.text) in _TRUE_FALSE for o in options)


_CHECKBOX = re.compile(r"^\s*[-*+]\s+\\?\[([ xX✓✔]?)\\?\]\s+(.+)$")  # "\[x]": a page escaped the bracket
# an option ticked by a check mark before it, the others left bare (a quiz page's answer copy:
# "- :white_check_mark: Similar to electricity…", "- ✅ Bagging")
_CHECK_MARKED = re.compile(r"^\s*[-*+]\s+((?:✅|✔️?|☑️?|:(?:white_check_mark|heavy_check_mark|ballot_box_with_check):)\s*)?(.+)$")
# a question that asks to judge or pick, beside the words of _CHOOSING
_JUDGING = re.compile(r"true\s*/\s*false|check (?:all|the)|select (?:all|the)|对还是错", re.I)


_OPENS_BLOCK = re.compile(r"\s*+(?:[-*+>]\s|\d{1,3}[.)]\s|```|~~~)")  # a list item, quote or fence


def _continues(line: str) -> bool:
    """Whether a line under a list item goes on with the item's paragraph: indented text that
    opens no block of its own (no list marker, quote or fence)."""
    return bool(line.strip()) and line[:1].isspace() and not _OPENS_BLOCK.match(line)


def checkbox_choices(card: Card) -> Card | None:
    """Options written as a checklist, the right ones ticked (`- [x] sigmoid`), or as a list
    whose right options carry a check mark (`- ✅ Bagging`, `- :white_check_mark: …`) under a
    question that asks to pick or judge (a list of pros each marked ✅ is no quiz)."""
    lines = card.answer.split("\n")
    boxes = [i for i, line in enumerate(lines) if _CHECKBOX.match(line)]
    ticks = {i: bool(_CHECKBOX.match(lines[i]).group(1).strip()) for i in boxes}
    texts = {i: _CHECKBOX.match(lines[i]).group(2) for i in boxes}
    if len(boxes) < 2 and (_CHOOSING.search(card.question) or _JUDGING.search(card.question)):
        boxes = [i for i, line in enumerate(lines) if not line[:1].isspace() and _CHECK_MARKED.match(line)]
        ticks = {i: bool(_CHECK_MARKED.match(lines[i]).group(1)) for i in boxes}
        texts = {i: _CHECK_MARKED.match(lines[i]).group(2) for i in boxes}
        if all(ticks.values()):
            return None
    if len(boxes) < 2:
        return None
    # an indented line right under an option that a hard wrap broke goes on with its text, and so
    # do the lines of an option written over several lines (code, "</br>"), where every option is
    # a paragraph of indented lines ("- [ ] time_train = …" / "      x_train = …"), as CommonMark
    # reads an item's paragraph
    spread = all(i + 1 < len(lines) and _continues(lines[i + 1]) for i in boxes)
    wrapped: set[int] = set()
    for i in boxes:
        k = i + 1
        while (k < len(lines) and k not in boxes and _continues(lines[k])
               and (spread or hard_wrapped(lines[k - 1]))):
            texts[i] = join_wrapped([texts[i], lines[k]])
            wrapped.add(k)
            k += 1
    # between the boxes only the indented notes of an option (an explanation under the ticked one)
    notes = [i for i in range(boxes[0], boxes[-1] + 1) if i not in boxes and i not in wrapped and lines[i].strip()]
    if any(not lines[i][:1].isspace() for i in notes):
        return None
    options, correct = [], []
    for k, i in enumerate(boxes):
        label = chr(ord("A") + k)
        # (bold around an option is the page's mark of a right one, said by its tick already)
        bold = _WHOLE_BOLD.match(texts[i].strip())
        options.append(Choice(label, bold.group(1).strip() if bold else texts[i].strip()))
        if ticks[i]:
            correct.append(label)
    if not correct:
        return None
    stem = _stem_text(lines[:boxes[0]])
    explanation = textwrap.dedent("\n".join(lines[i] for i in notes)).strip()
    # (dedented as the notes are: a fence nested under the last option keeps its closing fence)
    after = textwrap.dedent("\n".join(line for k, line in enumerate(lines[boxes[-1] + 1:], start=boxes[-1] + 1)
                                      if k not in wrapped)).strip()
    return replace(card, type="truefalse" if _true_false(options) else "choice",
                   question=card.question + ("\n\n" + stem if stem else ""),
                   answer="\n\n".join(p for p in (explanation, after) if p), choices=options, correct=correct)


# a line that only says the options follow ("**Options:**", "选项："): the options say it on the card
_OPTIONS_LABEL = re.compile(r"^[\s>#*_-]*+(?:options|choices|选项)[\s*_]*+[:：]?[\s*_]*+$", re.I)


def _stem_text(lines: list[str]) -> str:
    """A choice question's stem lines as its front shows them, without a line that only
    announces the options."""
    return "\n".join(line for line in lines if not _OPTIONS_LABEL.match(line)).strip()


def _choice_card(card: Card, question: str, stem: list[str], found: list[tuple[str, str, bool]],
                 after: list[str], correct: list[str]) -> Card:
    options = [Choice(label, text) for label, text, _ in found]
    explanation = _explanation(after, [text for _, text, _ in found])
    notes = list(card.notes)
    true_false = _true_false(options)
    if not correct and true_false:
        correct = implied_true_false(options, explanation)
        if correct:
            notes.append(INFERRED_KEY)
    stem_text = _stem_text(stem)
    return replace(card, type="truefalse" if true_false else "choice",
                   question=question + ("\n\n" + stem_text if stem_text else ""),
                   answer=explanation, choices=options, correct=correct, notes=notes)


def labelled_choices(card: Card, given: str = "", bold_keys: bool = False) -> Card | None:
    """A card whose answer (or question line) holds labelled options. Upper-case options
    make a choice card with a key, as true/false, when there are three or more, or when
    the question reads as a choice (`下列…`); without a key it is reviewed. Lower-case
    ones, which also number steps, only with a key. On a page that marks its keys in bold
    (`bold_keys`) every option in bold is right."""
    question = card.question
    split = split_choices(card.answer, "A")
    upper = split is not None
    if split is None:
        split = split_choices(card.answer, "a")
    if split is None:
        inline = _options_after_question(card.question)
        if inline is None:
            return None
        question, options, upper = inline
        split = ([], options, card.answer.split("\n"))
    stem, options, after = split
    correct = find_key(options, after, question, given, "every" if bold_keys else True)
    stem_text = "\n".join(stem)
    # three options labelled A, B, C … are a choice whatever the stem's wording; two need it to read as one
    if not (correct or _true_false([Choice(lb, t) for lb, t, _ in options])
            or (upper and (len(options) >= _OPTIONS_ALONE or _CHOICE_WORDS.search(question + stem_text)))):
        return None
    return _choice_card(card, question, stem, options, after, correct)


# a record's field that lists the options on one line ("- Choices: lower(); upper(); split()",
# "**选项**：对，错") and one that names the item's kind ("- Type: Multiple choice"): fields of a quiz
# item written as a record, under its question line
_CHOICES_FIELD = re.compile(r"^\s*+(?:[-*+]\s++)?(?:\*\*|__)?(?:choices|options|选项)(?:\*\*|__)?\s*+[:：]\s*+(?:\*\*|__)?"
                            r"(?P<list>\S.*+)", re.I)
_KIND_FIELD = re.compile(r"^\s*+(?:[-*+]\s++)?(?:\*\*|__)?(?:type|question type|题型)(?:\*\*|__)?\s*+[:：]\s*+(?P<kind>.+)$", re.I)
_LIST_SEPARATORS = (r"[;；]", r"[,，、]")  # semicolons where there are any (an option may hold a comma)


_EMPHASIZED = re.compile(r"^([*_]{1,3})(.+?)\1$")


def _listed_in_field(text: str) -> list[str] | None:
    """The options a choices field lists, apart at its semicolons (or, with none, its commas),
    or None when they are not 2 to `_MAX_UNLABELLED` short parts."""
    for separator in _LIST_SEPARATORS:
        if re.search(separator, text):
            # (emphasis around a part goes; an identifier's own underscore, "coef_", stays)
            parts = [_EMPHASIZED.sub(r"\2", p.strip()) for p in re.split(separator, text)]
            parts = [p for p in parts if p]
            return parts if 2 <= len(parts) <= _MAX_UNLABELLED and all(len(p) <= _MAX_OPTION for p in parts) else None
    return None


def field_choices(card: Card, given: str = "") -> Card | None:
    """A quiz item written as a record under its question: a field listing the options on one
    line (`- Choices: nltk.corpus; nltk.stem`), an answer field that names one of them by its
    text (`- Answer: nltk.stem`, before or after the options) or by its label, a field naming
    the kind (`- Type: Multiple choice`, dropped: the card's type says it). Labelled A, B, C …
    by position; without a key it stays a basic card (a list of options in prose keys nothing)."""
    lines = card.answer.split("\n")
    at = next((k for k, line in enumerate(lines) if _CHOICES_FIELD.match(line)), None)
    if at is None or (texts := _listed_in_field(_CHOICES_FIELD.match(lines[at]).group("list"))) is None:
        return None
    options = [(chr(ord("A") + k), text, False) for k, text in enumerate(texts)]
    rest = [line for k, line in enumerate(lines) if k != at
            and not ((m := _KIND_FIELD.match(line)) and quiz_section(m.group("kind")))]
    # (the answer's first line has lost its label to extraction: "- Answer: nltk.stem" reads "nltk.stem")
    first = next((k for k, line in enumerate(rest) if line.strip()), None)
    named = [(k, label) for k, line in enumerate(rest)
             if (m := _KEY_TEXT.match(strip_list_marker(line).lstrip("*_ "))) or k == first
             for label in _named_by(m.group("text") if m else line, options)]
    if len({label for _, label in named}) == 1:
        correct, rest = [named[0][1]], rest[:named[0][0]] + rest[named[0][0] + 1:]
    else:
        correct = find_key(options, rest, "", given, bold=False)
    if not correct:
        return None
    return _choice_card(card, card.question, [], options, rest, correct)


# a code fence that ends the front and holds nothing but labelled options: a page that set its
# options in a fence to keep them aligned ("**1. …？**" / "````" / " A. 1/3" / " B. 1/4" / "````")
_FENCE_LINE = re.compile(r"[ \t]*+(`{3,}|~{3,})[ \t]*+")  # a fence with no info string: no code's language


def fenced_choices(card: Card, given: str = "", bold_keys: bool = False) -> Card | None:
    """`labelled_choices` of a card whose front ends in a fence of labelled options (a bare
    fence, its last line, opened by the same fence on a line of its own below the first): the
    options leave the fence, and the front."""
    lines = card.question.split("\n")
    closing = _FENCE_LINE.fullmatch(lines[-1])
    # the nearest opening fence, found by one walk back (a search from every fence line above
    # the last one was quadratic in a front of many fences)
    opening = next((k for k in range(len(lines) - 2, 0, -1)
                    if (m := _FENCE_LINE.fullmatch(lines[k])) and m.group(1) == closing.group(1)), None) if closing else None
    if opening is None:
        return None
    inside = lines[opening + 1:-1]
    options = "\n".join(line for line in inside if line.strip())
    split = split_choices(options, "A") or split_choices(options, "a")
    if split is None or split[0] or split[2]:
        return None  # code, or options among other lines
    moved = replace(card, question="\n".join(lines[:opening]).rstrip(),
                    answer="\n".join(inside).strip("\n") + "\n" + card.answer)
    return labelled_choices(moved, given, bold_keys)


def listed_choices(card: Card, given: str = "", bold_keys: bool = False) -> Card | None:
    """A card whose answer lists unlabelled options after the stem and then states the key
    (by label, position or text) or sets one option in bold (every option in bold in a
    document that marks its keys so, `bold_keys`)."""
    # on a page that marks its keys in bold an option may be a long sentence
    split = listed_options(card.answer, _MAX_SENTENCE_OPTION if bold_keys else _MAX_OPTION)
    if split is None:
        return None
    stem, options, after = split
    # one item in bold is a key only where the question asks to choose: notes stress an item too
    choosing = bool(_CHOOSING.search(card.question + "\n".join(stem)))
    correct = find_key(options, after, "", given, bold="every" if bold_keys else choosing)
    # options numbered 1, 2, 3 … are keyed by their number ("Answer: 2) Pooling") where the
    # question reads as a choice or the key goes on to name the option
    numbered = next(m for line in card.answer.split("\n") if (m := _UNLABELLED.match(line)))
    text = "\n".join(after)
    if not correct and numbered.group(2)[0].isdigit() and (m := _KEY_NUMBER_REF.search(text)):
        number = int(m.group("number"))
        if 1 <= number <= len(options) and (choosing or fold(text[m.end():]).startswith(fold(options[number - 1][1]))):
            correct = [options[number - 1][0]]
    return _choice_card(card, card.question, stem, options, after, correct) if correct else None


_CELL_ROW = re.compile(r"^\s*+\|([^|\n]*+)\|\s*+$")  # a table row of one cell
_RULE_ROW = re.compile(r"^[\s:-]*+$")  # the delimiter row's cell


def _held_option(line: str) -> str | None:
    """The text of a line that is an unlabelled option under a stem: a one-cell table row or
    a list item; None for any other line."""
    if (m := _CELL_ROW.match(line)) is not None:
        return m.group(1).strip()
    m = _UNLABELLED.match(line)
    return m.group(3).strip() if m is not None else None


def held_choices(card: Card, given: str = "") -> Card | None:
    """A question that holds its options, unlabelled, under its stem (the one-column
    "Options" table of an HTML quiz, or a list), answered by the text of one option
    ("Dropout is turned off at test time.") or by a key; labelled A, B, C … by position."""
    lines = card.question.split("\n")
    first = next((i for i, line in enumerate(lines) if _held_option(line) is not None), None)
    if first is None or not fold("\n".join(lines[:first])):
        return None
    texts = [_held_option(line) for line in lines[first:] if line.strip()]
    if any(text is None for text in texts):
        return None  # text after the options: they are no options
    texts = [text for text in texts if not _RULE_ROW.match(text)]
    if not 2 <= len(texts) <= _MAX_UNLABELLED or any(not text or len(text) > _MAX_SENTENCE_OPTION for text in texts):
        return None
    options = [(chr(ord("A") + k), text, False) for k, text in enumerate(texts)]
    answer = card.answer.split("\n")
    lead = next((i for i, line in enumerate(answer) if line.strip()), 0)
    named = [label for label, text, _ in options if answer and fold(text) == fold(answer[lead])]
    if len(named) == 1:
        correct, after = named, answer[lead + 1:]
    else:
        correct, after = find_key(options, answer, "", given, bold=False), answer
    if not correct:
        return None
    question = "\n".join(lines[:first]).rstrip()
    return _choice_card(replace(card, answer=""), question, [], options, after, correct)


_TF_LABEL = re.compile(r"^(?:T\s*/\s*F|True\s*(?:/|or)\s*False|判断(?:题)?)\s*+[:：]", re.I)  # "T/F: …"


def true_false_statement(card: Card, given: str = "") -> Card | None:
    """A statement (no question mark) that ends in a blank, stands under a 判断题 section, is
    labelled for judging (`T/F: …`, `… (True / False)`, the prompt leaving the front) or is
    answered by a true/false key alone, keyed 对/错, √/×, T/F …: a true/false card; under
    判断题 or so prompted without a key it is reviewed."""
    question = card.question.strip()
    if ends_with_question_mark(question):
        return None
    prompted = TRUE_FALSE_PROMPT.search(question)  # "… (True / False)": the page asks to judge it
    if prompted:
        question = question[:prompted.start()].rstrip()
    blanks = blank_marks(question)
    ends_in_blank = bool(blanks) and not fold(question[blanks[-1].end():])
    section = quiz_section(card.section) == "判断题"
    # a statement the document's key block judges (`| 2 | True |`) is one to judge; so is one
    # labelled for judging ("T/F: …"), or answered by a true/false key alone ("**True**")
    keyed = _tf_word(given) in _TRUE_FALSE
    m = _TF_KEY.match(card.answer)
    labelled = (_TF_LABEL.match(question) is not None or prompted is not None
                or (m is not None and not card.answer[m.end():].strip()))
    if not (ends_in_blank or section or keyed or labelled):
        return None
    word = m.group("word") if m else given if _tf_word(given) in _TRUE_FALSE else ""
    if not word and not (section or prompted):
        return None
    correct = ([] if not word else ["A"] if _tf_word(word) in _AFFIRMATIVE else ["B"])
    rest = card.answer[m.end():] if m else card.answer
    return replace(card, question=question, type="truefalse", choices=list(_TF_CHOICES[bool(CJK.search(question))]),
                   correct=correct, answer=_explanation(rest.split("\n")))


def _split_keys(text: str, count: int) -> list[str] | None:
    """`count` keys from one key line ("学习率；动量", "(1) 学习率 (2) 动量"), or None."""
    text = text.strip(" *_。.；;")
    separators = [r"[；;]", r"[、，,]", r"\s+"] if count > 1 else [r"$^"]
    for separator in separators:
        parts = [_KEY_NUMBER.sub("", p).strip(" *_") for p in re.split(separator, text) if p.strip()]
        if len(parts) == count and all(0 < len(p) <= _MAX_BLANK for p in parts):
            return parts
    return None


def cloze_card(card: Card) -> Card | None:
    """A sentence with blanks whose answer opens with one key per blank, in order: a cloze
    card; its answer is the explanation that follows the keys, else the keys."""
    count = len(blank_marks(card.question))
    if not count or not card.answer.strip():
        return None
    first, _, more = card.answer.strip().partition("\n")
    if (box := _CHECKBOX.match(first)) is not None and box.group(1).strip():
        first = box.group(2)  # "- [x] Large training set": the ticked fill
    first = _KEY_PREFIX.sub("", first)
    if _OPTION_AT.match(first) or _BARE_KEY.match(first):
        return None  # options this stage could not read, or their key
    if LEAD_IN.match(unbold(strip_list_marker(first)).strip()) and more.strip():
        return None  # "分析思路：" introduces a worked answer: no key for the blank
    end = _KEY_END.search(first)
    keys = _split_keys(first[:end.start()] if end else first, count)
    if keys is None:
        return None
    # the explanation goes on after a sentence end, or from its own label
    tail = "" if end is None else first[end.end():] if end.group()[0] in "。." else first[end.start():]
    explanation = _explanation([tail, *more.split("\n")])
    return replace(card, type="cloze", blanks=keys, answer=explanation or KEYS_JOINED.join(keys))


def cloze_explanation(card: Card) -> str:
    """What a cloze card says beyond its keys: its answer, unless that is only the keys."""
    return "" if card.answer.strip() == KEYS_JOINED.join(card.blanks) else card.answer


def classify(card: Card, given: str = "", bold_keys: bool = False) -> Card:
    """The quiz card a basic card is (choice, true/false, cloze), or the card unchanged.
    `given` is its key from the document's key block, used when the card states none;
    `bold_keys` says the document marks its keys by setting options in bold."""
    if card.type != "basic":
        return card
    for make in (checkbox_choices, lambda c: field_choices(c, given), lambda c: fenced_choices(c, given, bold_keys), lambda c: labelled_choices(c, given, bold_keys),
                 lambda c: listed_choices(c, given, bold_keys), lambda c: held_choices(c, given),
                 lambda c: true_false_statement(c, given), cloze_card):
        made = make(card)
        if made is not None:
            return made
    return card


@dataclass(frozen=True)
class KeyBlock:
    """The keys a document gives apart from its questions, by (quiz section kind, question
    number): the kind `quiz_section` names for a key line labelled by its section
    (`**True or False:** 1(False), 2(True)`), "" for the others."""

    keys: dict[tuple[str, int], str]
    explanations: dict[tuple[str, int], str]  # the explanation given with a key (`1. B。先查看版本历史`)
    lines: frozenset[str]  # the block's lines, stripped: they leave the answer they stood in

    def lookup(self, kind: str, number: int) -> tuple[str, str]:
        """(key, explanation) of question `number` of a section of `kind` ("" for none)."""
        at = (kind, number) if (kind, number) in self.keys else ("", number)
        return self.keys.get(at, ""), self.explanations.get(at, "")


def key_block(lines: list[SourceLine]) -> KeyBlock | None:
    """The key block of a document's lines: lines of key groups (`参考答案：1-5 BCADA 6-8
    DDB`, `9-12 √××√`, `1(c), 2(a)`, each line perhaps labelled by the quiz section it keys,
    `- **Multiple Choice:** 1(c), 2(a)`), one key a line under a key label (`答案解析：` /
    `1. B。…`), or a table of numbers and keys (see `table_keys`); None when there is none or
    it keys fewer than two questions."""
    keys: dict[tuple[str, int], str] = {}
    explanations: dict[tuple[str, int], str] = {}
    taken: set[str] = set()
    label = ""  # the key label line a list of keys may follow
    last = 0  # the number of the last key read under it
    entry = False  # the line before was that key's, no blank line since
    k = 0
    while k < len(lines):
        line = lines[k]
        text = line.text.strip()
        k += 1
        if not text:
            entry = False
            continue
        in_entry, entry = entry, False
        if text.startswith("|"):
            table = [text]
            while k < len(lines) and lines[k].text.strip().startswith("|"):
                table.append(lines[k].text.strip())
                k += 1
            found, why = table_keys(table_rows(table))
            if found:
                keys.update({("", n): key for n, key in found.items()})
                explanations.update({("", n): text for n, text in why.items()})
                taken.update(table + ([label] if label else []))
            label = ""
        elif _KEYS_LABEL.match(text):
            label, last = text, 0
        elif found := block_keys(text):
            keys.update({("", n): key for n, key in found.items()})
            taken.add(text)
            label = ""
        elif (sectioned := section_keys(text)) is not None:
            kind, found, why = sectioned
            keys.update({(kind, n): key for n, key in found.items()})
            explanations.update({(kind, n): text for n, text in why.items()})
            taken.add(text)
            label = ""
        elif label and (m := _KEY_LINE.match(text)):
            last = int(m.group(1))
            keys[("", last)] = m.group("key").upper() if m.group("key").isascii() else m.group("key")
            if m.group("why"):
                explanations[("", last)] = _balanced(m.group("why"))
            taken.update((label, text))
            entry = True
        elif label and last and (line.text[:1].isspace() or (in_entry and not text.startswith("#"))):
            # the explanation of the key above: indented under it, or the rest of its paragraph
            explanations[("", last)] = (explanations.get(("", last), "") + "\n" + _balanced(_LIST_ITEM.sub("", text))).strip()
            taken.add(text)
            entry = True
        else:
            label = ""
    return KeyBlock(keys, explanations, frozenset(taken)) if len(keys) >= 2 else None


_TABLE_NUMBER = re.compile(r"^(?:第\s*+)?(\d{1,3})(?:\s*+题)?$")
_TABLE_LABEL = re.compile(r"答案|(?i:\b(?:answer|key)s?\b)")
_TABLE_KEY = re.compile(r"^(?:\*\*)?([A-HＡ-Ｈ]++|[√×✓✗✔✘]|对|错|正确|错误|(?i:true|false))(?:\*\*)?$")


def table_keys(rows: list[list[str]]) -> tuple[dict[int, str], dict[int, str]]:
    """(keys, explanations) by question number of a key table: a column of numbers beside
    a column of keys, and an explanation column if there is one (`| 1 | B | … |` under
    `| 题号 | 答案 | 解析 |`: a column its header names an explanation), or a row of numbers over a row of keys (`| 题号 | 1 | 2 |` /
    `| 答案 | B | A |`); ({}, {}) when the table is anything else, or names no key in its
    header row or first column (a table of numbers and grades inside an answer stays there)."""
    if not rows or not any(_TABLE_LABEL.search(cell) for cell in rows[0] + [r[0] for r in rows if r]):
        return {}, {}
    body = rows[1:]
    if len(body) >= 2 and all(len(r) >= 2 and _TABLE_NUMBER.match(r[0]) and _TABLE_KEY.match(r[1]) for r in body):
        keys = {int(_TABLE_NUMBER.match(r[0]).group(1)): _TABLE_KEY.match(r[1]).group(1) for r in body}
        explained = len(rows[0]) > 2 and _EXPLANATION_LABEL.match(rows[0][2] + "：") is not None
        why = {int(_TABLE_NUMBER.match(r[0]).group(1)): r[2] for r in body if explained and len(r) > 2 and r[2]}
        return keys, why
    for numbers, letters in zip(rows, rows[1:], strict=False):
        numbers, letters = numbers[1:], letters[1:]  # the first cells name the rows
        if (len(numbers) >= 2 and len(numbers) == len(letters) and all(_TABLE_NUMBER.match(n) for n in numbers)
                and all(_TABLE_KEY.match(x) for x in letters)):
            return {int(_TABLE_NUMBER.match(n).group(1)): _TABLE_KEY.match(x).group(1)
                    for n, x in zip(numbers, letters, strict=True)}, {}
    return {}, {}


def _balanced(text: str) -> str:
    """Text cut out of a bold span (`**B. 预测价格。**` after its key): without the stray `**`."""
    text = text.strip()
    if text.count("**") % 2:
        text = text.removesuffix("**").strip() if text.endswith("**") else text.replace("**", "", 1).strip()
    return text


# a key in brackets after its question's number, perhaps with why: "1(c)", "3（B）", "1(False - it only …)"
_BRACKETED_GROUP = re.compile(rf"(\d{{1,3}})\s*+[(（]\s*+(?P<key>[A-HＡ-Ｈa-h](?:\s*+[,，、]?\s*+[A-Ha-h])*+|{TRUE_FALSE_WORD})"
                              r"\s*+(?:[-–—:：,，]\s*+(?P<why>[^()（）\n]*+(?:[(（][^()（）\n]*+[)）][^()（）\n]*+)*+))?[)）]")
_LETTER_KEYS = re.compile(r"[A-HＡ-Ｈa-h ,，、]++")
# a key line labelled by its quiz section: "- **Multiple Choice:** 1(c), 2(c)", "判断题：1(对) 2(错)"
_SECTION_KEYS = re.compile(r"^(?:[-*+]\s++)?(?:\*\*|__)?(?P<label>[^:：*_\n]{2,40}?)\s*+(?:\*\*|__)?\s*+[:：]\s*+(?:\*\*|__)?\s*+"
                           r"(?P<keys>\d.*)$")


def section_keys(text: str) -> tuple[str, dict[int, str], dict[int, str]] | None:
    """(kind, keys, explanations) of one key line labelled by the quiz section it keys
    (`quiz_section` names the label's kind) and made of bracketed keys after numbers alone,
    or of key groups (`block_keys`); None for any other line."""
    m = _SECTION_KEYS.match(text)
    if m is None or not (kind := quiz_section(m.group("label"))):
        return None
    groups = list(_BRACKETED_GROUP.finditer(m.group("keys")))
    if not groups:
        found = block_keys(m.group("keys"))
        return (kind, found, {}) if found else None
    if _BLOCK_REST.sub("", _BRACKETED_GROUP.sub("", m.group("keys"))):
        return None  # other text among them: no key line
    keys = {int(g.group(1)): (key.upper() if _LETTER_KEYS.fullmatch(key := g.group("key")) else key) for g in groups}
    why = {int(g.group(1)): g.group("why").strip() for g in groups if g.group("why") and g.group("why").strip()}
    return kind, keys, why


def block_keys(text: str) -> dict[int, str]:
    """The keys of one line of a key block, or {} when the line is anything else."""
    text = _KEY_PREFIX.sub("", text)
    groups = list(_BLOCK_GROUP.finditer(text))
    if not groups or _BLOCK_REST.sub("", _BLOCK_GROUP.sub("", text)):
        return {}
    keys: dict[int, str] = {}
    for m in groups:
        first, last, letters = int(m.group(1)), int(m.group(2) or m.group(1)), m.group(3)
        if last == first:
            keys[first] = letters
        elif last > first and len(letters) == last - first + 1:
            keys.update({first + k: letter for k, letter in enumerate(letters)})
        else:
            return {}
    return keys


_BOLD_KEYED = 3  # questions whose listed options set some in bold, that make bold the document's key mark


def _marks_keys_in_bold(cards: list[Card]) -> bool:
    """Whether a document marks its keys by setting options in bold: several of its
    questions list options, some but not all of them in bold ("加粗为答案")."""
    marked = 0
    for card in cards:
        split = listed_options(card.answer) or split_choices(card.answer, "A")
        if split is not None:
            bold = sum(is_bold for _, _, is_bold in split[1])
            marked += 0 < bold < len(split[1])
    return marked >= _BOLD_KEYED


_ITEM_NUMBER = re.compile(r"^\s*+(\d{1,3})[.)、．]\s", re.M)


def _keys_own_items(card: Card, block: KeyBlock) -> bool:
    """Whether a key block is one card's own answer: it stands in that card's answer and keys
    the items numbered in its question (a matching exercise: statements 1–7 on the front,
    `1. A` … `7. C` under its solution label), not the document's numbered questions."""
    numbered = {int(n) for n in _ITEM_NUMBER.findall(card.question)}
    answer = {line.strip() for line in card.answer.split("\n")}
    return (len(numbered) >= 2 and block.lines <= answer
            and {number for _, number in block.keys} <= numbered)


def classify_document(cards: list[Card], lines: list[SourceLine]) -> list[Card]:
    """`classify` over the cards of one document (its cleaned `lines`): a key block gives
    each numbered question the key (and explanation) it does not state, and leaves the
    answer it stood in."""
    bold_keys = _marks_keys_in_bold(cards)
    block = key_block(lines)
    if block is not None and any(_keys_own_items(card, block) for card in cards):
        block = None
    if block is None:
        return [classify(card, bold_keys=bold_keys) for card in cards]
    text_at = {line.number: line.text for line in lines}
    out = []
    for card in cards:
        if text_at.get(card.sources[0].first, "").strip() in block.lines:
            # a key entry read as a question ("**Q1. Answer: B**" + why): its key and explanation
            # are its question's now
            out.append(replace(card, status="dropped", notes=[*card.notes, KEY_ENTRY]))
            continue
        lines_in = card.answer.split("\n")
        kept = [line for line in lines_in if line.strip() not in block.lines and not block_keys(line)]
        answer = card.answer if len(kept) == len(lines_in) else "\n".join(kept).strip("\n")
        found = _QUESTION_NUMBER.match(text_at.get(card.sources[0].first, ""))
        key, why = block.lookup(quiz_section(card.section), int(found.group(1)) if found else 0)
        card = replace(card, answer=answer)
        keyed = replace(card, answer=f"{answer}\n\n解析：{why}".strip()) if why else card
        keyed = classify(keyed, key, bold_keys)
        # a key and its explanation belong to a quiz question, not to a step numbered alike
        out.append(keyed if keyed.type != "basic" else classify(card, bold_keys=bold_keys))
    return out
