"""What a detector sees of a line: heading level, list marker, numbering, Q/A label."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from ..model import SourceLine
from ..text import introduces, is_blank, is_code_statement, is_link_only, undecorated, zh_number

_QUOTE = re.compile(r"^ {0,3}(?:> ?)+")
# the closing #s of a heading are cut off in `heading_body`: as `(.*?)\s*#*\s*$` the regex
# took cubic time on a heading with a long run of spaces inside
_HEADING = re.compile(r"^\s{0,3}(#{1,6})(?:\s++(.*))?$")  # an empty heading ("######") too
_BULLET = re.compile(r"^(\s*)([-*+•·▪●○◦])\s+(.*)$")
_NUMBERING = [
    # style name, pattern; group 1 is the number, group 2 the rest. \d takes full-width digits too.
    # (a star after the number marks an optional exercise: "5.9* 试推导…")
    ("dotted", re.compile(r"^\s*(\d{1,3}(?:[.．]\d{1,3})+)\*?(?:[.．，](?!\d)|(?=\s)|(?=[\u4e00-\u9fff]))\s*(.*)$")),
    ("dun", re.compile(r"^\s*(\d{1,3})\s*[、]\s*(.*)$")),
    ("dot", re.compile(r"^\s*(\d{1,3})[.．](?![\d)）])\s*(.*)$")),
    ("paren", re.compile(r"^\s*(\d{1,3})[.．]?[)）]\s*(.*)$")),  # "1)", "1.)"
    ("wrapped", re.compile(r"^\s*[(（]\s*(\d{1,3})[.．]?\s*[)）][.．、]?\s*(.*)$")),  # "(1)", "（1.）", "(1)."
    ("zh", re.compile(r"^\s*([一二三四五六七八九十]{1,3})\s*[、.．，]\s*(.*)$")),
    ("zh_wrapped", re.compile(r"^\s*[(（]\s*([一二三四五六七八九十]{1,3})\s*[)）][.．、]?\s*(.*)$")),
    # a bold number that labels an item: "**4-2** 在一个过程中…？", "**3.** …"
    ("bold_no", re.compile(r"^\s*+(?:\*\*|__)(\d{1,3}(?:[-–.．]\d{1,3})*+)[.．、:：)）]?(?:\*\*|__)\s*+(\S.*)$")),
    ("question_no", re.compile(r"^\s*+(?:[QqＱ](?:uestion)?|问题|题目|第)\s*+(\d{1,3}(?:\.\d{1,3})*+)\s*+(?:题\s*+)?(?:[:：.．、)）·]|(?<=\s)[-–—]\s|(?=[【\[]))\s*+(.*)$")),
]
_BOLD_LINE = re.compile(r"^\s*+(?:[-*+]\s++)?(\*\*|__)(.+?)\1\s*+(?:[:：]\s*+)?$")


@dataclass(frozen=True)
class Numbering:
    style: str
    numbers: tuple[int, ...]
    rest: str


@dataclass(frozen=True)
class Line:
    index: int
    number: int
    text: str
    blank: bool
    indent: int
    heading: int  # 0, or the Markdown heading level
    body: str  # text without heading marks or list marker
    bullet: str  # list marker, or ""
    numbering: Numbering | None
    bold: str  # the text of a line that is bold as a whole, or ""
    link_only: bool
    in_code: bool
    quote: int = 0  # blockquote depth; `text` is the line without its `>` markers
    source: str = ""  # the line as written, markers included (trailing spaces off)
    hard_break: bool = False  # in Markdown, two or more spaces end it: a line break if the paragraph goes on

    @property
    def introduces(self) -> bool:
        """Whether the line only introduces what follows: its body ends in a colon, emphasis
        aside ("### 使用场景：", "**Steps**:")."""
        return introduces(self.body)


def parse_numbering(text: str) -> Numbering | None:
    bold = text.lstrip().startswith(("**", "__"))
    for style, pattern in _NUMBERING:
        if style == "bold_no" and not bold:
            continue  # (most lines: a cheap test before the pattern)
        m = pattern.match(text)
        if m:
            raw = unicodedata.normalize("NFKC", m.group(1))
            numbers = (zh_number(raw),) if style.startswith("zh") else tuple(int(p) for p in re.split(r"[.\-–]", raw))
            return Numbering(style, numbers, m.group(2).strip())
    return None


def analyse(lines: list[SourceLine], code: frozenset[int] = frozenset(), parsed: bool = False) -> list[Line]:
    """What a detector sees of each line; `code` holds the positions of the lines the parser
    put in code blocks. In a document the parser did not read (`parsed` false: page text) a
    fence is followed here too."""
    out: list[Line] = []
    fence = False
    fence_quoted = False  # the open fence stands in a blockquote: its lines, closing one too, carry the marks
    for i, ln in enumerate(lines):
        source = ln.text.rstrip()
        quoted = _QUOTE.match(source) if not fence or fence_quoted else None
        text = source[quoted.end():] if quoted else source
        in_code = fence or (text.lstrip().startswith(("```", "~~~")) and not parsed) or i in code
        if text.lstrip().startswith(("```", "~~~")) and not parsed:
            fence = not fence
            fence_quoted = fence and quoted is not None
        blank = is_blank(text)
        indent = len(text) - len(text.lstrip(" "))
        heading, body, bullet = 0, text.strip(), ""
        if not in_code and (m := _HEADING.match(text)):
            heading, body = len(m.group(1)), (m.group(2) or "").rstrip().rstrip("#").strip()
        elif not in_code and (m := _BULLET.match(text)):
            bullet, body = m.group(2), m.group(3).strip()
        # a heading's number may stand inside its bold ("### **二、…**") or after a pictograph ("## 🚀 **6. …**")
        numbering = None if in_code or blank else parse_numbering(
            undecorated(undecorated(body).strip("*_ ")) if heading else text)
        bold_match = None if in_code else _BOLD_LINE.match(text)
        out.append(Line(i, ln.number, text, blank, indent, heading, body, bullet, numbering,
                        bold_match.group(2).strip() if bold_match else "",
                        not blank and not in_code and is_link_only(text), in_code,
                        quoted.group(0).count(">") if quoted else 0, source,
                        parsed and not in_code and not blank and ln.text.endswith("  ")))
    return _sequence_levels(_spaced_runs(_comments_of_loose_code(out)))


_SEQUENCE = 3  # headings numbered one after another in one style: a run of siblings …
_SEQUENCE_SHARE = 2 / 3  # … whose level is the one this share of them has


def _sequence_levels(lines: list[Line]) -> list[Line]:
    """`lines` with a heading of a numbered run that was written a level up set to the run's
    level: headings numbered one after the other in one style ("##### (79)" / "#### (80)" /
    "##### (81)") are siblings, and (80) would otherwise hold the rest of the run as its
    section. A run is `_SEQUENCE` or more headings, headings of other styles between them
    aside; its level is the one `_SEQUENCE_SHARE` of them have. A heading is moved only when
    the next one of its run stands in its section (a run that goes on at the heading's own
    level, "### 77." / "# 78." / "# 79.", changed its style there and keeps it)."""
    runs: list[list[Line]] = []
    open_run: dict[str, list[Line]] = {}  # by numbering style
    for ln in lines:
        if not ln.heading or ln.numbering is None or len(ln.numbering.numbers) != 1:
            continue
        run = open_run.get(ln.numbering.style)
        if run is None or ln.numbering.numbers[0] != run[-1].numbering.numbers[0] + 1:
            run = open_run[ln.numbering.style] = []
            runs.append(run)
        run.append(ln)
    levels: dict[int, int] = {}
    for run in runs:
        if len(run) < _SEQUENCE:
            continue
        counts = [(sum(x.heading == level for x in run), level) for level in {x.heading for x in run}]
        count, level = max(counts)
        if len(counts) > 1 and count >= _SEQUENCE_SHARE * len(run):
            levels.update((x.index, level) for x, after in zip(run, run[1:], strict=False)
                          if x.heading < level and after.heading > x.heading
                          and not any(0 < ln.heading <= x.heading for ln in lines[x.index + 1:after.index]))
    return [replace(ln, heading=levels[ln.index]) if ln.index in levels else ln for ln in lines] if levels else lines


def next_content(lines: list[Line], start: int, end: int | None = None) -> Line | None:
    """The first line that is not blank at or after position `start` of `lines` and before
    `end` (the end of `lines` when None); None when there is none. A walk, not a slice: callers
    ask this once per heading, break or line, and a copy of the rest of the page each time
    made long pages quadratic."""
    stop = len(lines) if end is None else end
    while start < stop and lines[start].blank:
        start += 1
    return lines[start] if start < stop else None


def last_content(lines: list[Line], end: int, start: int = 0) -> Line | None:
    """The last line that is not blank before position `end` of `lines` and at or after
    `start`; None when there is none (a walk back, as `next_content`)."""
    while end > start and lines[end - 1].blank:
        end -= 1
    return lines[end - 1] if end > start else None


SPACED = re.compile(r"^\s*+(\d{1,3})\s++(\S.*)$")  # "3 深层网络容易过拟合还是…": a number set off by a space
_SPACED_RUN = 3


def bold_numbering(text: str) -> Numbering | None:
    """The numbering of a bold label's text: any of `parse_numbering`'s, or a number set off
    by spaces (inside bold it can be nothing else: "3 代码实现卷积")."""
    if numbering := parse_numbering(text):
        return numbering
    m = SPACED.match(text)
    return Numbering("spaced", (int(m.group(1)),), m.group(2).strip()) if m else None


def _spaced_runs(lines: list[Line]) -> list[Line]:
    """`lines` with the numbering of a list numbered by a space alone: three or more lines in a
    row, nothing else between them, numbered 1, 2, 3 … ("1 dropout的作用" / "2 l1范数…"), read as
    the plain numbers ("1. …") they stand for. One such line is no list ("3 个原因：" is a sentence)."""
    out = list(lines)
    run: list[int] = []

    def close() -> None:
        if len(run) >= _SPACED_RUN:
            for k in run:
                m = SPACED.match(out[k].text)
                number, rest = int(m.group(1)), m.group(2).strip()
                out[k] = replace(out[k], numbering=Numbering("dot", (number,), rest), text=f"{number}. {rest}")
        run.clear()

    for k, ln in enumerate(lines):
        m = None if ln.blank or ln.heading or ln.bullet or ln.numbering or ln.in_code else SPACED.match(ln.text)
        if m is not None and int(m.group(1)) == len(run) + 1:
            run.append(k)
            continue
        close()
        if m is not None and m.group(1) == "1":
            run.append(k)
    close()
    return out


def _comments_of_loose_code(lines: list[Line]) -> list[Line]:
    """`lines` with each `# …` heading that stands between two Python statements read as the
    comment it is: code that lost its fence ("x1, y1 = box" / "# Compute the overlap" /
    "w = max(0, x2 - x1)") has no headings."""
    filled = [k for k, ln in enumerate(lines) if not ln.blank]
    out = list(lines)
    for a, k, b in zip(filled, filled[1:], filled[2:], strict=False):
        ln = lines[k]
        if (ln.heading and ln.text.lstrip().startswith("#") and not lines[a].heading and not lines[b].heading
                and is_code_statement(lines[a].text) and is_code_statement(lines[b].text)):
            # escaped, so that the answer's Markdown shows the comment, not a heading
            out[k] = replace(ln, heading=0, body=ln.text.strip(), numbering=None,
                             source=re.sub(r"^(\s*)#", r"\1\\#", ln.source, count=1))
    return out
