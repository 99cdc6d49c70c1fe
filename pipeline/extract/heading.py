"""Markdown headings (and HTML <h1>–<h6>, rendered as Markdown) as questions.

A heading that asks something is a question. A heading that does not ask is still a
question when most of its siblings (same level, same parent) ask and it carries no
section number: "### 数据不平衡的解决方法" among "### …？" headings. Other headings
are topics, except those nested inside a question, which are part of its answer
("##### 优点" under "#### …有什么优点？"). A heading that only numbers a question
("## 第3题", "### Question 2:") is that question when a stem follows it: its premise lines
and asking line are the question's text."""
from __future__ import annotations

import re
from dataclasses import replace
from difflib import SequenceMatcher
from functools import cache, lru_cache

from ..text import (CJK, REFERENCES_LABEL, blank_marks, ends_with_question_mark, continues_sentence, fold, hard_wrapped, introduces, is_question_like,
                    join_wrapped, bare_aspect, link_free, names_aspect, quiz_section, unbold)
from . import qa_marker
from .bullet import split_prompt
from .base import ASKING_SHARE, Mark, answer_label_alone, opens_with_answer_label, question_text, rated, topic_text
from .lines import Line, next_content

NAME = "heading"
_NOT_QUESTION = re.compile(r"^(参考|参考资料|参考文献|参考链接|references?|总结|小结|目录|contents|前言|附录|"
                           r"说明|注意|备注|answer|答案|解析|示例|例子|代码|code)$", re.I)
_SECTION_NUMBERING = {"dotted", "zh", "zh_wrapped"}
_PLAIN_NUMBERING = {"dot", "dun"}
# a heading that says the list under it is one of questions ("面试题", "常见问题", "Interview Questions")
# ("梯度消失问题" names a problem, not a list of questions)
_QUESTIONS_TITLE = re.compile(r"(?:面试题|试题|习题|问答|题目|(?:常见|高频|典型|面试)问题|问题(?:列表|汇总|集锦|合集)|questions|faq|qa)"
                              r"(?:(?:与|和|及|and|&)(?:答案|解答|解析|answers?))?$",
                              re.I)
# a group of sibling headings is a list of questions when this share of them ask; so is a
# level of headings across the document, when it has at least _COUSINS of them
_SIBLINGS_ASKING = 0.6
_COUSINS = 5
_RATED_LIST = 3  # headings rated by difficulty, several of them asking, that make a list of questions
_FRAGMENT = 6  # a nested question this short ("如何解决？") leans on its parent
# a question word and at most a bare verb after it: a question with no subject of its own ("怎么解决",
# "为什么要裁剪？", "Why?"; not "如何实现早停？", whose object is its subject)
_SUBJECTLESS = re.compile(r"^(?:(?:为什么|为何|怎么|怎样|如何|有何|有哪些|哪些)(?:要|会|能|去)?[^\s?？]{0,2}"
                          r"|(?i:why|how)(?:\s+\w+)?)\s*+[?？]?$")
# "## 第3题", "### Question 2:", "### 第 36 题（3 分）" (points in brackets), "### 1. 【简答题】" (a plain
# number is a question's only with its kind in brackets after it), "## 习题21.1", "### Exercise 2.3"
_QUESTION_LABEL = re.compile(r"^(?:第\s*[\d一二三四五六七八九十]{1,3}\s*题|(?:题目|问题|question|q)\s*\d{1,3}"
                             r"|(?:习题|练习|exercise|problem)\s*\d{1,3}(?:\.\d{1,3})?"
                             r"|\d{1,3}(?=\s*[.．、]\s*[(（【\[]))\s*[:：.．、]?"
                             r"(?:\s*[(（【\[][^()（）【】\[\]]{0,12}[)）】\]])?$", re.I)
_MAX_STEM = 6  # non-blank lines of a numbered heading's stem, its asking line included
_STEM_WINDOW = 4 * _MAX_STEM  # lines, blank ones included, that a stem may spread over


# headings that only say what follows: a question ("### Question") and then its answer ("### Response")
_ASKING_HEADING = re.compile(r"^(?:follow[- ]?up\s+)?(?:question|problem|问题|提问|题目|题干)$", re.I)
_OPTIONS_HEADING = re.compile(r"^(?:options|choices|选项)$", re.I)  # between the two: part of the question
_ANSWERING_HEADING = re.compile(r"^(?:follow[- ]?up\s+)?(?:answer|response|reply|solution|explanation|(?:参考|标准)?(?:答案|回答|解答|解决方案)|解析)$",
                                re.I)


def _label_pairs(lines: list[Line], heads: list[Line]) -> dict[int, Mark | None]:
    """A question label heading followed by an answer label heading at its level: the text
    between them is the question (the mark spans it and the answer heading, so that the
    answer is what follows); the answer heading itself is no mark (None)."""
    pairs: dict[int, Mark | None] = {}
    for k, ln in enumerate(heads):
        if not _ASKING_HEADING.match(_fold_label(ln.body)):
            continue
        between = k + 1  # an options heading may stand between the question and the answer
        while (between < len(heads) and heads[between].heading == ln.heading
               and _OPTIONS_HEADING.match(_fold_label(heads[between].body))):
            between += 1
        if between == len(heads):
            continue
        following = heads[between]
        if following.heading == ln.heading and _ANSWERING_HEADING.match(_fold_label(following.body)):
            text = "\n".join(x.text.strip() for x in lines[ln.index + 1:following.index]
                             if not x.blank and not (x.heading and _OPTIONS_HEADING.match(_fold_label(x.body))))
            if text:
                pairs[ln.index] = Mark(ln.index, "question", text, NAME, True, level=ln.heading,
                                       span=following.index - ln.index + 1)
                pairs.update(dict.fromkeys((h.index for h in heads[k + 1:between + 1]), None))
    return pairs


_MARKED_LIST = 3  # numbered headings, at least, before a page counts as marking its questions …
_MARKED_SHARE = 0.8  # … when this share of them end in a question mark
_STEP = re.compile(r"^\s*+(?:step\s*+\d{1,3}|第\s*+[一二三四五六七八九十\d]{1,3}\s*+步)\s*+[:：.．、]", re.I)


def solution_label_at(body: list[Line]) -> int | None:
    """The position in `body` of the first answer label alone on its line at the margin
    ("**Solution:**", "答案：" with nothing after it), outside code and quotes; None when there
    is none or it opens the body."""
    for k, ln in enumerate(body):
        if ln.in_code or ln.quote or ln.indent or ln.blank:
            continue
        if answer_label_alone(ln.text):
            return k if any(not b.blank for b in body[:k]) else None
    return None


def _answer_labelled(lines: list[Line], ln: Line, following: Line | None) -> bool:
    """Whether the heading's first sub-heading (`following`, the next heading), with nothing
    but blank lines before it, labels an answer ("## GAN 的思想" / "### 参考回答："), or the
    first line under it is an answer's label ("#### 5.1 试述…" / "**答：**"): the heading is its
    question."""
    first = next_content(lines, ln.index + 1)
    if first is not None and not first.heading and not first.in_code and opens_with_answer_label(first.text):
        return True
    # a problem's heading over its statement and a solution label alone further down, before the
    # next heading ("### Problem 2: Bandits" / premise / "**Questions:**" … / "**Solution:**")
    # (a statement that labels its question, "**题目**：…", is that question's, and a list of asking
    # items, "1. …？", holds questions of its own that the label answers: the heading titles them)
    section = lines[ln.index + 1:following.index if following is not None else len(lines)]
    # (a step of a procedure, "### Step 4: Evaluate the model" / … / "Possible solution:", is a part of
    # the answer above it, whatever labels it holds)
    at = solution_label_at(section) if not _STEP.match(unbold(ln.body)) else None
    if at is not None and not any(qa_marker.labels_question(x.text) or ((x.numbering is not None or x.bullet)
                                                                        and is_question_like(question_text(x.text)))
                                  for x in section[:at]):
        return True
    return (following is not None and following.heading > ln.heading
            and _ANSWERING_HEADING.match(_fold_label(following.body)) is not None
            and all(x.blank for x in lines[ln.index + 1:following.index]))


# summaries that only offer to unfold something ("Click to expand", "展开", "代码")
# (or says so in brackets after what it holds: "Transformer Encoder（点击展开）", "Code (click to expand)")
_EXPANDER = re.compile(r"^(?:(?:click\s+(?:here\s+)?to\s+)?(?:expand|show|view|see)\b.*|(?:点击)?(?:展开|查看更多|更多|详情).*|"
                       r"details?|more|output|输出|日志|logs?|"
                       r".*[(（]\s*+(?:点击(?:展开|查看)|展开|(?:click\s+to\s+)?(?:expand|show))\s*+[)）])$", re.I)


def _summary(lines: list[Line], ln: Line, following: Line | None, label_at: set[int]) -> bool:
    """Whether the heading is a <details> summary (cleaning writes it as a level-6 heading and
    the block's </details> as an empty one: `following`, the next heading line) that is no
    mere offer to unfold ("Click to expand", "代码"), nor the title of the code it unfolds (a
    summary that does not ask over a block that opens with code: "From scratch · NumPy")."""
    if ln.heading != 6:
        return False
    text = question_text(ln.body)
    if following is None or following.index not in label_at or following.heading != 6:
        return False
    return (not _EXPANDER.match(" ".join(text.lower().split())) and not _NOT_QUESTION.match(fold(text))
            and not _titles_code(lines, ln, following))


def _titles_code(lines: list[Line], ln: Line, following: Line | None) -> bool:
    """Whether a <details> summary (`ln`, its block closed by `following`) titles the code its
    block opens with and does not ask: no question, not even among asking siblings."""
    if ln.heading != 6 or following is None or is_question_like(question_text(ln.body)):
        return False
    opening = next_content(lines, ln.index + 1, following.index)
    return opening is not None and opening.in_code


_MIN_SAID = 20  # characters after a heading's colon that make a sentence of its own: an answer, not a subtitle


_CLAUSE = re.compile(r"[，,；;]")


@lru_cache(maxsize=1 << 16)  # asked of a heading once to tell whether it asks, again for its front
def _answered_heading(body: str, by_siblings: bool = False, alone: bool = False) -> tuple[str, str] | None:
    """(prompt, answer) of a heading that is a paragraph: a short prompt that asks, a colon, and
    its answer ("## L1 和 L2 的差别：L1 加绝对值之和，让权重稀疏；L2 加平方和……"), else None.
    A heading that is a question `by_siblings` ("##### (34) 剪枝: 先…，再…" among "##### (33) …？")
    needs no asking prompt, but an answer of clauses or twice `_MIN_SAID` (no subtitle:
    "## Transformer: Attention Is All You Need"). A heading with nothing under it (`alone`) may
    hold a short answer after its question mark ("##### …在哪个环节生成? 编译"; under a heading
    with text of its own the words there may title it: "## 什么是 Transformer? 原理详解")."""
    split = split_prompt(body)
    if split is not None and split[1] in ("?", "？"):
        # (a longer tail goes on with the question: "…work? Sparse vs. dense flow and so on.")
        said = split[2].strip()
        if alone and said and not is_question_like(said) and len(fold(link_free(said))) <= _SAID_AFTER_MARK:
            return _front(split[0] + split[1]), said
        return None
    if (split is None or split[1] not in (":", "：") or len(split[2]) < _MIN_SAID
            or ends_with_question_mark(body) or is_question_like(split[2])):
        return None  # ("如何理解：“…”这句话？" asks to its end)
    if by_siblings and (_CLAUSE.search(split[2]) or len(split[2]) >= 2 * _MIN_SAID):
        return _front(split[0]), split[2]
    return (_front(split[0]), split[2]) if is_question_like(question_text(split[0])) else None


_SAID_AFTER_MARK = 12  # folded characters of an answer written after a heading's question mark, at most


def _alone(lines: list[Line], ln: Line) -> bool:
    """Whether a heading has nothing under it: the next content is a heading of its level or higher."""
    following = next_content(lines, ln.index + 1)
    return following is None or 0 < following.heading <= ln.heading


def _fold_label(text: str) -> str:
    """A heading's words without markup, colons or extra spaces."""
    return " ".join(text.strip(" *_:：").split())


def _front(body: str) -> str:
    """A heading question's front: a colon that ends the heading introduces nothing there
    ("### 10. Naive Bayes Concept:")."""
    return question_text(body).rstrip(":：").rstrip()


def _asks(line: Line) -> bool:
    """Whether a heading asks: by its words, or by a question's number ("### Q3: 过拟合"), or by
    the prompt before the answer it holds (`_answered_heading`)."""
    text = question_text(line.body)
    numbered = line.numbering is not None and line.numbering.style == "question_no"
    return (((is_question_like(text) or numbered) and bool(text) and not _NOT_QUESTION.match(fold(text)))
            or _answered_heading(line.body) is not None)


# a field line about the item before its stem ("**来源：第 1 章**", "**Type**: true-false")
_FIELD_LINE = re.compile(r"^\s*+(?:\*\*|__)[^*_\n:：]{1,20}(?:[:：][^*_\n]*+(?:\*\*|__)\s*+$|(?:\*\*|__)\s*+[:：])")


# a question's number with a short kind after it ("### Q8: 实战问题", "## 第2题：概念理解")
_KIND_LABEL = re.compile(r"^(?:第\s*+[\d一二三四五六七八九十]{1,3}\s*+题|(?:题目|问题|question|q)\s*+\d{1,3})\s*+[:：.．、]\s*+"
                         r"[^\s?？。，,:：]{1,8}$", re.I)


_ECHO = 0.8  # similarity of a sub-heading to a part of the question above it that makes it that part's title
_PARTS = re.compile(r"[?？;；]")


def _repeats_part(text: str, question: str) -> bool:
    """Whether `text` repeats one of the parts (split at question marks) of a question that asks
    two or more things, nearly word for word (difflib's ratio, `_ECHO`)."""
    parts = [fold(p) for p in _PARTS.split(question) if fold(p)]
    folded = fold(text.rstrip("?？"))
    return len(parts) >= 2 and any(SequenceMatcher(None, folded, part).ratio() >= _ECHO for part in parts)


def _stem(lines: list[Line], head: Line) -> list[Line]:
    """The stem under a heading that only numbers its question ("## 第3题", "### Question
    4"): its plain lines up to the one that asks (a question mark or blanks), the field
    lines before it left out; else its first paragraph (a statement to judge); [] when
    there is none. Under a number with a kind ("### Q8: 实战问题") only a stem that asks is
    one: the kind says nothing of the question."""
    body = head.body.strip("*_ ")
    kind = bool(_KIND_LABEL.match(body)) and not is_question_like(question_text(body))
    if not _QUESTION_LABEL.match(body) and not kind:
        return []
    stem: list[Line] = []
    paragraph = 0  # lines of the first paragraph of the stem
    for ln in lines[head.index + 1:head.index + 1 + _STEM_WINDOW]:
        if ln.blank:
            paragraph = paragraph or len(stem)
            continue
        if _FIELD_LINE.match(ln.text) and not stem:
            continue
        if ln.heading or ln.bullet or ln.numbering or ln.in_code or ln.link_only or len(stem) == _MAX_STEM:
            break
        stem.append(ln)
        text = question_text(ln.text)
        # (under a kind, an asking line may introduce what it asks about: "解释以下代码…的必要性：")
        if is_question_like(text) and (ends_with_question_mark(text) or blank_marks(text)
                                       or (kind and introduces(text))):
            return stem
    return [] if kind else stem[:paragraph or len(stem)]


def _wrapped_heading(lines: list[Line], k: int) -> list[Line]:
    """The lines of the paragraph a hard-wrapped heading runs on into ("### 4. When an
    experienced engineer … from previous" / "" / "problems to train a good model …?"): the
    heading wide and stopping inside a sentence (`text.hard_wrapped`) on a word in Latin
    letters, the paragraph, after at most one blank line, plain text opening in lower case; []
    for a whole heading."""
    if not hard_wrapped(lines[k].source):
        return []
    j = k + 1 + (k + 1 < len(lines) and lines[k + 1].blank)
    more: list[Line] = []
    while j < len(lines) and not (lines[j].blank or lines[j].heading or lines[j].bullet or lines[j].numbering
                                  or lines[j].in_code or lines[j].quote):
        more.append(lines[j])
        j += 1
    return more if more and continues_sentence(lines[k].source, more[0].text) else []


def _question_list(group: list[Line]) -> list[Line]:
    """The headings of a sibling group that carry plain numbers counting up by one (at least
    three of them; from 1, or on from an earlier part of a series: "## 6. …", "## 7. …"; a
    number repeated now and then is a slip), or [] when the numbers do not run so."""
    numbered = [g for g in group if g.numbering is not None and g.numbering.style in _PLAIN_NUMBERING
                and len(g.numbering.numbers) == 1]
    numbers = [g.numbering.numbers[0] for g in numbered]
    # (a number the author wrote twice, "### 5." / "### 5.", still counts up)
    steps = [b - a for a, b in zip(numbers, numbers[1:], strict=False)]
    counts_up = all(step in (0, 1) for step in steps) and steps.count(0) <= len(steps) // 3
    return numbered if len(numbered) >= 3 and counts_up and numbers[-1] > numbers[0] else []


def detect(lines: list[Line], separated: frozenset[int] = frozenset()) -> list[Mark]:
    """Question and topic marks of the headings of `lines`; `separated` holds the headings
    a page's separating thematic break stands above (a section of the page's own)."""
    # a heading an editor's hard wrap broke reads on into the paragraph under it
    spans: dict[int, int] = {}
    for k, ln in enumerate(lines):
        if ln.heading and (more := _wrapped_heading(lines, k)):
            lines = [*lines[:k], replace(ln, body=join_wrapped([ln.body] + [m.text for m in more])), *lines[k + 1:]]
            spans[ln.index] = more[-1].index - ln.index + 1
    stems = {ln.index: stem for ln in lines if ln.heading and (stem := _stem(lines, ln))}
    # a heading that is only a label ("### Question 2:", "## 第3题") is no topic, but it still
    # closes the answer above it
    label_at = {ln.index for ln in lines if ln.heading and ln.index not in stems
                and (not question_text(ln.body) or _QUESTION_LABEL.match(ln.body.strip("*_ ")))}
    heads = [ln for ln in lines if ln.heading and ln.index not in label_at]
    labels = [Mark(i, "topic", "", NAME, False, level=lines[i].heading) for i in sorted(label_at)]
    if not heads:
        return labels
    parent: dict[int, int] = {}
    stack: list[Line] = []
    for ln in heads:
        while stack and stack[-1].heading >= ln.heading:
            stack.pop()
        parent[ln.index] = stack[-1].index if stack else -1
        stack.append(ln)
    groups: dict[tuple[int, int], list[Line]] = {}
    highest: dict[tuple[int, int], int] = {}  # the highest plain number among a group's headings so far
    for ln in heads:
        key = (parent[ln.index], ln.heading)
        number = ln.numbering.numbers[0] if ln.numbering and len(ln.numbering.numbers) == 1 else 0
        if number and number < highest.get(key, 0):
            continue  # numbering restarted: an outline inside an answer, not one of the siblings
        highest[key] = max(highest.get(key, 0), number)
        groups.setdefault(key, []).append(ln)
    # a heading whose answer is labelled under it ("### 参考回答：") asks, worded so or not; so
    # does a <details> summary: a prompt whose answer the reader unfolds
    next_head = {a.index: b for a, b in zip(heads, heads[1:], strict=False)}
    heading_lines = [ln for ln in lines if ln.heading]  # labels too: a </details> closes its summary
    next_line = {a.index: b for a, b in zip(heading_lines, heading_lines[1:], strict=False)}
    asks = {ln.index: _asks(ln) or _answer_labelled(lines, ln, next_head.get(ln.index))
            or _summary(lines, ln, next_line.get(ln.index), label_at) for ln in heads}
    asking_parents = {parent[ln.index] for ln in heads if asks[ln.index]}
    by_level: dict[int, list[Line]] = {}
    for ln in heads:
        by_level.setdefault(ln.heading, []).append(ln)
    level_asking = {level: sum(asks[g.index] for g in group) for level, group in by_level.items()}

    @cache
    def facts(key: tuple[int, int]) -> tuple[int, frozenset[int], int, frozenset[int], int, int]:
        """Of a sibling group, once (asked per heading, they made a page of headings
        quadratic): its asking headings, its rated ones and how many of those ask, its
        numbered question list, how many of those ask and where the list starts (-1 when empty)."""
        group = groups.get(key, [])
        rated_ones = frozenset(g.index for g in group if rated(g.body))
        question_list = _question_list(group)
        listed = frozenset(g.index for g in question_list)
        return (sum(asks[g.index] for g in group), rated_ones, sum(asks[i] for i in rated_ones), listed,
                sum(asks[i] for i in listed), question_list[0].index if question_list else -1)

    def by_siblings(ln: Line) -> bool:
        key = (parent[ln.index], ln.heading)
        size = len(groups.get(key, []))
        asking, rated_ones, rated_asking, listed, listed_asking, list_start = facts(key)
        text = question_text(ln.body)
        # a section number (3.1, 三、) marks a title; a question number (Q3:, 问题3：) or the plain
        # number of a list of questions ("### 3. …" among asking "### N. …") marks a question
        numbered_section = ln.numbering is not None and ln.numbering.style in _SECTION_NUMBERING
        if _NOT_QUESTION.match(fold(text)) or numbered_section:
            return False
        # headings rated by difficulty ("…的利弊***") are the items of a question list when
        # several rated siblings ask
        # (and an unrated sibling where most of the group is rated is an item whose rating was
        # left off: "# …的基本设计模式" among rated "# …***")
        rated_list = len(rated_ones) >= _RATED_LIST and rated_asking >= 2
        if rated_list and (ln.index in rated_ones or len(rated_ones) > size / 2):
            return True
        # so are siblings numbered 1, 2, 3 … in one run ("### 4. 常见推理框架介绍" among
        # "### 12. 现有的一些移动端开源框架？") when several of them ask, or when their parent
        # heading says it holds questions ("### 面试题" over "#### 3. wide and deep")
        # ("### 1. …的背景" … "### 6. …的局限" under a question heading outline its answer)
        if not asks.get(parent[ln.index], False) and ln.index in listed:
            # (unless they hold asking headings of their own: then they are its parts, "### 1. 理论篇")
            # (a quiz section, "## Part 2: True/False", says so too: its items are statements to judge)
            title = lines[parent[ln.index]].body if parent[ln.index] >= 0 else ""
            declared = (bool(_QUESTIONS_TITLE.search(fold(title)) or quiz_section(title))
                        and not listed & asking_parents)
            if listed_asking >= 2 or declared:
                return True
        # an unnumbered heading above the first of a numbered list of questions prefaces the list
        # ("#### 本文原载于…。" over "#### 1. 列举…", "#### 2. …")
        if ln.numbering is None and len(listed) >= 3 and ln.index < list_start:
            return False
        if size >= 3:
            # (one that holds asking headings of its own titles them: "## 第 3 步 · 进阶" over its
            # "<summary>"s, among "## 第 1 步 · 为什么…")
            return asking >= _SIBLINGS_ASKING * size and ln.index not in asking_parents
        # too few siblings to tell ("## 学习率" over "### 学习率的作用" alone): the headings of its
        # level across the document, when they are mostly questions, make it one too, unless it
        # holds asking headings of its own
        cousins = len(by_level[ln.heading])
        return (cousins >= _COUSINS and level_asking[ln.heading] >= _SIBLINGS_ASKING * cousins
                and ln.index not in asking_parents)

    rated_heads = [ln for ln in heads if rated(ln.body)]
    rated_page = len(rated_heads) >= _RATED_LIST and sum(asks[ln.index] for ln in rated_heads) >= 2
    numbered_after: set[int] = set()  # headings with a numbered heading of their level after them
    levels_numbered: set[int] = set()
    for ln in reversed(heads):
        if ln.heading in levels_numbered:
            numbered_after.add(ln.index)
        if ln.numbering is not None:
            levels_numbered.add(ln.heading)
    marks: list[Mark] = []
    topic_of: dict[int, str] = {}  # heading index -> its text, of the headings that are topics
    # a page whose numbered headings that ask end in a question mark (most of them) marks its
    # questions so: there a heading whose words ask without one titles a part of an answer
    numbered_asking = [ln for ln in heads if asks[ln.index] and ln.numbering is not None and len(ln.numbering.numbers) == 1]
    marks_questions = len(numbered_asking) >= _MARKED_LIST and sum(
        ends_with_question_mark(question_text(ln.body)) for ln in numbered_asking) >= _MARKED_SHARE * len(numbered_asking)
    paired = _label_pairs(lines, heads)
    open_question = 0  # level of the question heading whose answer we are in, or 0
    question_number = 0  # the number of that question heading ("### 40. …"), or 0
    outline_next = 1  # the number that would continue an outline restarted inside its answer
    for ln in heads:
        if ln.index in paired:
            if paired[ln.index] is not None:
                marks.append(paired[ln.index])
                open_question, question_number, outline_next = ln.heading, 0, 1
            continue
        if ln.index in stems:
            stem = stems[ln.index]
            marks.append(Mark(ln.index, "question", "\n".join(question_text(s.text) for s in stem), NAME, True,
                              level=ln.heading, span=stem[-1].index - ln.index + 1))
            open_question, question_number, outline_next = ln.heading, 0, 1
            continue
        label = ln.introduces and not asks[ln.index]
        # the next number of the question list ("### 10. Naive Bayes Concept:" after "### 9. …？") is
        # the next question, colon or not
        following = (question_number and ln.heading == open_question and ln.numbering is not None
                     and ln.numbering.numbers == (question_number + 1,))
        if open_question and label and not following and ln.heading > open_question:
            continue  # "### Prefix Decoder：" under a question is a part of its answer ("## Notes:" above it is not)
        if open_question and _ANSWERING_HEADING.match(_fold_label(ln.body)):
            continue  # "#### Solution" after "#### Answer": more of the answer
        restarts = (question_number > outline_next and ln.heading == open_question and ln.numbering is not None
                    and ln.numbering.numbers == (outline_next,))
        if restarts and (not asks[ln.index] or outline_next > 1):
            outline_next += 1
            continue  # "### 1. …", "### 2. …" after "### 40. …？" at its level: the answer's own outline,
            # an item that asks once it has begun too ("### 5. 如何降低显存需求" after "### 4. 计算激活值显存")
        # (and, on a page that marks its questions with question marks, so is one whose words ask
        # without one: "### Why RAG Wins" under "### Q2. Why do companies prefer RAG?", "### 如何实现
        # 这一原则" under "### 5. 什么是奥卡姆剃刀原理？"; one that ends in a question mark is a question
        # of the list that the author did not number)
        unmarked = question_number and marks_questions and not ends_with_question_mark(question_text(ln.body))
        if (question_number and ln.heading == open_question and ln.numbering is None and (not asks[ln.index] or unmarked)
                and not REFERENCES_LABEL.match(ln.body) and not _QUESTIONS_TITLE.search(fold(ln.body))):
            # "### 人工评估" after "### 53. …？" at its level: the questions are numbered, it is not
            # (but "## Reference" there closes the list: the page's end matter, and "## 面试题与答案"
            # opens a list of its own; "### 总结" may
            # still sum up the answer; so does one after the list's last question that a page's
            # separating break sets apart: "## Notes")
            if ln.index in separated and ln.index not in numbered_after:
                marks.append(Mark(ln.index, "topic", topic_text(ln.body), NAME, False, level=ln.heading))
                open_question = question_number = 0
            continue
        if open_question and ln.heading > open_question:
            short = len(fold(question_text(ln.body))) <= _FRAGMENT
            # a sub-heading with a section number ("### 三、…的优缺点") is a part of the answer's outline
            outlined = ln.numbering is not None and ln.numbering.style in _SECTION_NUMBERING
            # so is one of a run of plain-numbered sub-headings that mostly do not ask ("#### 3.
            # When to Use Each" after "#### 1. Key Advantages")
            _, _, _, listed, listed_asking, _ = facts((parent[ln.index], ln.heading))
            outlined = outlined or (ln.index in listed and listed_asking < ASKING_SHARE * len(listed))
            # a sub-heading ending in a colon introduces a part of the answer, whatever it says
            # ("### 与 Function Call 的区别：" under "## …和 Function Call 有什么区别？")
            colon = ln.introduces
            # so does one that repeats a part of the question it stands under ("## …原理？梯度提升与梯度
            # 下降区别？GBDT的优缺点？" / "### GBDT优缺点"): it titles the answer to that part
            asked_above = next((m for m in reversed(marks) if m.role == "question"), None)
            echo = asked_above is not None and _repeats_part(question_text(ln.body), asked_above.text)
            # and so does one that asks among sibling sub-headings that mostly title parts
            # ("## 高斯分布（…）" / "## 为什么推荐使用高斯分布？" under "# …的原因"): a part of its own
            key = (parent[ln.index], ln.heading)
            # (or one at least does not, when this one asks by its words alone, with no question mark:
            # "### 在机器学习中的应用" / "### 如何实现这一原则" under "## 5.什么是奥卡姆剃刀原理？",
            # "### Why Use PR Curves" / "### Key Metrics" / "### When to Use" under "## Question 12: …")
            siblings, asking_siblings = len(groups.get(key, [])), facts(key)[0]
            parts = 2 * asking_siblings < siblings or (asking_siblings < siblings
                                                        and not ends_with_question_mark(question_text(ln.body)))
            # a sub-heading rated as the page rates its questions ("## …的解决方案***" under "# …*")
            # is a question of the list, whatever else it looks like
            listed_rated = rated_page and rated(ln.body) and not outlined and not colon
            if listed_rated or (asks[ln.index] and not short and not outlined and not colon and not echo and not parts):
                marks.append(Mark(ln.index, "question", _front(ln.body), NAME, True, level=ln.heading,
                                  span=spans.get(ln.index, 1)))
                open_question, question_number = ln.heading, 0
            continue  # a sub-heading inside the answer
        # (a heading naming an aspect that holds asking headings of its own is their topic: "## 2. 正则化的作用")
        aspect = names_aspect(question_text(ln.body)) and ln.index not in asking_parents
        if asks[ln.index] or (by_siblings(ln) and not _titles_code(lines, ln, next_line.get(ln.index))) or aspect:
            number = ln.numbering.numbers[0] if ln.numbering and len(ln.numbering.numbers) == 1 else 0
            body = ln.body
            # the next number of a run glued to a question that opens with a digit ("### 4.1x1的卷积…"
            # after "### 3. …": 4. and "1x1的卷积…", not 4.1) is the run's number
            glued = f"{question_number + 1}." if question_number and ln.numbering is None else ""
            if glued and body.lstrip("*_ ").startswith(glued):
                body, number = body.lstrip("*_ ")[len(glued):], question_number + 1
            front, answer = _front(body), ""
            if (said := _answered_heading(body, not asks[ln.index], _alone(lines, ln))) is not None:
                front, answer = said
            above = topic_of.get(parent[ln.index])
            if above and ((asks[ln.index] and _SUBJECTLESS.match(front)) or bare_aspect(front)):
                # a question that names no subject leans on the topic it stands under ("## 复读机问题" /
                # "### 怎么解决", "## 过拟合和欠拟合" / "### 基本原理"): the front names it
                front = f"{above}{'：' if CJK.search(above + front) else ': '}{front}"
            marks.append(Mark(ln.index, "question", front, NAME, asks[ln.index], level=ln.heading,
                              span=spans.get(ln.index, 1), answer=answer))
            open_question = ln.heading
            question_number = number
            outline_next = 1
        else:
            marks.append(Mark(ln.index, "topic", topic_text(ln.body), NAME, False, level=ln.heading))
            topic_of[ln.index] = marks[-1].text
            open_question = question_number = 0
    return sorted(marks + labels, key=lambda m: m.index)
