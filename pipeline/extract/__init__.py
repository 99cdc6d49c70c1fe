"""Find questions, answers and topics in a cleaned document.

The layout detectors form a table, as markdown-it's block rules do; each reads analysed
lines and proposes question starts. Headings make the containers of a document (see
`find_marks`): in each section the rules compete on its lines alone, the rule whose
proposals ask the most wins there, and only its questions are used, so sections of one
document may use different layouts and a list inside an answer never becomes a card.
Topics come from headings, numbered section lines and bare title lines."""
from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import replace

from ..model import Card, CleanDocument, Drop, Extraction, SourceSpan
from ..text import LEAD_IN, REFERENCES_LABEL, asks_outright, ends_with_question_mark, introduces, is_blank, is_link_only, is_question_like, markdown_links, quiz_section, strip_list_marker, unbold
from . import arrowed, bare_line, bold, bullet, deferred, heading, numbered, qa_marker, question_line, quote_title, table_row
from .base import ASKING_SHARE, EXPLANATION_LABEL, OPENS_WITH_OPTION, Mark, answer_label_alone, label_below, labels_inline_answer, opens_with_answer_label, question_text, strip_answer_label, topic_text
from .lines import Line, analyse, last_content, next_content

# (name, detect) in order of precedence on a tie
QUESTION_RULES = [
    (qa_marker.NAME, qa_marker.detect),
    (arrowed.NAME, arrowed.detect),
    (heading.NAME, heading.detect),
    (numbered.NAME, numbered.detect),
    (bold.NAME, bold.detect),
    (bullet.NAME, bullet.detect),
    (table_row.NAME, table_row.detect),
    (question_line.NAME, question_line.detect),
    (quote_title.NAME, quote_title.detect),
]


LAYOUTS = [name for name, _ in QUESTION_RULES]


# the rules that read the body of a section (headings are the sections themselves)
BODY_RULES = [(name, detect) for name, detect in QUESTION_RULES if name != heading.NAME]
# answered questions inside a heading question's answer that make the heading a section: a
# heading that asks keeps a few sub-questions; one that is a question only by its asking
# siblings ("## 快问快答" among "## …？") yields to a single answered one
_INNER_QUESTIONS = {True: 3, False: 1}
_LABELLED_QUESTIONS = 2


def choose_layout(lines: list[Line], rules=QUESTION_RULES, hint: str = "") -> tuple[str, list[Mark]]:
    """(name, questions and boundaries) of the rule in `rules` whose questions ask the most
    (the earlier rule on a tie), or of the rule `hint` names; ("", []) when nothing asks."""
    if all(ln.blank for ln in lines):
        return hint, []  # (every rule finds nothing there; a page of bare headings asked them thousands of times)
    # heading topics are the containers themselves; a body rule's topic titles its questions
    found = {name: [m for m in detect(lines) if m.role != "topic" or m.layout != heading.NAME] for name, detect in rules}
    if hint:
        return hint, found[hint]
    questions = {name: [m for m in marks if m.role == "question"] for name, marks in found.items()}
    scores = {name: asking if (asking := sum(m.asks for m in marks)) >= ASKING_SHARE * len(marks) else 0
              for name, marks in questions.items()}
    if not scores or max(scores.values()) == 0:
        return "", []
    name = next(n for n, _ in rules if scores[n] == max(scores.values()))
    return name, found[name]


# the layouts whose questions that do not ask are items of a numbered run
_NUMBERED_RUNS = {numbered.NAME, bold.NAME}
# a table inside an answer stays in it, however much its rows ask
_PARTS_OF_ANSWERS = {table_row.NAME}


def _answered(lines: list[Line], questions: list[Mark], end: int, outright: bool = False) -> int:
    """How many of `questions` (sorted) ask (`outright`: with a question mark or an opening
    interrogative, see `text.asks_outright`), have answer text before the next one or
    `end`, and are not table rows."""
    count = 0
    for k, m in enumerate(questions):
        stop = questions[k + 1].index if k + 1 < len(questions) else end
        count += (m.asks and m.layout not in _PARTS_OF_ANSWERS and (not outright or asks_outright(m.text))
                  and (bool(m.answer.strip()) or (m.continues and any(not ln.blank for ln in lines[m.index + m.span:stop]))))
    return count


def sections(lines: list[Line], heads: list[Mark]) -> list[tuple[Mark | None, int, int]]:
    """The containers of a document: (heading mark or None, first body line, end) for the
    text before the first heading and under each heading up to the next one."""
    starts = [(None, 0)] + [(m, m.index + 1) for m in heads]
    ends = [m.index for m in heads] + [len(lines)]
    return [(m, start, end) for (m, start), end in zip(starts, ends, strict=True) if start <= end]


# thematic breaks that separate a page's parts: at least this many stand where one part ends
_SEPARATING = 3


def _separators(lines: list[Line], breaks: frozenset[int]) -> frozenset[int]:
    """`breaks` when the page separates its heading sections with them: most of its breaks,
    and at least `_SEPARATING` of them, stand right above a heading."""
    above = len(_headings_after(lines, breaks))
    return breaks if above >= _SEPARATING and above * 2 > len(breaks) else frozenset()


def _headings_after(lines: list[Line], separators: frozenset[int]) -> frozenset[int]:
    """The headings that a separating break stands right above."""
    found = set()
    for k in separators:
        following = next_content(lines, k)
        if following is not None and following.heading:
            found.add(following.index)
    return frozenset(found)


def _cut(lines: list[Line], start: int, end: int, separators: frozenset[int]) -> tuple[int, list[Mark]] | None:
    """Where a heading question's section ends before its next heading: at a separating
    break (`_separators`) followed by text under no heading of its own that holds asking
    questions (a list of questions after `---`); with those questions. None when the text
    after every break asks nothing or opens with a sub-heading: then it is more of the answer."""
    for k in sorted(separators):
        following = next_content(lines, k, end)
        # a sub-heading after the break ("### 英文回答") goes on with the answer's own parts
        if start < k < end and following is not None and not following.heading:
            _, inner = choose_layout(lines[k:end], BODY_RULES)
            if any(m.role == "question" and m.asks for m in inner):
                return k, inner
    return None


def outline_items(lines: list[Line], questions: list[Mark]) -> list[Mark]:
    """In an outline whose questions are list items, an item no deeper than the questions
    that is not one of them, under the same heading, is a section of the outline ("- 二、经典关系
    抽取篇"): a topic."""
    items = [m for m in questions if not lines[m.index].heading]
    depth = {lines[m.index].indent for m in items if lines[m.index].bullet or lines[m.index].numbering}
    if not depth or any(not (lines[m.index].bullet or lines[m.index].numbering) for m in items):
        return []
    # the heading each line stands under: an outline item outlines its own section only
    container, heading = [], -1
    for ln in lines:
        heading = ln.index if ln.heading else heading
        container.append(heading)
    held = {container[m.index] for m in items}
    qset = {m.index for m in questions}
    return [Mark(ln.index, "topic", topic_text(ln.body), "outline", False) for ln in lines
            if ln.index not in qset and (ln.bullet or ln.numbering) and not ln.heading and not ln.in_code
            and not ln.link_only and ln.indent < max(depth) and container[ln.index] in held
            and not opens_with_answer_label(ln.text)]  # "- **A：** …" under "- **Q：** …" answers it


def find_marks(lines: list[Line], hint: str = "", breaks: frozenset[int] = frozenset()) -> list[Mark]:
    """Questions and topics, container by container.

    Headings make the containers. A heading that asks (see `heading`) is a question and
    everything under it, lists of follow-up questions included, is its answer, unless that
    body holds a layout of its own with several answered questions, which makes the heading
    a section. In every other container the body rules compete on their own, so the
    sections of one document may use different layouts. On a page that separates its
    sections with thematic breaks (`breaks`: the positions in `lines` right after one), the
    questions after a break inside a heading question's section are the page's, not its
    answer's. A layout named in `sources.yaml` (`hint`) reads the whole document instead."""
    if hint:
        _, questions = choose_layout(lines, QUESTION_RULES, hint)
        claimed = {q.index for q in questions}
        heads = [m for m in heading.detect(lines) if m.index not in claimed]
        heads = [Mark(m.index, "topic", m.text, heading.NAME, False, level=m.level) for m in heads]
        return _with_topics(lines, questions, heads, set())
    separators = _separators(lines, breaks)
    heads = heading.detect(lines, _headings_after(lines, separators))
    questions: list[Mark] = []
    answers: set[int] = set()  # lines inside the answer of a heading question
    waiting: Mark | None = None  # the question that ends the section above, its answer open
    continued = 0  # the level of the sub-titles that go on with its answer
    waiting_level = 0  # the level of the heading it stands under: a sub-title is deeper
    for k, (owner, start, end) in enumerate(sections(lines, heads)):
        if owner is not None and owner.role == "question":
            if (premise := _labelled_premise(lines, start, end)) is not None:
                # the problem statement under a heading question belongs on its front
                owner = heads[k - 1] = replace(owner, text=f"{owner.text}\n{premise[0]}", span=premise[1] - owner.index)
                answers.update(range(start, premise[1]))  # the question's own lines title nothing
                start = premise[1]
            marks, inside, section = _under_question(lines, owner, start, end, separators)
            questions += marks
            answers.update(inside)
            if section:
                heads[k - 1] = Mark(owner.index, "topic", topic_text(lines[owner.index].body), heading.NAME, False,
                                    level=owner.level)
            waiting = None
            continue
        # (under a references heading, "## References" / "## 参考资料", link titles that ask are references)
        cited = owner is not None and bool(REFERENCES_LABEL.match(lines[owner.index].text))
        # (a quiz section's heading, "## 判断题" / "### True or False", is read with its body: it
        # makes statements there items to judge)
        read_from = owner.index if owner is not None and quiz_section(lines[owner.index].body) else start
        _, inner = choose_layout(lines[read_from:end], BODY_RULES) if not cited else ("", [])
        inner = sorted(inner + _other_part(lines, inner, read_from, end), key=lambda m: m.index)
        asked = [m for m in inner if m.role == "question"]
        # a sub-title right under a question of the section above, nothing between, with text of
        # its own and no question ("**Q2 KNN 和 K-means 有何不同？**" / "##### KNN" / "##### K Means"),
        # and its sibling sub-titles after it, go on with that question's answer
        first = asked[0].index if asked else end
        goes_on = (waiting is not None and owner is not None and owner.role == "topic"
                   and any(map(_content, lines[start:first])))
        subtitle = goes_on and owner.level > waiting_level and (
            owner.level == continued or all(ln.blank for ln in lines[waiting.index + waiting.span:owner.index]))
        # ... as does a heading that only introduces what follows ("### 使用场景：")
        if subtitle or (goes_on and lines[owner.index].introduces):
            heads[k - 1] = Mark(owner.index, "answer", "", heading.NAME, False, target=waiting.index, span=0)
            questions.append(heads[k - 1])
            if subtitle and not asked:
                continued = owner.level
                continue
        continued = 0
        questions += inner
        waiting = asked[-1] if asked and asked[-1] is inner[-1] and asked[-1].continues else None
        waiting_level = owner.level if owner is not None else 0
    questions += [m for m in heads if m.role == "question"]
    topics = [m for m in heads if m.role == "topic"]
    marks = _with_topics(lines, sorted(questions, key=lambda m: m.index), topics, answers)
    return _with_later_answers(lines, _with_item_breaks(lines, marks, breaks))


_PART_QUESTIONS = 2  # answered questions of a list, or of another layout after it: a part of the page's own


def _list_end(lines: list[Line], asked: list[Mark], end: int) -> int | None:
    """Where the list that holds questions `asked` (all list items) ends before `end`: after
    its last item, at the first line back at the page's depth (`_item_end`); None when the
    questions are no list's or the list runs to `end`."""
    if not asked or not all(lines[m.index].bullet for m in asked):
        return None
    body = lines[asked[-1].index + asked[-1].span:end]
    rest = _item_end(lines[asked[-1].index], body)
    return body[rest].index if rest < len(body) else None


def _other_part(lines: list[Line], inner: list[Mark], start: int, end: int) -> list[Mark]:
    """The marks of a part of a container (`start`:`end`) that its chosen layout (`inner`) did
    not read: a list of questions and, after it ends, questions in another layout ("- BN 和 LN
    的区别？" / its answer / "面试常问" / "1，说一说残差连接？" / its answer). Whichever of the two
    the container's layout chose, the other part's own layout reads it when it finds
    `_PART_QUESTIONS` answered questions there; a boundary ends the list. [] otherwise."""
    asked = [m for m in inner if m.role == "question"]
    if not asked:
        return []
    # (the list's outline items, "- #### 激活函数" over its questions, title them: found here, as
    # the page's other questions are no list items)
    if (tail := _list_end(lines, asked, end)) is not None:
        _, more = choose_layout(lines[tail:end], BODY_RULES)
        if _answered(lines, more, end) >= _PART_QUESTIONS:
            outline = [m for m in outline_items(lines, asked) if m.index < tail]
            return outline + [Mark(tail, "boundary", "", heading.NAME, False)] + more
        return []
    first = asked[0].index
    if not any(ln.bullet for ln in lines[start:first]):
        return []  # no list before the layout's first question (the common case: no layout read again)
    _, more = choose_layout(lines[start:first], BODY_RULES)
    before = [m for m in more if m.role == "question"]
    if (tail := _list_end(lines, before, first)) is None or _answered(lines, more, tail) < _PART_QUESTIONS:
        return []
    outline = [m for m in outline_items(lines, before) if m.index < tail]
    return more + outline + [Mark(tail, "boundary", "", heading.NAME, False)]


def _labelled_premise(lines: list[Line], start: int, end: int) -> tuple[str, int] | None:
    """(text, end) of a problem statement that opens a heading question's body under a question
    label and asks nothing ("### 计算题3：如何估算…？" / "**题目**：假设模型有 n 层…" / "**解答**：…"):
    its lines up to the answer label that follows it; None when the body opens otherwise."""
    body = lines[start:end]
    first = next((k for k, ln in enumerate(body) if not ln.blank), None)
    labelled = qa_marker.detect(body[first:first + 1]) if first is not None else []
    if not labelled or is_question_like(labelled[0].text):
        return None
    for k, ln in enumerate(body[first + 1:], start=first + 1):
        if not ln.blank and opens_with_answer_label(ln.text):
            text = "\n".join([labelled[0].text] + [x.text.strip() for x in body[first + 1:k] if not x.blank])
            return text, body[k].index
        if ln.heading or ln.in_code or (ln.blank and k + 1 < len(body) and not body[k + 1].blank
                                        and not opens_with_answer_label(body[k + 1].text)):
            return None  # a second paragraph that no answer label opens: more than a statement
    return None


def _with_item_breaks(lines: list[Line], marks: list[Mark], breaks: frozenset[int]) -> list[Mark]:
    """`marks` (sorted by line) with a boundary mark where a thematic break (line positions in
    `breaks`) ends the answer above it, so that what stands between it and the next question is
    no part of that answer: a break right above a numbered list that starts at 1; one right above
    a bold title alone after a question that is no heading; and, where breaks set the page's
    items apart (between `_SEPARATING` or more pairs of neighbouring listed questions, and half of
    them or more: "---" / "**11) Topic:** …" / "**Q:** …"), every break between two of them."""
    taken = {m.index for m in marks}
    # a break right above a numbered list that starts again at 1 ("---" / "1. …" / "2. …") opens a
    # list of its own: the answer above ends there, whether or not that list asks
    restarts = [Mark(first.index, "boundary", "", "break", False) for k in breaks
                if (first := next_content(lines, k)) is not None
                and first.numbering is not None and first.numbering.numbers == (1,) and not first.indent
                and not first.quote and first.index not in taken]
    # so does a break right above a bold title alone ("---" / "**Key Parameters**"), after a
    # question that is no heading: a section of the page's own starts there
    asking_at = sorted(m.index for m in marks if m.role == "question")

    def after_listed_question(k: int) -> bool:
        above = bisect_left(asking_at, k)  # the questions above break k
        return above > 0 and not lines[asking_at[above - 1]].heading

    titled = [Mark(first.index, "boundary", "", "break", False) for k in breaks
              if (first := next_content(lines, k)) is not None
              and first.bold and not first.quote and not first.indent and first.index not in taken
              and after_listed_question(k)]
    marks = sorted(marks + restarts + titled, key=lambda m: m.index)
    taken.update(m.index for m in restarts + titled)
    asked = [m.index for m in marks if m.role == "question" and not lines[m.index].heading]
    gaps = [[k for k in breaks if a < k < b] for a, b in zip(asked, asked[1:], strict=False)]
    if sum(map(bool, gaps)) < _SEPARATING or 2 * sum(map(bool, gaps)) < len(gaps):
        return marks
    ends = [Mark(k, "boundary", "", "break", False) for gap in gaps for k in gap if k not in taken]
    return sorted(marks + ends, key=lambda m: m.index)


def _under_question(lines: list[Line], owner: Mark, start: int, end: int,
                    separators: frozenset[int]) -> tuple[list[Mark], range, bool]:
    """What the section of heading question `owner` (lines `start`:`end`) holds: (the marks it
    adds, the lines that are the heading's own answer, whether the heading is a section).

    Its body is its answer, unless questions of another layout there win (`_yields`): then a
    heading with an answer of its own above them keeps it and they are its follow-ups
    (`_follow_ups`), and one without is a section whose sub-headings title those questions.
    On a page that separates its sections with thematic breaks, the questions after a break
    (`_cut`) are the page's either way."""
    marks: list[Mark] = []
    if cut := _cut(lines, start, end, separators):
        # the questions after a separating break are the page's, not the answer's
        marks += [Mark(cut[0], "boundary", "", heading.NAME, False)] + cut[1]
        end = cut[0]
    name, inner = choose_layout(lines[start:end], BODY_RULES)
    if not _yields(lines, owner, name, inner, end):
        # (the parts of its answer, "1. 根本原因：…", may stand above follow-ups of another layout)
        name, inner = choose_layout(lines[start:end], [rule for rule in BODY_RULES if rule[0] != name])
        if not _yields(lines, owner, name, inner, end):
            if (run := _question_run(lines, start, end)) is not None:
                # the page's further questions, unanswered, one a line: no part of this answer
                return marks + [Mark(run, "boundary", "", heading.NAME, False)], range(start, run), False
            return marks, range(start, end), False
    first = next(m.index for m in inner if m.role == "question")
    # a heading that is a question only by its asking siblings keeps an answer of its own
    # above one or two questions (not a section of them: "# 批标准化的意义" / its answer /
    # "**批标准化为什么有用？**")
    own = owner.asks or (_answered(lines, inner, end) < _INNER_QUESTIONS[True]
                         and any(_content(ln) and not ln.quote for ln in lines[start:first]))
    if (follow := _follow_ups(lines, owner, inner, start, first, end, own)) is not None:
        return marks + follow, range(start, first), False
    # its sub-headings that title some of its questions are topics, parts of an answer no more
    # (those that title none stay in the answer above them: "## 稀疏连接" under "**为什么用卷积？**")
    asked = {m.index for m in inner if m.role == "question"}
    subs = [ln.index for ln in lines[start:end] if ln.heading] + [end]
    titles = [Mark(a, "topic", topic_text(lines[a].body), heading.NAME, False, level=lines[a].heading)
              for a, b in zip(subs, subs[1:], strict=False) if question_text(lines[a].body) and any(a < i < b for i in asked)]
    return marks + inner + titles, range(0), True


_QUESTION_RUN = 3  # plain asking lines in a row that are a list of questions, not an answer's text
_CLOSING_RUN = 2  # … or that many closing the body
_SENTENCES = re.compile(r"[。！；]|\.\s")  # a line of sentences is prose that wonders, no bare question
_RUN_LINE = 80  # characters of such a line
_FOLLOW_UP_LABEL = re.compile(r"^\s*+(?:追问|继续追问|follow[- ]?up)\s*+[:：]\s*+", re.I)


def _question_run(lines: list[Line], start: int, end: int) -> int | None:
    """Where a run of three or more plain lines that each ask (blank lines between them aside;
    a `追问：` label read through) begins in a heading question's body (`start`:`end`), or None:
    a 面经 page's further questions, written one a line with no answer ("#### 门控网络是什么结构"
    / "softmax(mlp(x))" / "…会一样吗？" / "介绍下…" / "…有哪些？"). Lines after a lead-in ("常见追问：")
    or in a list are follow-ups the answer lists."""
    run: list[Line] = []
    introduced = False  # the lines since a lead-in ("常见追问：") are the answer's own list
    content = False  # the body has said something before the run
    for ln in lines[start:end]:
        if ln.blank:
            continue
        text = _FOLLOW_UP_LABEL.sub("", ln.text)
        plain = not (ln.heading or ln.bullet or ln.numbering or ln.in_code or ln.quote or ln.bold
                     or ln.text.lstrip().startswith("|"))  # (a table's rows are no lines of questions)
        if plain and len(text) <= _RUN_LINE and not _SENTENCES.search(text) and is_question_like(question_text(text)):
            if not introduced:
                run.append(ln)
                if len(run) == _QUESTION_RUN:
                    return run[0].index
            continue
        run = []
        content = True
        introduced = bool(LEAD_IN.match(ln.text.strip()))
    # two that close the body after its answer are the page's next questions too
    return run[0].index if content and len(run) >= _CLOSING_RUN else None


def _yields(lines: list[Line], owner: Mark, name: str, inner: list[Mark], end: int) -> bool:
    """Whether the questions of layout `name` under heading question `owner` are questions of
    their own rather than parts of its answer."""
    # a few asking bold lines among the answer's bold sub-titles are sub-titles too (but
    # bold list items that ask, each answered under it, are follow-up questions)
    if name == bold.NAME and bold.asking_share(lines[owner.index + 1:end]) < ASKING_SHARE and not all(
            lines[m.index].bullet for m in inner):
        return False
    # a numbered run some of whose items do not ask ("**1) 结构对比**", "**2) 为什么…？**")
    # under a heading that asks numbers the parts of its answer
    if owner.asks and any(m.role == "question" and not m.asks and m.layout in _NUMBERED_RUNS for m in inner):
        return False
    # a heading that asks yields only to questions that ask outright, not to its answer's
    # labels ("- **How They Work**: …", "- Compare: …"); questions labelled so ("- **Q：…？**")
    # are declared: two make a list
    needed = _INNER_QUESTIONS[owner.asks]
    if name == qa_marker.NAME:
        needed = min(needed, _LABELLED_QUESTIONS)
    asked = [m for m in inner if m.role == "question"]
    # right under an answer label ("- **答案要点**：" / "  1. 根本原因：…"), they are the answer's parts
    above = last_content(lines, asked[0].index, owner.index + owner.span) if asked else None
    if above is not None and answer_label_alone(above.text):
        return False
    if asked and all(labels_inline_answer(lines[m.index].text) for m in asked):
        needed = 1  # each with its answer labelled on its line ("- …多大？（答：…）"): declared pairs
    elif (asked and asks_outright(owner.text) and any(map(_content, lines[owner.index + owner.span:asked[0].index]))
          and all(label_below(lines, m.index + m.span, end) for m in asked)):
        # after an answer of the heading's own, each with its answer's label opening the line
        # under it ("…能一起用吗？" / "答：不建议…"): declared follow-ups (under a title that
        # asks nothing, "#### 2. Huber loss", the text above is the problem's statement)
        needed = 1
    return _answered(lines, inner, end, owner.asks) >= needed


def _follow_ups(lines: list[Line], owner: Mark, inner: list[Mark], start: int, first: int, end: int,
                own: bool) -> list[Mark] | None:
    """The marks of a heading question's follow-ups: its questions from `first` on, under
    their label ("**常见追问：**", "### 追问" / "- **追问 1：…？**"), and the text after them,
    back at the answer's depth ("**项目联系：**"), as more of the heading's answer. None when
    the heading has no answer of its own above them, or a sub-heading with text of its own
    stands above them: then it is a section of sections; or when it may have no answer of its
    own (`own` false: it asks nothing and holds several questions)."""
    lead = lines[start:first]
    titled = [ln for ln in lead if ln.heading]
    if (not own or not any(map(_content, lead))
            or (owner.asks and titled and any(map(_content, lines[titled[-1].index + 1:first])))):
        return None
    marks = list(inner) + _parts_between(lines, owner, inner, end)
    label = next((ln for ln in reversed(lead) if not ln.blank), None)
    if label is not None and not _content(label):
        marks.append(Mark(label.index, "topic", topic_text(label.body), heading.NAME, False, level=label.heading))
    last = inner[-1]
    body = lines[last.index + last.span:end]
    rest = _item_end(lines[last.index], body)
    if last.answer and lines[last.index].bullet:
        # a follow-up answered on its item's line ("- **Q：…？** A：…") ends at a label back at
        # the item's depth after a blank line, as its list does
        rest = next((k for k, ln in enumerate(body) if k and body[k - 1].blank and not _content(ln) and not ln.blank
                     and ln.indent <= lines[last.index].indent and not (ln.bullet or ln.numbering)), rest)
    if rest < len(body) and any(map(_content, body[rest:])) and body[rest].index not in {m.index for m in marks}:
        marks.append(Mark(body[rest].index, "answer", "", heading.NAME, False, target=owner.index, span=0))
    return marks


def _parts_between(lines: list[Line], owner: Mark, inner: list[Mark], end: int) -> list[Mark]:
    """Under a heading that is a question by its siblings only, the sub-headings among its
    follow-ups (`inner`, up to `end`): one with text of its own before the next follow-up opens
    more of the heading's answer ("# 正则化的做法" / "## 权重衰减" / text / "**系数怎么取？**" /
    its answer / "## 早停" / text); one right above a follow-up titles it. A heading that asks
    has sections of sections there instead (`_follow_ups`)."""
    if owner.asks:
        return []
    asked = [m.index for m in inner if m.role == "question"]
    marks = []
    for ln in lines[asked[0]:end]:
        if not ln.heading or ln.index in asked:
            continue
        upto = next((a for a in asked if a > ln.index), end)
        if any(map(_content, lines[ln.index + 1:upto])):
            marks.append(Mark(ln.index, "answer", "", heading.NAME, False, target=owner.index, span=0))
        else:
            marks.append(Mark(ln.index, "topic", topic_text(ln.body), heading.NAME, False, level=ln.heading))
    return marks


def _with_later_answers(lines: list[Line], marks: list[Mark]) -> list[Mark]:
    """`marks` with the answers given further down by number or by part letter (`deferred`);
    an answer's list items are no outline's sections."""
    by_index = {m.index: m for m in marks}
    by_index.update({m.index: m for m in deferred.detect(lines, marks)})
    part_questions, part_answers = deferred.parts(lines)
    by_index.update({m.index: m for m in part_questions + part_answers})
    out: list[Mark] = []
    for i in sorted(by_index):
        if not (by_index[i].layout == "outline" and out and out[-1].role == "answer"):
            out.append(by_index[i])
    return out


def _content(ln: Line) -> bool:
    """Whether a line says something, not only titles what follows: no heading, bold label
    or lead-in ending in a colon."""
    return not (ln.blank or ln.heading or ln.bold or LEAD_IN.match(ln.text.strip()))


def _with_topics(lines: list[Line], questions: list[Mark], topics: list[Mark], answers: set[int]) -> list[Mark]:
    """All marks in line order: the questions, the heading topics, and the numbered, outline
    and bare-line topics found outside the answers of heading questions."""
    qset = {m.index for m in questions}  # boundary marks included: no numbered topic there
    asking = [m for m in questions if m.role == "question"]
    topics = topics + [m for m in numbered.topics(lines, qset) if m.index not in answers]
    topics += [m for m in outline_items(lines, asking) if m.index not in answers]
    boundaries = qset | {m.index for m in topics}
    waiting = {m.index + max(m.span, 1) - 1 for m in asking if m.continues and not m.answer}  # their last lines
    extra = bare_line.detect(lines, {m.index for m in asking}, boundaries, waiting)
    # a bare title that ends a heading question's answer, right above the next heading question,
    # titles the questions after it where the page does so twice or more ("Coding Questions")
    headed = {m.index for m in asking if lines[m.index].heading}
    closing = {m.index: level for m in extra
               if m.index in answers and m.role == "topic" and (level := _closes(lines, m.index, headed))}
    extra = [m for m in extra if m.index not in answers] + (
        [replace(m, level=closing[m.index] - 0.5) for m in extra if m.index in closing] if len(closing) >= 2 else [])
    by_index: dict[int, Mark] = {m.index: m for m in topics}
    by_index.update({m.index: m for m in extra})
    by_index.update({m.index: m for m in questions})
    return [by_index[i] for i in sorted(by_index)]


_INLINE_MARKUP = re.compile(r"\*\*|__|`|\$|\[")


def _closes(lines: list[Line], k: int, headed: set[int]) -> int:
    """The level of the heading question that line `k`, a plain line, stands right above, after
    an answer's text (blank lines aside); 0 when it does not."""
    after = next_content(lines, k + 1)
    before = last_content(lines, k)
    closes = after is not None and after.index in headed and before is not None and not before.heading
    # a title is plain text at the page's margin: a quoted line ("> 《…》 7.1 …") cites, and a line
    # with emphasis, code or math in it ("…映射到**相同长度**的输出序列") ends the answer's prose
    plain = not (lines[k].quote or lines[k].indent or _INLINE_MARKUP.search(lines[k].text))
    return after.heading if closes and plain else 0


def _item_end(item: Line, body: list[Line]) -> int:
    """Where the answer of a list item ends when it is nested under the item: at the first
    line after a blank one that is back at the item's depth and no list item (a bold
    section label, a paragraph of the page), as CommonMark ends the item there; the whole
    body when the item is no list item or its answer is not nested. Text that stands left of
    an indented item after a blank line ("(b) 注意力的变体" under "    • …？") never is in it."""
    if not item.bullet:
        return len(body)
    first = next((k for k, ln in enumerate(body) if not ln.blank), None)
    if first is None:
        return len(body)
    if body[first].indent < item.indent and (first == 0 or body[first - 1].blank):
        return first
    if body[first].indent <= item.indent:
        return len(body)
    for k, ln in enumerate(body[1:], start=1):
        if (not ln.blank and body[k - 1].blank and ln.indent <= item.indent and not ln.bullet
                and not ln.numbering and not ln.in_code):
            return k
    return len(body)


def _goes_on(ln: Line, lines: list[Line], k: int) -> bool:
    """Whether the paragraph of `ln` (at `k` in `lines`) goes on to the next line: it is text
    of the same quote, no block of its own (heading, list item, code, display math, table row),
    and no line that later stages read alone (an option, an answer label)."""
    after = lines[k + 1] if k + 1 < len(lines) else None
    return (after is not None and not (after.blank or after.heading or after.bullet or after.numbering
                                       or after.in_code or after.text.lstrip().startswith(("|", "$$", "```", "~~~"))
                                       or OPENS_WITH_OPTION.match(after.text) or opens_with_answer_label(after.text))
            and after.quote == ln.quote)


def _answer_text(lines: list[Line], quoted: bool, column: int = 0) -> str:
    """The answer's Markdown; inside a blockquote that also holds the question, without
    the quote markers. Lines nested in the question's list item lose the item's content
    `column` of indentation: out of the item, four spaces would make them code."""
    out: list[str] = []
    first = next((ln for ln in lines if not ln.blank), None)
    opening = len(first.source) - len(first.source.lstrip(" ")) if first is not None else 0
    # an answer that does not stand in the item keeps its indentation; one that does starts
    # at the least indented of its lines in the item (a paragraph's extra leading spaces mean
    # nothing: a first line indented by five under lines indented by four made them code)
    inside = [len(ln.source) - len(ln.source.lstrip(" ")) for ln in lines if not ln.blank]
    inside = [i for i in inside if i >= column]
    # (a first line right under the item's, at the margin, goes on with the item's paragraph, as
    # CommonMark's lazy continuation does: the item holds what is indented after it too)
    lazy = bool(lines) and not lines[0].blank and opening < column
    column = min(inside) if column and (opening >= column or lazy) and inside else 0
    for k, ln in enumerate(lines):
        if ln.blank and ln.quote and not quoted and out and out[-1] != "":
            out.append(ln.source.rstrip())  # ">": the paragraphs of a quoted answer stay apart
            continue
        if ln.blank:
            if out and out[-1] != "":
                out.append("")
            continue
        if ln.heading:
            out.append(f"**{unbold(ln.body).strip(' *_')}**")  # a heading with bold in it is bold once ("🎯**关键作用**")
        else:
            line = (ln.text if quoted else ln.source).rstrip()
            indent = len(line) - len(line.lstrip(" "))
            line = line[column:] if indent >= column else line
            # a hard line break (two spaces ending a line whose paragraph goes on) is kept, written
            # as the backslash CommonMark also reads as one: trimmed, the lines would run together
            out.append(line + "\\" if ln.hard_break and _goes_on(ln, lines, k) else line)
    while out and out[-1] == "":
        out.pop()
    text = "\n".join(out)
    # the common indentation of scraped page text means nothing
    indents = [len(t) - len(t.lstrip(" ")) for t in out if t.strip()]
    if indents and min(indents) > 0:
        text = "\n".join(t[min(indents):] for t in out)
    # up to three spaces before a paragraph mean nothing in Markdown (a list's items keep theirs)
    return text if strip_list_marker(text) != text else re.sub(r"^ {1,3}(?=\S)", "", text)


def _answer_later(card: Card, mark: Mark, body: list[Line], line: Line) -> None:
    """Give `card` the answer, or the rest of its answer, that an answer mark opens further
    down on `line` (`deferred`, or the text after a heading question's follow-ups, whose
    mark spans no line so that `body` starts with it): the text on the mark's line after
    its number, then `body`. An answer the card holds goes first, unless it is only a label
    ("- **对应参考答案：**"). The card's source span grows to take the new lines in."""
    # an answer in a numbered item ("1." / "    the answer") loses the item's indentation
    column = (len(line.text) - len(strip_list_marker(line.text)) or len(line.text.rstrip()) + 1) if line.numbering else 0
    later = strip_answer_label("\n\n".join(p for p in (mark.answer, _answer_text(body, False, column)) if p.strip()))
    held = card.answer if card.answer.strip() and not LEAD_IN.match(unbold(strip_list_marker(card.answer)).strip()) else ""
    card.answer = "\n\n".join(p for p in (held, later) if p)
    numbers = [line.number] + [ln.number for ln in body if not ln.blank]
    span = card.sources[0]
    card.sources = [SourceSpan(span.file, span.first, max([span.last, *numbers]))]


def _shown(ln: Line) -> bool:
    """Whether a line is part of something a question can show: code, a table, an image."""
    return ln.in_code or ln.text.lstrip().startswith("|") or (ln.link_only and "![" in ln.text)


def _material(body: list[Line], introduces: bool) -> int:
    """Where the answer starts when what stands before it is material the question needs: the
    lines before the answer's label ("下面代码的输出是什么？" / a code block / "答：2"), code, table
    rows, images and lines that ask, with one code block, table or image at least; or, under a
    question that introduces what follows ("Consider the code:"), the code blocks, tables or images
    that open the body and the lines that ask after them ("What is B.shape?"), when more follows.
    0 when the body opens otherwise."""
    shown = False
    for k, ln in enumerate(body):
        if ln.blank:
            continue
        label = not ln.in_code and opens_with_answer_label(ln.text)
        if label:
            return k if shown and not EXPLANATION_LABEL.match(ln.text) else 0
        asking = asks_outright(question_text(ln.text))
        if shown and introduces and not (_shown(ln) or asking):
            return k
        if not (_shown(ln) or asking):
            return 0
        shown = shown or _shown(ln)
    return 0


_LIST_LAYOUTS = {numbered.NAME, bullet.NAME}  # the layouts whose questions are items of a list
_BANK = 8  # list questions a page has at least to be a question bank
_BANK_ANSWERED = 0.2  # the share of them answered, at most


def _question_bank(lines: list[Line], marks: list[Mark]) -> bool:
    """Whether a page lists its questions and answers only a few (a 面经, an outline of questions
    to prepare): at least `_BANK` numbered or bulleted questions, at most `_BANK_ANSWERED` of
    them with an answer after them (text that goes on asking is none, see `_elaborates`)."""
    asking = [k for k, m in enumerate(marks) if m.role == "question" and m.layout in _LIST_LAYOUTS]
    if len(asking) < _BANK:
        return False
    answered = 0
    for k in asking:
        body = lines[marks[k].index + marks[k].span:marks[k + 1].index if k + 1 < len(marks) else len(lines)]
        answered += bool(marks[k].answer or (any(not ln.blank for ln in body) and not _elaborates(marks[k], body)))
    return answered <= _BANK_ANSWERED * len(asking)


_PROBLEMS = 2  # titled problems with a solution label that make a page of problems
_GIVEN_LINES = 3  # lines of data an imperative problem title may hold above its solution label


def _problem_statements(lines: list[Line], marks: list[Mark]) -> dict[int, int]:
    """Per heading question titled without asking ("### Problem 2: Bandits"), how many lines of
    its body are its statement, the question's front: those above an answer label alone
    ("**Solution:**"); on a page where at least `_PROBLEMS` such headings, and most, hold one,
    the whole body of one that holds none (a problem left unsolved). An imperative title asks
    without a question mark ("### Q1. Calculate the output" / "Given: z = …" / "**Solution:**"):
    its statement is the data above the label, at most `_GIVEN_LINES` lines (more is an answer
    of its own before a second one: "解释…的原理" / its Chinese answer / "**English Answer:**").
    Headings with no statement are left out."""
    titled: dict[int, tuple[int | None, int]] = {}
    given: dict[int, int] = {}
    for k, m in enumerate(marks):
        if m.role != "question" or not lines[m.index].heading or ends_with_question_mark(m.text):
            continue
        body = lines[m.index + m.span:marks[k + 1].index if k + 1 < len(marks) else len(lines)]
        at = heading.solution_label_at(body)
        if not is_question_like(m.text):
            titled[m.index] = (at, len(body))
        elif at is not None and sum(not ln.blank for ln in body[:at]) <= _GIVEN_LINES:
            given[m.index] = at
    solved = sum(at is not None for at, _ in titled.values())
    problems = solved >= _PROBLEMS and 2 * solved > len(titled)
    return given | {i: at if at is not None else size for i, (at, size) in titled.items() if at is not None or problems}


def _elaborates(mark: Mark, body: list[Line]) -> bool:
    """Whether the unlabelled text under a listed question goes on asking rather than answers:
    the question introduces it ("…when the learning rate is:" / "1. too high" …), or it is
    clauses with no sentence in them, at least one of which asks ("关于word2vec" /
    "word2vec如何训练，层次softmax和负采样")."""
    filled = [ln for ln in body if not ln.blank]
    if not filled or filled[0].in_code or opens_with_answer_label(filled[0].text):
        return False
    if introduces(mark.text):
        return True
    texts = [question_text(ln.text) for ln in filled]
    return not any(_SENTENCES.search(t) for t in texts) and any(is_question_like(t) for t in texts)


def _trailing_label(body: list[Line]) -> int | None:
    """Where in `body` (an answer up to the next question) a bold label that only introduces
    what follows ("**可能追问：**") stands as its last line, text of the answer above it; else None."""
    content = [k for k, ln in enumerate(body) if not ln.blank]
    if len(content) < 2:
        return None
    last = body[content[-1]]
    # (a plain lead-in, "影响三个东西：", says something of the answer's own list)
    if last.in_code or last.bullet or last.numbering or last.quote or last.heading or not (last.introduces and last.bold):
        return None
    return content[-1]


def _titling(marks: list[Mark]) -> list[bool]:
    """Per mark, whether a question follows it before the next heading: a topic line inside a
    section ("(1) 增大感受野", an outline item) that titles no question is no title. One pass
    from the end (asked per mark, a page of thousands of topic lines was quadratic)."""
    titles = [False] * len(marks)
    for k in range(len(marks) - 2, -1, -1):
        after = marks[k + 1]
        titles[k] = after.role == "question" or (not after.level and titles[k + 1])
    return titles


# an answer that only points to the one above it ("同上", "_Same as above._")
_SAME_AS_ABOVE = re.compile(r"(?:同上(?:题|一题)?|同前(?:题|一题)?|(?:the\s++)?same\s++as\s++(?:above|the\s++previous(?:\s++(?:one|question))?))"
                            r"[\s。.!！]*+$", re.I)
SAME_AS_ABOVE = "the source answers \"same as above\": this is the answer of the question before it"


TITLE = "title"  # the layout of a post whose one question is its title


def _titled_post(doc: CleanDocument, lines: list[Line], marks: list[Mark], topic: str) -> Card | None:
    """The one card of a post whose question is its front matter's title ("title: 有做过智能体
    规划吗？") and whose body, all of it, answers it: the title ends in a question mark, and what
    asks in the body are section headings without one (they title parts of the answer: "# 参数
    有哪些" / a table / "# 写作场景" …), under the cards' `topic`; None otherwise."""
    if not doc.title or not ends_with_question_mark(doc.title):
        return None
    if any(m.role == "question" and (not lines[m.index].heading or ends_with_question_mark(m.text)) for m in marks):
        return None
    content = [ln for ln in lines if not ln.blank]
    if not content:
        return None
    return Card(question=doc.title, answer=_answer_text(lines, False), topic=topic,
                sources=[SourceSpan(doc.name, content[0].number, content[-1].number)], layout=TITLE)


def extract(doc: CleanDocument, title: str, layout_hint: str = "") -> Extraction:
    lines = analyse(doc.lines, doc.code_lines, doc.kind == "markdown")
    marks = find_marks(lines, layout_hint, doc.breaks)
    if not layout_hint and (post := _titled_post(doc, lines, marks, title)) is not None:
        return Extraction(doc.name, [post], [], [], {TITLE: 1})
    cards: list[Card] = []
    drops: list[Drop] = []
    topic_lines: list[int] = []
    layouts: dict[str, int] = {}

    shown = deferred.shown_premises(lines, marks)  # problem statements on the fronts of their parts

    def unclaimed(chunk: list[Line], rule: str) -> None:
        for ln in chunk:
            # a line of quote markers alone (">>") is blank text but not a blank line: named too
            if not is_blank(ln.source) and ln.index not in shown:
                drops.append(Drop("link_only" if ln.link_only else rule, doc.name, ln.number,
                                  (ln.text.strip() or ln.source.strip())[:200]))

    asked: dict[int, Card] = {}  # the card of each question mark, by its line index
    bank = _question_bank(lines, marks)
    statements = _problem_statements(lines, marks)
    first = marks[0].index if marks else len(lines)
    unclaimed(lines[:first], "preamble" if marks else "no_questions")
    # heading topics nest: a question takes the deepest open topic above its own level. A
    # topic line inside a section (a numbered title, an outline item) nests just under that
    # section's heading, so the next heading at or above that level closes it.
    open_topics: list[tuple[float, str]] = []
    titles = _titling(marks)
    container = 0  # the level of the heading the marks stand under
    section = ""  # the quiz section label the cards stand under ("二、判断题"): their kind, not their topic
    for k, mark in enumerate(marks):
        end = marks[k + 1].index if k + 1 < len(marks) else len(lines)
        body = lines[mark.index + mark.span:end]
        if mark.role == "boundary":
            unclaimed([lines[mark.index]] + body, "section_text")  # an item that ends its sibling's answer
            continue
        if mark.role == "answer":
            _answer_later(asked[mark.target], mark, body, lines[mark.index])
            continue
        if mark.level:
            container = mark.level
            open_topics = [t for t in open_topics if not t[0] or t[0] < mark.level]
        # (a quiz section's heading still closes the topics at its level: "## Part 4: Fill in the
        # blank" ends "## Part 3: Code")
        if mark.role == "topic" and quiz_section(mark.text):
            section = mark.text
            topic_lines.append(lines[mark.index].number)
            unclaimed(body, "section_text")
            continue
        if mark.role == "topic" and not mark.level and not titles[k]:
            unclaimed([lines[mark.index]] + body, "section_text")  # a title of nothing is text that went nowhere
            continue
        if mark.role == "topic":
            section = ""
            level = mark.level or (container + 0.5 if container else 0)
            open_topics = [t for t in open_topics if level and t[0] and t[0] < level]
            if mark.text:
                open_topics.append((level, mark.text))
            topic_lines.append(lines[mark.index].number)
            unclaimed(body, "section_text")
            continue
        above = [text for level, text in open_topics if not (mark.level and level and level >= mark.level)]
        topic = above[-1] if above else title
        before = marks[k - 1] if k else None
        if (before is not None and before.role == "topic" and before.text and before.level == mark.level
                and not quiz_section(before.text)
                and all(ln.blank for ln in lines[before.index + 1:mark.index])):
            topic = before.text  # "## Softmax" right above "## Softmax 如何用于多分类？": its title
        if bank and mark.layout == bullet.NAME and mark.answer and not (mark.asks or is_question_like(mark.answer)):
            # in an outline of questions to prepare, "- 核心：…" titles points, it states no answer
            unclaimed([lines[mark.index]] + body, "section_text")
            continue
        if not mark.continues:
            unclaimed(body, "section_text")
            body = []
        item_end = _item_end(lines[mark.index], body)
        unclaimed(body[item_end:], "section_text")
        body = body[:item_end]
        text = lines[mark.index].text  # a list item's marker and the space after it: its content column
        column = len(text) - len(strip_list_marker(text))
        # the code, table or figure that the question needs, before its answer's label, is on
        # the front (the card's span still covers those lines)
        # (a question as written may end in the colon its front leaves out: "… be incorrect :")
        material = 0 if mark.answer else _material(body, introduces(mark.text) or introduces(
            lines[mark.index + mark.span - 1].text))
        if not material and not mark.answer and lines[mark.index].heading:
            # a problem's title over its statement and a solution label: the statement is the
            # question; on a page of such problems, one with no solution is all statement
            material = statements.get(mark.index, 0)
        if bank and not mark.answer and mark.layout in _LIST_LAYOUTS and _elaborates(mark, body):
            material = len(body)  # in a question bank, what follows a question unlabelled is more of it
        following = marks[k + 1] if k + 1 < len(marks) else None
        if following is not None and following.role == "question" and (label := _trailing_label(body)) is not None:
            # a label closing the answer titles the questions under it ("**可能追问：**" / "- **Q：…**")
            topic_lines.append(body[label].number)
            body = body[:label]
        question = mark.text
        if material:
            question = f"{question}\n\n{_answer_text(body[:material], lines[mark.index].quote > 0, column)}"
        parts = [mark.answer, _answer_text(body[material:], lines[mark.index].quote > 0, column)]
        if is_link_only(parts[0]) and parts[1].strip():
            parts.reverse()  # a pointer on the question's line ("→ [第2篇](…)") goes after the answer under it
        if following is not None and following.carry:
            parts.append(following.carry)
        answer = strip_answer_label("\n\n".join(p for p in parts if p.strip()))
        # the front shows a link's text; its address stays with the card, on the back
        links = [link for link in markdown_links(lines[mark.index].text) if link not in answer]
        if links:
            answer = "\n\n".join(p for p in (answer, " · ".join(links)) if p)
        numbers = [ln.number for ln in lines[mark.index:mark.index + mark.span]] + [ln.number for ln in body if not ln.blank]
        if following is not None and following.carry:
            numbers.append(lines[following.index].number)
        notes = []
        if _SAME_AS_ABOVE.match(answer.strip().strip("*_ \t")) and cards and cards[-1].answer.strip():
            answer, notes = cards[-1].answer, [SAME_AS_ABOVE]  # "同上": the reader needs the answer it points to
        cards.append(Card(question=question, answer=answer, topic=topic,
                          sources=[SourceSpan(doc.name, min(numbers), max(numbers))], layout=mark.layout,
                          section=section, notes=notes))
        asked[mark.index] = cards[-1]
        layouts[mark.layout] = layouts.get(mark.layout, 0) + 1
    return Extraction(doc.name, cards, topic_lines, drops, layouts)

