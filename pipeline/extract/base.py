"""The record a layout detector returns, and how question and topic text is tidied."""
from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from ..text import TRUE_FALSE_PROMPT, continues_sentence, hard_wrapped, link_text, unbold, undecorated
from .lines import Line, next_content, parse_numbering


# a boundary ends the answer above it and titles nothing: an item of a list of questions that
# does not ask is never part of its sibling's answer
# an answer mark opens the answer of a question further up (`Mark.target`), given by its number
Role = Literal["question", "topic", "boundary", "answer"]

# a layout is a pattern of siblings a good share of which ask ("- dropout：做法，用处" beside
# "- 什么样的数据集不适合…？"), not one asking line among notes
ASKING_SHARE = 0.4


@dataclass
class Mark:
    """A line a detector claims as the start of a question or a topic."""

    index: int
    role: Role
    text: str
    layout: str
    asks: bool  # worded as a question: what scores a detector against the others
    answer: str = ""  # answer text on the question's own line ("- prompt: answer")
    carry: str = ""  # text before the question on its line that closes the previous answer
    continues: bool = True  # the answer runs on over the following lines
    # heading level, for heading marks; a bare title between heading questions stands half a
    # level above those it titles
    level: float = 0
    # lines the question takes: a stem's premise lines before its asking line; 0 for an answer
    # mark whose answer starts on its own line
    span: int = 1
    target: int = -1  # of an answer mark: the line index of the question it answers


# Possessive space runs (*+) where plain ones side by side were tried in every split; link
# labels and targets stop at "[", a trail holds at most 8 links and starts where a run of
# spaces does, so that the search from every "[" or space of a line does not run on to its end.
_LABEL = re.compile(r"^\s*+(?:(?:Q(?:uestion)?\s*+(?:\d++(?:\.\d++)*+)?|(?:子问题|问题?)\s*+(?:\d++(?:\.\d++)*+)?|题目\s*+\d*+|追问\s*+\d*+|follow[- ]?up\s*+\d*+"
                    r"|(?:problem|exercise|习题|练习|step)\s*+\d{1,3}(?:\.\d{1,3})?|第\s*+[一二三四五六七八九十\d]{1,3}\s*+步)"
                    r"\s*+(?:[:：、]|[.．](?!\d))|Q\d{1,3}\s*+[-—–]"
                    r"|(?-i:Q\d{1,3}\s*+(?=[A-Z][a-z]|【)))\s*+", re.I)  # "Q2 How …", "Q1 【基础】…", not "Q13 的结论…"
# (an image's "![](…)" is no link: the figure a question shows stays on its front)
_TRAILING_LINKS = re.compile(r"(?<!\s)(\s*+(?<!!)\[\[[^\[\]]*+\]\([^)\[]*+\)\]){1,8}\s*+$"
                             r"|(?<!\s)(\s*+(?<!!)\[\[[^\[\]]{0,12}\]\]\([^)\[]*+\)){1,8}\s*+$"
                             r"|(?<!\s)(\s*+(?<!!)\[[^\[\]]{0,12}\]\([^)\[]*+\)){1,8}\s*+$")
_QUOTED = re.compile(r'^["“「『](.*)["”」』]$')  # a question written in quotes
# an answer label after the question on its own line: "…的影响。答：…", "…？ A: …"
_INLINE_ANSWER = re.compile(r"(?<=[。？?！!.])(?:\*\*|__)?\s*+(?:(?:\*\*|__)\s*+)?(?:答案|答|回答|A|Answer)\s*+(?:(?:\*\*|__)\s*+)?[:：]\s*+"
                            r"(?:(?:\*\*|__)\s*+)?")


# a question in bold that opens its line and ends its sentence, its answer after it on the line:
# "1. **What is a convolution?** A kernel sliding over …" ("**BN** 是…" is a bold term, no question)
_BOLD_LEAD = re.compile(r"^(\s*+(?:[-*+]\s++|\d{1,3}[.．、)]\s*+)?)(\*\*|__)(?!\s*+(?:Q\s*+)?\d{1,3}\s*+[.．、:：]\s*+\2)"
                        r"([^*_\n]+?[?？.。:：])\2\s*+(\S.*)$")  # (a bold number, "**1.** …", labels a question)


ARROW = r"(?:->|→|=>|⇒)"  # what points from a question or statement to its answer

# an answer in brackets after its question, labelled: "…词表多大？（答：几万。）", "…? (A: about 0.25)",
# or after an arrow: "- "KV Cache 占多少显存？" → 64MB per layer"
# (no bracket inside the answer: a lazy run before the closing one was quadratic in a long line)
_BRACKETED_ANSWER = re.compile(r"(?<=[。？?！!.])\s*+[（(]\s*+(?:答案|答|A|Answer)\s*+[:：](?P<answer>[^\n（）()]++)[）)]\s*+[。.]?\s*+$"
                               r"|(?:(?<=[？?][\"”」』])|(?<=[？?]))[ \t]*+"
                               rf"{ARROW}[ \t]*+(?P<arrowed>\S[^\n]*+)$", re.I)


# a true/false key in brackets that ends a statement to judge: "…的梯度为 0。（ √ ）", "…（错）"
_BRACKETED_KEY = re.compile(r"(?<=\S)\s*+[（(]\s*+(?P<answer>√|×|✓|✗|✔|✘|对|错|正确|错误)\s*+[）)]\s*+$")


def bracketed_key(text: str) -> tuple[int, str] | None:
    """(where it starts, the key) of the true/false key in brackets that ends a statement
    ("…为 0。（ √ ）"), or None."""
    m = _BRACKETED_KEY.search(text)
    return None if m is None else (m.start(), m.group("answer"))


def bracketed_answer(text: str) -> tuple[int, str] | None:
    """(where it starts, the answer) of the labelled answer in brackets that ends `text`
    ("…多大？（答：几万）"), or of the answer after an arrow behind its question mark ("…多大？" →
    几万"); None when there is none."""
    m = _BRACKETED_ANSWER.search(text)
    return None if m is None else (m.start(), (m.group("answer") or m.group("arrowed")).strip())


def labels_inline_answer(text: str) -> bool:
    """Whether `text` carries a labelled answer after its question ("…？答：…", "…？（答：…）")."""
    m = _INLINE_ANSWER.search(text)
    return bracketed_answer(text) is not None or (m is not None and bool(text[m.end():].strip()))


def split_inline_answer(text: str) -> tuple[str, str]:
    """(question, answer) of a line that carries both ("…的影响。答：…", "…多大？（答：几万）",
    "**What is X?** It is …", a statement and its true/false key "…为 0。（√）"), else (text, "")."""
    if (bracketed := bracketed_answer(text) or bracketed_key(text)) is not None:
        return text[:bracketed[0]], bracketed[1]
    m = _INLINE_ANSWER.search(text)
    if m is not None and text[m.end():].strip():
        return text[:m.start()], text[m.end():].strip("*_ ")
    if (lead := _BOLD_LEAD.match(text)) is not None and not TRUE_FALSE_PROMPT.fullmatch(lead.group(4)):
        return lead.group(1) + lead.group(3), lead.group(4).strip()  # ("**…** (True / False)" asks to judge it)
    return text, ""
# a difficulty or kind tag before the question: "[M] …", "【基础】…" (a short word in lenticular brackets)
_DIFFICULTY = re.compile(r"^\s*(?:\[(E|M|H|easy|medium|hard)\]|【[^【】\s]{1,6}】)\s*", re.I)
# a difficulty rating after the question: "…的利弊***", "…？ ★★"; stars that end the text
# rate it when no other star is in it (else they close an emphasis: "3. **…的作用**")
_RATING = re.compile(r"^[^*]*?[^*\s]\*{1,5}\s*+$|[★☆⭐]{1,5}\s*+$")


_STARS = re.compile(r"(?<!\s)\s*+[★☆⭐]{1,5}\s*+$")  # a rating in stars that ends a question (one start per space run)
# the marks an exam gives a question, after it: "…？（5 分）", "… (10 points)", "… [2 marks]"
_POINTS = re.compile(r"(?<!\s)\s*+[(（\[]\s*+\d{1,3}(?:\.\d)?\s*+(?:分|points?|pts?\.?|marks?)\s*+[)）\]]\s*+$", re.I)


def rated(text: str) -> bool:
    """Whether a question carries a difficulty tag or rating ("[M] …", "…***", "… ★★")."""
    return bool(_DIFFICULTY.match(text)) or bool(_RATING.search(text.strip()))


def strip_numbering(text: str) -> str:
    numbering = parse_numbering(text)
    return numbering.rest if numbering else text.strip()


TASK_BOX = re.compile(r"^\s*\[[ xX]\]\s*")  # a checklist box


_LETTER_LABEL = re.compile(r"^[a-h][.．、)]\s++(?=\S)")
# a number set off by a full-width comma before a question ("3，说一说 LSTM？"): its label, though
# no numbering style of a list (answers number their points so too, and "2，4，8" is a series)
_COMMA_NUMBER = re.compile(r"^\d{1,3}，(?!\s*+\d)\s*+")


@lru_cache(maxsize=1 << 16)  # the detectors ask it of the same lines again and again (pass after pass:
# a cache smaller than a long page missed on every line of it)
def question_text(text: str) -> str:
    """A question as it belongs on a card front: no number, label, task box, bold marks or
    trailing source links."""
    if text.lstrip().startswith(("**", "__")) and (n := parse_numbering(text)) and n.style == "bold_no":
        text = n.rest  # "**4-2** …": the bold number goes with its bold
    text = undecorated(TASK_BOX.sub("", unbold(text)).strip())
    unnumbered = undecorated(strip_numbering(text))  # "1. 🧠 …" too
    numbered, text = unnumbered != text, unnumbered
    text = _LABEL.sub("", text)
    text = _DIFFICULTY.sub("", _POINTS.sub("", _STARS.sub("", text)))
    # (a numbered item whose title is a link and nothing else, "### 8、[SSD](…)", is its link's
    # text; a link alone, with no number of its own, points to a question answered elsewhere)
    text = _TRAILING_LINKS.sub("", text).strip() or (text if numbered else "")
    text = link_text(text)  # a reader sees the link text, not its address
    text = _without_edge_marks(_ESCAPED_WRAP.sub(r"\1", text.strip())).strip()
    # an item's letter before a question ("b. BERT如何预训练？", "c) 常见的衰减方式"): a label, as a
    # number is (capitals are left: "A. …" labels an option)
    if lettered := _LETTER_LABEL.match(text):
        text = text[lettered.end():]
    text = _COMMA_NUMBER.sub("", text)
    return quoted.group(1).strip() if (quoted := _QUOTED.match(text)) else text


# emphasis marks the page escaped around the whole question ("\*\*Explain bias vs variance.\*\*"):
# shown as stars, they only set it off
_ESCAPED_WRAP = re.compile(r"^(?:\\[*_]){1,2}(?!\\)(.+?)(?:\\[*_]){1,2}$")


def _without_edge_marks(text: str) -> str:
    """`text` without the marks left at its ends: spaces, pilcrows, hashes, stars and a lone
    underscore of an emphasis, but not a run of underscores, a blank to fill ("_____ prompting
    means …"). (A loop, not a regex anchored at the end: that one is quadratic in a run of spaces.)"""
    while True:
        trimmed = text.strip(" ¶#*")
        if trimmed.startswith("_") and not trimmed.startswith("__"):
            trimmed = trimmed[1:]
        if trimmed.endswith("_") and not trimmed.endswith("__"):
            trimmed = trimmed[:-1]
        if trimmed == text:
            return text
        text = trimmed


def topic_text(text: str) -> str:
    """A topic as it titles cards: no number, bold marks, decoration, link addresses or images
    (a heading that is only an image titles nothing: "")."""
    text = undecorated(unbold(link_text(text, images=False)).strip())
    return undecorated(strip_numbering(text)).strip(" ¶#*_:：").strip()


# the bold after the colon is taken only when it closes a bold opened before the label
# ("**答案：** B"); "**答案**：\n\n**要点**…" keeps the bold that opens the answer
_ANSWER_LABEL = re.compile(r"^(?P<quote>(?:[ \t]*+>)*+)\s*+(?:[-*+]\s++)?(?P<open>\*{1,2}|_{1,2})?\s*+"
                           r"(?:(?:解析|解答|(?:参考)?(?:答案|回答|答题)要点|答案|参考答案|参考回答|答|回答|A\d{0,3}|候选人|应聘者|candidate|interviewee|(?:(?:potential|possible|sample|short|model|my|your|suggested|expected|english|chinese)\s++)?(?:answer|ans|solution)(?:\s++(?:approach|sketch|outline|steps))?)"
                           r"(?:\s*+[(（][^()（）\n]{1,12}[)）])?\s*+(?:(?P<closed>\*{1,2}|_{1,2})\s*+)?[:：]|A\d{1,3}[.．](?!\d)|Ans[.．](?=\s)"
                           r"|[【\[]\s*+(?:答案?|解析|A)\s*+[】\]]\s*+[:：]?"
                           # "*solution*" / "**Answer**" alone on its line, in emphasis: a label without a colon
                           r"|(?(open)(?:solutions?|answers?|答案|解答)[ \t]*+(?:\*{1,2}|_{1,2})[ \t]*+(?=\n|$)|(?!)))"
                           # (the bold that closes after the colon, "**答：**", not the one opening the answer: "**答**：**Adam** …")
                           r"[ \t]*+(?(open)(?(closed)|(?:(?:\*{1,2}|_{1,2})[ \t]*+)?))", re.I)


# an explanation label ("**解析**：") follows a key or a worked answer: it labels no answer of its own
EXPLANATION_LABEL = re.compile(r"^\s*+(?:[-*+]\s++)?(?:\*\*|__)?\s*+(?:解析|explanation)", re.I)


# a line that opens with an option's letter, bold or bracketed or not ("B. Adam", "(c) …", "**B** - 融合多个
# 结果"): a quiz's option or key, read line by line, never a title
OPENS_WITH_OPTION = re.compile(r"^\s*+(?:\*\*|__)?[(（]?[A-Ha-h][)）]?(?:\*\*|__)?\s*+(?:[-–—:：.．、)）]|$)")


def opens_with_answer_label(text: str) -> bool:
    """Whether the line `text` opens with an answer label ("答：…", "**Answer:**", "- 参考答案：")."""
    return _ANSWER_LABEL.match(text) is not None


def label_below(lines: list[Line], k: int, end: int | None = None) -> Line | None:
    """The first line with content at or after position `k` of `lines` (before `end`) when it
    opens with an answer label ("答：…", "**A:** …"), the answer that declares the question
    above it; None otherwise."""
    below = next_content(lines, k, end)
    return below if below is not None and opens_with_answer_label(below.text) else None


def answer_label_alone(text: str) -> bool:
    """Whether the line `text` is an answer label with nothing after it ("**答：**", "Solution:")."""
    return (m := _ANSWER_LABEL.match(text)) is not None and not text[m.end():].strip()


# a hard break the label's line ended in ("**Answer:**  "): it breaks nothing once the label is off
_LEADING_BREAK = re.compile(r"^[ \t]*+\\(?=\n)")


def strip_answer_label(text: str) -> str:
    """`text` without the answer label that opens it ("答：", "**Answer:**", "- 参考答案："). A label
    alone on its line takes its list item with it: what was nested under the item loses that
    indentation ("- 参考答案：" / "  ```python" …)."""
    m = _ANSWER_LABEL.match(text)
    if m is None:
        return text.lstrip("\n")
    rest = _LEADING_BREAK.sub("", text[m.end():])
    if (opened := m.group("open")) and not m.group("closed") and not m.group().rstrip(" \t").endswith(opened):
        # emphasis opened before the label and closing after the answer's paragraph ("*A1: …*")
        # styled the pair: it goes with the label
        cut = rest.find("\n\n") if "\n\n" in rest else len(rest)
        paragraph = rest[:cut].rstrip()
        line = rest.split("\n", 1)[0]
        if paragraph.endswith(opened) and not paragraph.endswith(opened + opened[0]) and paragraph.strip() != opened:
            rest = paragraph[:-len(opened)] + rest[cut:]
        elif len(opened) == 2 and line.count(opened) % 2 == 1:
            # … or closing inside the answer's first line ("**A: 先推一元的情形。**$y=wx+b$"): its
            # close goes with it too, not left as stars
            rest = rest.replace(opened, "", 1)
    if quote := m.group("quote").strip():
        # a label inside a quote ("> * A: …") leaves the quote: the text after it on its line stays quoted
        return f"{quote} {rest}" if rest.strip() and not rest.startswith("\n") else rest.lstrip("\n")
    if not rest.startswith("\n"):
        return rest.lstrip("\n")
    # what was nested under the label ("- Short Answer:" / "    - …") loses that indentation, up
    # to the first line back at the label's depth ("- **Formal explanation**"): left, it made code
    lines = rest.lstrip("\n").split("\n")
    nested = next((k for k, line in enumerate(lines) if line.strip() and not line[:1].isspace()), len(lines))
    return "\n".join([*textwrap.dedent("\n".join(lines[:nested])).split("\n"), *lines[nested:]]) if nested else "\n".join(lines)


_MAX_WRAPPED = 4  # lines a wrapped question runs on over: a question, not a paragraph of prose


def wrapped_lines(lines: list[Line], position: int) -> list[Line]:
    """The lines an item's first paragraph runs on over when an editor's hard wrap broke
    it ("1. 为什么交叉熵…的性能，而使" / "   用均方误差…？"): each broken line wide and
    stopping mid-sentence (`text.hard_wrapped`), the next one indented into the item, in
    the same paragraph and no structure of its own, or back at the item's margin when it goes
    on with a sentence broken off (`text.continues_sentence`: CommonMark's lazy continuation,
    "1. …how would you split the" / "data?"); [] for an item of one line. `lines` are a
    document's, `position` the item's place in them."""
    item = lines[position]
    out: list[Line] = []
    lazy = False  # a line went on with a sentence at the margin: the lines after it are the paragraph's
    while len(out) < _MAX_WRAPPED:
        last = (out or [item])[-1].source
        position += 1
        ln = lines[position] if position < len(lines) else None
        if (ln is None or ln.blank or ln.heading or ln.bullet or ln.numbering or ln.in_code or ln.bold
                or ln.quote != item.quote):
            break
        if not (hard_wrapped(last) and ln.indent > item.indent) and not lazy:
            lazy = continues_sentence(last, ln.text)
            if not lazy:
                break
        out.append(ln)
    return out
