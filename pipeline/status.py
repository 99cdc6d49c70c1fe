"""Which cards may reach the deck: `ok` only with a real answer (not nothing, not only
links, images or a reference label), for a choice card a stated key, for a cloze card
a key for each of its blanks."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from .extract.base import strip_answer_label
from .model import Card, SourceLine
from .text import (CREDIT_LINE, LEAD_IN, REFERENCE_LABEL, REFERENCES_LABEL, asks_outright, blank_marks, ends_with_question_mark, fold,
                   introduces, is_link_only, link_free, strip_list_marker, unbold)

_MIN_ANSWER = 2  # folded characters
_TITLE_ONLY = re.compile(r"^\s*+(?:\*\*|__)[^*_\n]++(?:\*\*|__)\s*+$")  # a line that is a bold title alone
TEMPLATE_BLANK = "the answer repeats word for word under other questions of its source: a template's blank"
LABEL_FRONT = "the question repeats word for word over other answers of its source: a label, not the question"
EMPTY_ANSWER = ("the page leaves this question's answer label empty (and the label after it), where it fills it for "
                "other questions: no answer")
# what is left of a line beside its page references when it only names them: a short
# label without clause punctuation ("AdaGrad：", "多任务学习")
_REFERENCE_NAME = re.compile(r"^[\s;；,，、.。]*+[^，。；;,.!?！？\n]{0,16}?[:：]?[\s;；,，、.。]*+$")
_SECTION_NUMBER = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3})++(?![\w.])")  # "3.10" beside a page reference names a place too
_LIST_NUMBER = re.compile(r"^\s*(?:[-*+•]\s*|\d+[.)、]\s*|\[[ xX]?\]\s*)+")
# page and chapter references ("p24-p25", "p147 页底", "`Chapter 7.5`", "第 8 章") point at an
# answer elsewhere
_PAGE_REFERENCE = re.compile(r"\b[pP]{1,2}\.?\s*+\d+(\s*+[-–~,、/]\s*+[pP]?\.?\s*+\d+)*(?:\s*+页[底首]?)?"  # *+: no quadratic split
                             r"|`?\b(?:chapter|ch\.|section|sec\.|§)\s*+\d+(?:\.\d+)*+(?:\s*+[-–~;；,，]\s*+\d+(?:\.\d+)*+)*+\.?`?|第\s*+\d+(?:\.\d+)*\s*+[章节]", re.I)
# a line that only cites a book's section ("> 《深度学习》 15.3 半监督…", "> 《DL》 6.4 - 架构设计")
_CITATION = re.compile(r"^[>\s]*+《[^》\n]{1,40}》\s*+(?:ch\.?\s*+)?\d+(?:\.\d+)*+\s[^。！？!?\n]{0,60}$", re.I)
# an answer that only sends the reader to another question's ("同 Q13", "见上题", "Same as Q4.")
_SAME_AS = re.compile(r"^\s*+(?:同|见|参见|详见|same\s++as|see)\s*+(?:上题|上一题|前一题|上|前题|(?:question\s*+|Q\s*+|第\s*+)\d{1,3}\s*+题?)"
                      r"\s*+[。.]?\s*+$", re.I)
# a line that only names the file or document holding the answer ("代码见shuffle.py", "See
# solution.ipynb", "见 2019_interview_notes", "详见 notes/cnn.md"): it is not on the page. A name
# without a file's extension is a word joined by "_", "/" or "." with a letter in it ("在 0.5" is a value)
_FILE_POINTER = re.compile(r"^\s*+(?:代码|实现|答案|解答|详情|code|solution|answer)?\s*+(?:见|参见|详见|请见|请看|参考|在|see|in)\s*+[:：]?\s*+"
                           r"`?(?:[\w./-]{1,80}\.(?:py|ipynb|md|pdf|cpp|cc|c|h|java|js|ts|m|r|txt|html?)"
                           r"|(?=[\w./-]*[_/.]\w)(?=[\w./-]*[A-Za-z])[\w./-]{1,80})`?\s*+[。.,，;；]?\s*+$", re.I)
# an author's note, opening a line, that no answer was found ("这个问题没找到答案，…", "No answer yet."):
# the author's voice (the question, the author or nobody before it, the note ends its clause),
# not a sentence about a model that "找不到答案" / "没找到答案时…"
_NOT_FOUND = re.compile(r"^\s*+(?:(?:这个?问题|这道?题|此题|本题|该题|我|笔者|作者)?\s*+(?:暂时|目前|还|仍|也)?\s*+"
                        r"(?:(?:没有?|未|尚未)找到|找不到|暂无)(?:答案|解答)(?=\s*+(?:[，,。.;；!！：:]|$))"
                        r"|(?:no|not yet an?) answer (?:yet|found|so far))", re.I | re.M)
# an answer that opens by saying its author could not work it out ("A：没想明白。", "我不太清楚。"):
# the first clause, ended there (a sentence that goes on about a model that "不知道…" answers)
_UNSURE = re.compile(r"^\s*+(?:(?:A|答)\s*+[:：]\s*+)?(?:e?m{2,}+[，,。.…\s]*+)?(?:这个?|这题|这道题)?(?:我|笔者|作者)?\s*+"
                     r"(?:暂时|目前|还是?|也)?\s*+(?:(?:没有?|未)想(?:明白|清楚|通)|不(?:太|是很)?(?:清楚|知道|懂|会))\s*+[，,。.;；!！]?\s*+$")
# an item of a matching exercise's key ("2. A": item 2 goes with A), not the label "A" alone
_KEYED_ITEM = re.compile(r"^\s*+\d{1,3}[.)、]\s*+[A-Ha-h]\s*+$")
# asides in brackets: the writer's narration in an interview log ("（这个题很简单，一遍过）"), in words
# (a bracketed value, "(8, 3).", answers)
_ASIDE = re.compile(r"[(（][^()（）\n\u4e00-\u9fff]*+[\u4e00-\u9fff][^()（）\n]*+[)）]")
# what is left of an answer that only acknowledges, once its asides are out ("好的", "嗯，了解", "OK"): no answer
_ACKNOWLEDGED = re.compile(r"^[\s，,。.!！~～]*+(?:(?:好的?|嗯+|哦+|ok(?:ay)?|了解|知道)[\s，,。.!！~～]*+)*+$", re.I)
# what is left of a line that points to a link for its answer, once the link is taken out
_POINTER_WORDS = re.compile(r"^\s*+(?:[-*+]\s++)?(?:在|见|详见|参见|参考|请看|可以看|具体见)?\s*+(?:里面?|中|一文中?|这篇文章?中?)?\s*+"
                            r"(?:有|已经?)?\s*+(?:详细|具体|更多)?的?(?:介绍|说明|讲解|解释|讨论|描述)过?\s*+[。.]?\s*+$|"
                            r"^\s*+(?:[-*+]\s++)?(?:see|refer to|read|check)\s++(?:for\s++(?:more\s++)?(?:details|information))?\s*+\.?\s*+$", re.I)
# a task's status written where an answer would go ("Done", "NOT DONE", "已完成"): it says the
# author did the exercise, not what the answer is
_STATUS_ONLY = re.compile(r"^\s*+(?:(?:not\s++(?:yet\s++)?)?(?:done|completed?|finished|skipped)|(?:已|未|没有?)完成|已做|未做)\s*+[.。!！]?\s*+$", re.I)
# placeholders authors leave where an answer will go
# (and the filler a 面经 writes for an answer it does not give: "balabala", "blah blah", "巴拉巴拉")
_PLACEHOLDER = re.compile(r"\b(to[ -]?do|tbd|tba|wip|coming soon|to be (?:continued|concluded|added|done)|b[abl]{5,}|blah(?: blah)+)\b|"
                          r"待补充|待完善|待更新|待[回解]答|待续|未完待续|暂无|暂缺|空缺|(?<![\u4e00-\u9fff])略(?![\u4e00-\u9fff])|巴拉巴拉|吧啦吧啦", re.I)


def only_asks(answer: str) -> bool:
    """An answer made only of further questions ("- 简单介绍下TF-IDF算法") answers nothing."""
    lines = [_LIST_NUMBER.sub("", line).strip("（）() ") for line in answer.split("\n") if line.strip()]
    return bool(lines) and all(asks_outright(line) for line in lines)


# items a scraped page ran together on one line ("• What is RAG? • Why chunk?"): each is a line
_INLINE_ITEM = re.compile(r"(?:^|\s)[•▪●◦]\s")
_SENTENCE_END = re.compile(r"[.。!！?？]\s*+[)）]?$")
_BANK_ASKS = 5  # questions in an answer that can make it a bank of questions …
_BANK_SHARE = 0.8  # … when they are this share of its sentences
_FENCED = re.compile(r"^ {0,3}(`{3,}|~{3,})[^\n]*+\n.*?^ {0,3}\1[ \t]*+$", re.M | re.S)


def lists_questions(answer: str) -> bool:
    """An answer that is a bank of further questions, not an answer ("Question bank" over a
    hundred `• What is …?` items, grouped under titles): at least `_BANK_ASKS` of its lines
    (and of the items a line runs together after bullets) end in a question mark, and they
    are at least `_BANK_SHARE` of those that end a sentence (titles end none). An answer that
    asks a few questions on its way ("Why? Because …") is mostly sentences that do not ask, and
    one shown in a code block (a checklist of "Check data: Are labels correct?") is content."""
    if answer.count("?") + answer.count("？") < _BANK_ASKS:
        return False  # (the common case, asked of every answer several times a build)
    answer = _FENCED.sub("", answer)
    items = [item.strip() for line in answer.split("\n") for item in _INLINE_ITEM.split(line) if item.strip()]
    sentences = [item for item in items if _SENTENCE_END.search(item)]
    asking = sum(ends_with_question_mark(item) for item in sentences)
    return asking >= _BANK_ASKS and asking >= _BANK_SHARE * len(sentences)


def _without_link_lead_in(answer: str) -> str:
    """`answer` without a last line of text that only introduces the links after it ("The
    series gives an approximation:" / "[[Answer]](…)"): it points at an answer elsewhere. A
    line that introduces an image stays (the card shows the image)."""
    lines = answer.split("\n")
    filled = [k for k, line in enumerate(lines) if line.strip()]
    last = next((k for k in reversed(filled) if not is_link_only(lines[k])), None)
    after = "\n".join(lines[last + 1:]) if last is not None else ""
    if last is None or not after.strip() or "![" in after or not introduces(lines[last]):
        return answer
    return "\n".join(lines[:last] + lines[last + 1:])


_HARD_BREAK = re.compile(r"(?<!\\)\\$", re.M)  # a backslash line break: no text of the answer's


def has_real_answer(answer: str) -> bool:
    answer = _HARD_BREAK.sub("", answer)
    # a link may wrap over the lines of its paragraph: pointers ("请参考[…](…)") are found
    # paragraph by paragraph, then line by line
    lines = [line for paragraph in re.split(r"\n\s*\n", _without_link_lead_in(answer)) if not is_link_only(paragraph)
             for line in paragraph.split("\n") if not is_link_only(line)]
    # further questions and a link to where they are answered answer nothing; where the author
    # notes that no answer was found, what is there are leads (related questions, links)
    # a line that points to a link for its answer ("在[微调笔记](…)里面有详细介绍。", "See [the
    # notes](…) for details.") is a pointer: the answer is there
    joined = "\n".join(line for line in lines
                        if ("](" not in line and "http" not in line) or (free := link_free(line)) == line
                        or not _POINTER_WORDS.match(free))
    if joined.strip() and all(_TITLE_ONLY.match(line) for line in joined.split("\n") if line.strip()):
        return False  # sub-headings with nothing under them ("**Basic Questions**" …) title nothing
    free = link_free(joined)
    # (placeholders between them hold no answer either: "- [ ] TODO" / "…为什么…？" / "- [ ] TODO")
    asked = "\n".join(line for line in free.split("\n") if fold(_PLACEHOLDER.sub("", _LIST_NUMBER.sub("", line))))
    first = next((line for line in free.split("\n") if line.strip()), "")
    if (only_asks(asked) or lists_questions(free) or _NOT_FOUND.search(joined) or _UNSURE.match(first)
            or _STATUS_ONLY.match(unbold(free)) or _ACKNOWLEDGED.match(_ASIDE.sub("", _PLACEHOLDER.sub("", free)))):
        return False
    kept = []
    cited = False  # inside a list of references
    for line in free.split("\n"):
        titled = bool(_TITLE_ONLY.match(line))
        keyed = _KEYED_ITEM.match(line) is not None
        line = _PLACEHOLDER.sub("", _LIST_NUMBER.sub("", line))
        line, references = _PAGE_REFERENCE.subn("", line)
        if REFERENCES_LABEL.match(line):
            cited = True  # what follows a references label ("**REFERENCES:**") is a list of references …
            continue
        if cited:
            # … up to a bold title, which opens a part of the answer ("参考链接：" / links / "**什么是…？**" / …)
            cited = not titled
            continue
        if (REFERENCE_LABEL.match(line) and not keyed) or _CITATION.match(line) or LEAD_IN.match(line):
            continue  # a lead-in ("Links to refer:") introduces what follows; alone it answers nothing
        if references and _REFERENCE_NAME.match(_SECTION_NUMBER.sub("", line)):
            continue  # "AdaGrad: p187", "平移等变性：p205页底": what is left of the line names the reference
        if CREDIT_LINE.match(line):
            continue  # "Source: Prof. X, University Y": whose figure it was, not an answer
        if _SAME_AS.match(line) or _FILE_POINTER.match(line):
            continue  # "同 Q13", "same as question 4", "代码见 a.py": the answer is elsewhere
        kept.append(line)
    return len(fold("\n".join(kept))) >= _MIN_ANSWER


def _label_line(text: str) -> bool:
    """Whether a line is a field label alone: a bold title ("**知识点归纳**") or a lead-in ending
    in a colon ("**解析：**", "参考：")."""
    line = strip_list_marker(text).strip()
    return bool(_TITLE_ONLY.match(line) or LEAD_IN.match(unbold(line)))


def _answer_field(texts: list[str]) -> bool | None:
    """Of a question's source lines (`texts`, its own first): whether the first answer label
    among them holds an answer (True), is left empty (False: nothing after it on its line, and
    the next label is an empty answer label too, "**答案：**" / "**解析：**" / "**知识点**", or
    nothing follows), or there is none (None)."""
    filled = [t for t in texts if t.strip()]
    for k, text in enumerate(filled):
        rest = strip_answer_label(text)
        if rest == text:
            continue
        if rest.strip(" *_"):
            return True
        after = filled[k + 1:]
        if not after:
            return False
        following = strip_answer_label(after[0])
        return not (following != after[0] and not following.strip(" *_")
                    and (len(after) == 1 or _label_line(after[1])))
    return None


def assess(card: Card) -> Card:
    """The card with its status: `dropped` stays; a basic card is `ok` with a real answer,
    else `needs_answer`, and `needs_review` when its front is a label (LABEL_FRONT); a choice or true/false card is `ok` with a key, a cloze card with
    one non-empty key per blank of its question, else `needs_review`."""
    if card.status == "dropped":
        return card
    if card.type == "basic":
        blank = TEMPLATE_BLANK in card.notes or EMPTY_ANSWER in card.notes
        status = "ok" if has_real_answer(card.answer) and not blank else "needs_answer"
        status = "needs_review" if LABEL_FRONT in card.notes else status
    elif card.type == "cloze":
        keyed = len(card.blanks) == len(blank_marks(card.question)) and all(fold(b) or b.strip() for b in card.blanks)
        status = "ok" if keyed else "needs_review"
    else:
        status = "ok" if card.correct else "needs_review"
    return replace(card, status=status)


_TEMPLATE_REPEATS = 3  # basic cards of one document with the same short answer: a template's blank
_TEMPLATE_ANSWER = 60  # folded characters


def assess_document(cards: list[Card], lines: list[SourceLine] = ()) -> list[Card]:
    """The cards of one document, each assessed; a short answer that repeats word for word
    under three or more questions ("Your answer here.", "待补充") is the blank of a template,
    no answer: those cards get the TEMPLATE_BLANK note and are `needs_answer` (an edit of
    the answer takes the note away). Mirrored, a front that repeats word for word over three
    or more different answers under one topic ("Click to reveal", "解析") is a label the page puts before
    each answer: those cards get the LABEL_FRONT note and are `needs_review` (an edit of the
    question takes it away), and dedup keeps them apart. Where the document (its cleaned
    `lines`) fills the answer label of some questions ("**答案**：A") and leaves it empty for
    others, an empty answer label followed by an empty explanation label ("**答案：**" /
    "**解析：**" / "**知识点归纳**" …) marks a question the author has not answered: those cards
    get the EMPTY_ANSWER note and are `needs_answer` (an edit of the answer takes it away)."""
    text_at = {line.number: line.text for line in lines}
    fields = [_answer_field([text_at.get(n, "") for n in range(c.sources[0].first, c.sources[0].last + 1)])
              if c.type == "basic" and c.sources and text_at else None for c in cards]
    empty = True in fields and False in fields  # the page fills some answer labels and leaves others empty
    # (answer, question, topic) of each basic card, folded once
    folded = [(fold(c.answer), fold(c.question), fold(c.topic)) if c.type == "basic" else None for c in cards]
    answered = {f for f in folded if f is not None and f[0]}
    # under different questions: one question repeated with its answer is a duplicate, no template
    counts = Counter(a for a, _ in {(a, q) for a, q, _ in answered})
    blanks = {a for a, n in counts.items() if n >= _TEMPLATE_REPEATS and len(a) <= _TEMPLATE_ANSWER}
    # under one topic: "基本原理" under each of "逻辑回归", "决策树" … is a question in its section
    fronts = Counter((q, t) for _, q, t in answered)
    labels = {key for key, n in fronts.items() if n >= _TEMPLATE_REPEATS}
    out = []
    for c, f, field in zip(cards, folded, fields, strict=True):
        notes = c.notes if f is None else [*c.notes, *([TEMPLATE_BLANK] if f[0] in blanks else []),
                                           *([LABEL_FRONT] if f[1:] in labels else []),
                                           *([EMPTY_ANSWER] if empty and field is False else [])]
        out.append(assess(replace(c, notes=notes) if notes != c.notes else c))
    return out
