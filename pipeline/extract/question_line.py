"""Plain lines that ask: they end in `?`/`？` (page text with no other structure).

A question glued to the end of the previous answer ("…则相加。怎么理解静态图和动态图?",
"https://…什么是海森矩阵?") is cut off at the last sentence end or URL; what stands before
it closes the previous answer. Right after a question still waiting for its answer,
a clause that states something ends that answer even at a comma
("链式法则是求复合函数导数的一种方法,什么是反向传播…?"), and an imperative prompt
("以下面公式为例,说明自动微分的过程。") is a question of its own."""
from __future__ import annotations

import re

from ..text import EN_ASK, EN_IMPERATIVE, ends_with_question_mark, fold, introduces, is_question_like
from .base import Mark, question_text, topic_text
from .bullet import split_prompt
from .lines import Line

NAME = "question_line"
_MAX_LINE = 200
_MIN_QUESTIONS = 3
_MIN_ASK = 5  # characters, with the question mark
_MIN_DENSITY = 0.04  # questions per line of text
_MAX_QUESTION = 80  # a longer sentence ending in "?" is prose that wonders, not a prompt
# a prompt is short, of one premise and its question ("除了…以外,…有哪几种?"), or asks from
# its first clause on ("画出…的图形,哪个…,…什么问题?"); a long line that reasons its way
# through several clauses to a question ("首先测试的时候，…，…，这个时候怎么办？") is an
# article's own voice
_MAX_CLAUSED = 25
_MAX_CLAUSES = 2
_CLAUSE_BREAK = re.compile(r"[,，]")


def _prompt_shaped(question: str) -> bool:
    clauses = [c for c in _CLAUSE_BREAK.split(question.strip()) if c.strip()]
    if len(clauses) > 1 and _CONNECTIVE.match(clauses[0]):
        return False
    return len(question.strip()) <= _MAX_CLAUSED or len(clauses) <= _MAX_CLAUSES or is_question_like(clauses[0])
_SPEAKER = re.compile(r"^\s*(?:\*\*|__)?[^\s*_:：?？，,。]{1,20}(?:\*\*|__)?\s*[:：]")  # "吴恩达：…" turns
_URL_PREFIX = re.compile(r"^(\s*https?://[\x21-\x7e]+?)(?=[\u4e00-\u9fff])")
_SENTENCE_END = re.compile(r"[。！!；;]")
_CLAUSE = re.compile(r"[,，]")
_ASK_START = re.compile(r"^(什么|为什么|为何|怎么|怎样|如何|哪|是否|能否|请|说明|举例)")
# an imperative prompt opens one of its clauses ("以下面公式为例,说明…。"); "最常规的解释就是…"
# only uses the word
_IMPERATIVE = re.compile(r"(?:^|[,，;；])\s*+(?:请|试)?(?:说明|简述|解释|阐述|描述|列举|推导|证明|举例|画出|写出)")
# words that carry an author's argument on ("但是…", "后来…", "那么…"): a question opening with
# one is the article's own voice, not a prompt
_CONNECTIVE = re.compile(r"^\s*+(?:但是|但|可是|不过|而且|并且|然而|所以|因此|于是|那么|然后|后来|首先|其次|再次|最后|"
                         r"其实|当然|另外|此外|同时|接下来|大家|我们|你|我)")


def _split_glued(text: str, waiting: bool) -> tuple[str, str]:
    """(carry, question): the part that closes the previous answer, and the question."""
    m = _URL_PREFIX.match(text)
    if m:
        return m.group(1), text[m.end():]
    ends = [e.end() for e in _SENTENCE_END.finditer(text[:-1])]
    if ends:
        carry, question = text[:ends[-1]], text[ends[-1]:]
        if question.strip() and not is_question_like(carry) and is_question_like(question):
            return carry, question
    if waiting:
        for clause in _CLAUSE.finditer(text):
            carry, question = text[:clause.end()], text[clause.end():]
            if _ASK_START.match(question.strip()) and not is_question_like(carry):
                return carry, question
            break
    return "", text


def _plain(ln: Line) -> bool:
    return not (ln.blank or ln.heading or ln.in_code or ln.bullet or ln.link_only)


def detect(lines: list[Line]) -> list[Mark]:
    marks = _questions(lines)
    marks = sorted(marks + _lead_labels(lines, marks) + _answered_inline(lines, marks) + _list_members(lines, marks),
                   key=lambda m: m.index)
    text_lines = sum(not ln.blank for ln in lines)
    # a page of questions, not prose that wonders now and then ("神奇吧？")
    if len(marks) < _MIN_QUESTIONS or len(marks) < text_lines * _MIN_DENSITY:
        return []
    return marks


_MIN_LISTED = 3  # questions, one per line, that make a block a list of questions


def _list_members(lines: list[Line], marks: list[Mark]) -> list[Mark]:
    """In a block of lines with no blank line between them, at least half of which are
    questions and two of those in a row (a list of questions written one per line, not
    questions each with its answer line), a line worded as a question that lacks the
    question mark ("如何看待…的趋势") is a question too, a label that opens the block
    ("Agent：") is its topic, and any other line is an item of the list that ends the answer
    above it ("系统设计"), not an answer."""
    asked = {m.index for m in marks}
    found: list[Mark] = []
    k = 0
    while k < len(lines):
        end = next((j for j in range(k, len(lines)) if lines[j].blank), len(lines))
        block = lines[k:end]
        listed = [ln.index in asked for ln in block]
        # two questions in a row: no answer line stands under every question
        if sum(listed) >= _MIN_LISTED and sum(listed) * 2 >= len(block) and any(
                a and b for a, b in zip(listed, listed[1:], strict=False)):
            for position, ln in enumerate(block):
                text = ln.text.strip()
                if ln.index in asked or not _plain(ln) or ln.numbering or len(text) > _MAX_QUESTION:
                    continue
                if position == 0 and introduces(text) and len(text) <= _MAX_LABEL:
                    found.append(Mark(ln.index, "topic", topic_text(text), NAME, False))
                elif is_question_like(question_text(text)) and not _SPEAKER.match(text):
                    found.append(Mark(ln.index, "question", question_text(text), NAME, True))
                elif ((split := split_prompt(text)) and split[2] and is_question_like(question_text(split[0]))
                      and not _SPEAKER.match(text)):
                    # a prompt with its answer after the colon ("哪一个…进行归一化：LN") among them
                    found.append(Mark(ln.index, "question", question_text(split[0]), NAME, True, answer=split[2]))
                else:
                    found.append(Mark(ln.index, "boundary", "", NAME, False))  # an item, not an answer
        k = end + 1
    return found


_MAX_LABEL = 30  # characters of a paragraph's leading label
_INLINE_QUESTION = re.compile(r"^(?P<q>[^?？]{4,80}[?？])\s*+(?P<a>\S.{9,})$")
_INLINE_PROMPT = re.compile(r"^(?P<q>[^?？.。]{4,80}[.。])\s*+(?P<a>\S.{9,})$")
_MIN_INLINE = 3  # paragraphs "question? answer" that make a layout, not one rhetorical opener


def _answered_inline(lines: list[Line], marks: list[Mark]) -> list[Mark]:
    """Paragraphs that open with a question and answer it on the same line ("What are
    weights? Weights are …", "为什么要归一化？让各维尺度相近…"), when at least three
    paragraphs of the page do so; the question opens with an interrogative or imperative
    word."""
    taken = {m.index for m in marks}
    found: list[Mark] = []
    prompts: list[Mark] = []  # "Name a few optimizers. SGD, Adam …": imperatives end in a full stop
    for k, ln in enumerate(lines):
        if ln.index in taken or not _plain(ln) or ln.numbering or (k and not lines[k - 1].blank):
            continue
        text = ln.text.strip()
        if (m := _INLINE_QUESTION.match(text)) and (_ASK_START.match(m.group("q")) or EN_ASK.match(m.group("q"))):
            found.append(Mark(ln.index, "question", question_text(m.group("q")), NAME, True, answer=m.group("a").strip()))
        elif (m := _INLINE_PROMPT.match(text)) and (_IMPERATIVE.match(m.group("q")) or EN_IMPERATIVE.match(m.group("q"))):
            prompts.append(Mark(ln.index, "question", question_text(m.group("q")), NAME, True, answer=m.group("a").strip()))
    return found + prompts if len(found) >= _MIN_INLINE else []


def _lead(lines: list[Line], k: int, opening: bool = True) -> tuple[str, str] | None:
    """(label, answer) of a line that opens a paragraph (or, not `opening`, any line) with a
    short label and a colon ("C++ 常用容器：", "深度遍历和层序遍历：栈和队列"), else None."""
    ln = lines[k]
    if not _plain(ln) or ln.numbering or ln.bold or (opening and k and not lines[k - 1].blank):
        return None
    split = split_prompt(ln.text.strip())
    if split is None or split[1] not in (":", "："):
        return None
    named = _ASIDE.sub("", split[0])  # (an aside in brackets is no part of it: "防止奖励作弊（分数高得反常，却不合人意）：…")
    if len(named) > _MAX_LABEL or _CLAUSE_PUNCTUATION.search(named):
        return None
    label, _, answer = split
    if _TIME.search(label + ":" + answer) or not _bracketed(label):
        return None  # "19：00 一面" is a time; "（核心：…）" an aside
    return label, answer


_CLAUSE_PUNCTUATION = re.compile(r"[，。；！？,;!?]")
_ASIDE = re.compile(r"[(（][^()（）]*+[)）]")
_TIME = re.compile(r"\d:\d")
_PAIRS = {"(": ")", "（": "）", "[": "]", "【": "】", "《": "》", "“": "”"}


def _bracketed(text: str) -> bool:
    """Whether every bracket opened in `text` is closed in it."""
    return all(text.count(left) == text.count(right) for left, right in _PAIRS.items())


def _lead_labels(lines: list[Line], marks: list[Mark]) -> list[Mark]:
    """In a page whose questions are mostly labels that open paragraphs ("vector和list的
    区别：…" after a blank line), the labels of the other paragraphs are its questions
    too ("linux常用命令：" / "cd ls pwd…"), unless a label repeats (a speaker, a field
    name: "面试官：", "优点："). So are the labels of a block of label lines with no blank
    line between them, one of which asks ("训练时要算哪些损失：…" / "为什么还要价值模型：…"):
    a list of prompts, each answered on its line."""
    leads = {lines[k].index: lead for k in range(len(lines)) if (lead := _lead(lines, k))}
    asked = {m.index for m in marks}
    leads.update(_label_blocks(lines, asked))
    asking_leads = sum(m.index in leads for m in marks)
    if asking_leads < 2 or asking_leads * 2 < len(marks):
        return []
    counts: dict[str, int] = {}
    for label, _ in leads.values():
        counts[label] = counts.get(label, 0) + 1
    # they are prompts by the page's shape, so they score as asking ones
    return [Mark(index, "question", question_text(label), NAME, True, answer=answer)
            for index, (label, answer) in leads.items()
            if index not in asked and counts[label] == 1 and question_text(label)]


def _label_blocks(lines: list[Line], asked: set[int]) -> dict[int, tuple[str, str]]:
    """(label, answer) by line index of the lines of each block (lines with no blank line
    between them, two or more) whose every line is a label line answered on its line, one of
    which is asked."""
    found: dict[int, tuple[str, str]] = {}
    k = 0
    while k < len(lines):
        end = next((j for j in range(k, len(lines)) if lines[j].blank), len(lines))
        if end - k >= 2 and any(lines[j].index in asked for j in range(k, end)):  # (the labels are read only then)
            block = {lines[j].index: lead for j in range(k, end) if (lead := _lead(lines, j, opening=False))}
            # (an asking label with nothing after it, "…要注意哪些：", introduces the lines under it: its answer)
            if len(block) == end - k and all(answer.strip() for _, answer in block.values()):
                found.update(block)
        k = end + 1
    return found


def _labelled(text: str) -> tuple[str, str] | None:
    """(prompt, answer) of a line that puts an asking prompt before a colon ("…的区别：…",
    "…怎么用: …"), else None. The prompt is short and asks; a label that states ("优点：")
    or names a speaker ("面试官：") is none, as it does not ask."""
    split = split_prompt(text)
    if split is None or split[1] not in (":", "："):
        return None
    prompt, _, answer = split
    return (prompt, answer) if is_question_like(question_text(prompt)) else None


def _in_items(lines: list[Line]) -> set[int]:
    """Positions of the lines indented under a list item, inside its body ("1. Consider the
    arrays a and b:" / "    What will be the shape of c?"): parts of that item. One pass,
    with a stack of the open lines by indentation."""
    inside: set[int] = set()
    stack: list[Line] = []  # non-blank lines, each less indented than the one above it
    for k, ln in enumerate(lines):
        if ln.blank:
            continue
        while stack and stack[-1].indent >= ln.indent:
            stack.pop()
        if stack and (stack[-1].bullet or stack[-1].numbering):
            inside.add(k)
        stack.append(ln)
    return inside


def _questions(lines: list[Line]) -> list[Mark]:
    marks: list[Mark] = []
    waiting = False  # the last question has no answer line yet
    in_items = _in_items(lines)
    for k, ln in enumerate(lines):
        if ln.blank or k in in_items:
            continue
        text = ln.text.strip()
        if (_plain(ln) and not ln.numbering and ends_with_question_mark(text) and len(text) <= _MAX_LINE
                and not _SPEAKER.match(text)):
            carry, question = _split_glued(text, waiting)
            if _MIN_ASK <= len(question.strip()) <= _MAX_QUESTION and _prompt_shaped(question):
                marks.append(Mark(ln.index, "question", question_text(question), NAME, True, carry=carry.strip()))
                waiting = True
                continue
        labelled = _labelled(text) if _plain(ln) and not ln.numbering else None
        # "…chmod 怎么用？" then "chmod怎么用：chmod 777 …": a label restating the waiting question opens its answer
        if labelled is not None and waiting and marks and fold(labelled[0]) in fold(marks[-1].text):
            labelled = None
        if labelled is not None:  # "vector和list的区别：vector是连续空间…"
            marks.append(Mark(ln.index, "question", question_text(labelled[0]), NAME, True, answer=labelled[1]))
            waiting = not labelled[1]
            continue
        if waiting and _plain(ln) and len(text) <= 50 and _IMPERATIVE.search(text) and not introduces(text):
            marks.append(Mark(ln.index, "question", question_text(text), NAME, False))
            continue
        waiting = False
    return marks
