"""Study sheets: build/study.md (CommonMark with $…$ math), build/study.pdf and
build/quiz.pdf (Typst, CJK font embedded). Each PDF is laid out in parts of PART_CARDS
items, each a Typst document cached in build/cache/sheets by the digest of what it shows,
joined with pypdf: a rebuild lays out only the parts whose content changed.

Card text is Markdown from scraped pages, parsed once (`markup.parse`) and written from its
tokens: in Typst every character of text that Typst reads as markup is escaped, in study.md
every character CommonMark would read (`export/commonmark.py`). LaTeX math is converted
with tex2typst, whose output is untrusted: it is lexed,
its strings re-escaped, and a formula with anything that leaves math (`$`, `#` code other
than a few plain values, comments) is not used. A formula that does not convert, is not
used, or that Typst then rejects, is printed as its LaTeX source in a code font and
reported. Typst compiles in a root folder holding only copies of the images the cards
draw, so no source can read a file.
study.md goes through `inert.inert_markdown`: no raw HTML, unsafe link or image."""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from pathlib import Path

import tex2typst
import typst
from markdown_it.token import Token

from ..choices import INFERRED_KEY, KEYS_JOINED, cloze_explanation
from ..inert import MATH, defang_tex, inert_markdown, too_deep
from ..markup import MATH_TOKENS, formulas, parse, parse_inline
from .commonmark import ImageLink, inline_commonmark, missing_image, to_commonmark
from ..cache import Fragments, code_version
from ..model import OTHER_SOURCE, Card, PipelineError
from ..output import by_topic, provenance
from ..render import Media, image_digests, markdown_would_stall
from ..stamps import CACHE
from ..yamlio import write_atomic

FONTS = ("Noto Sans CJK SC", "Noto Serif CJK SC", "DejaVu Sans", "Noto Color Emoji")
INFERRED = "（推断）"  # after a key the build inferred from the explanation
_TYPST_SPECIAL = re.compile(r"([\\#$*_`<>@\[\]~/=+\-\"'])")
_DIAGNOSTIC_LINE = re.compile(r":(\d+):(\d+)")


_ENUM_START = re.compile(r"^(\d+)\.")


def escape(text: str) -> str:
    """Plain text for Typst markup: every special character escaped (and the dot of a
    number that opens the text, which Typst would read as a numbered list)."""
    return _ENUM_START.sub(r"\1\\.", _TYPST_SPECIAL.sub(r"\\\1", text))


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# tex2typst's output, token by token. It copies `\text{…}` between quotes unescaped, so a
# `"` there would close the string and let `$` or `#` run markup or code: strings are
# re-escaped, and outside them only the plain values it writes are allowed (`#none`,
# `#h(1em)`: not followed by anything that would call them or reach into them).
_MATH_TOKEN = re.compile(
    r'"(?P<string>[^"]*)"'
    r"|(?P<value>#(?:none|auto|true|false|left|center|right|top|bottom|horizon"
    r"|h\(-?\d+(?:\.\d+)?(?:em|pt|mm|cm|in)\))(?![\w\-.(\[{]))"
    r"|(?P<bad>[#$\"]|\\\Z|//|/\*|\*/)"
    r"|\\.|[^#$\"\\/*]+|[/*]", re.S)


def safe_math(typ: str) -> str | None:
    """tex2typst's output made safe to place between `$`: strings re-escaped; None when it
    holds anything that would leave math (a `$`, code, a comment, an unclosed string)."""
    out, pos = [], 0
    for m in _MATH_TOKEN.finditer(typ):
        if m.group("bad") is not None or m.start() != pos:
            return None
        pos = m.end()
        out.append(_string(m.group("string")) if m.group("string") is not None else m.group(0))
    return "".join(out)


# the Typst that opens and closes a block token, where it needs nothing of the token
_BLOCK_MARKUP = {
    "heading_open": "#strong[", "heading_close": "];\n\n",
    "bullet_list_close": ");\n\n", "ordered_list_close": ");\n\n",
    "list_item_open": "[", "th_open": "[", "td_open": "[",
    "list_item_close": "], ", "th_close": "], ", "td_close": "], ",
    "blockquote_close": "];\n\n",
    "thead_open": "table.header(", "thead_close": "), ", "table_close": ");\n\n",
}


class TypstWriter:
    """Card Markdown to Typst markup, written from the field's tokens (`markup.parse`, the
    parse every output shares); remembers each formula so that a Typst error on a line can
    be traced back to the LaTeX it came from, and each image the sheet draws (copied into
    Typst's root folder under a name of its own)."""

    def __init__(self, fallback: set[str], plain: set[str], source_dir: Path | None = None):
        self.fallback = fallback  # LaTeX sources Typst rejected on an earlier pass
        self.plain = plain  # ids of cards Typst rejected on an earlier pass: shown as escaped text
        self.formulas: list[tuple[str, str]] = []  # (Typst math, LaTeX source)
        self.failed: list[str] = []
        self.lines: list[str] = []
        self.owners: list[str | None] = []  # per line, the id of the card it shows
        self.card: str | None = None
        self.media = Media(source_dir)
        self.images: dict[str, Path] = {}  # name in Typst's root folder -> image file
        self.bookmarks = 0  # headings written that are bookmarks of the PDF

    def math(self, tex: str, display: bool) -> str:
        """A formula as Typst math, or its LaTeX in a code font when it does not convert."""
        tex = tex.strip()
        typ = None
        if tex not in self.fallback:
            try:
                typ = safe_math(tex2typst.tex2typst(defang_tex(tex)))
            except Exception:  # noqa: BLE001 - the converter raises its own error types
                typ = None
        if typ is None:
            self.failed.append(tex)
            return _code(tex)
        # on one line: a Typst error's line then finds its formula
        typ = typ.replace("\n", " ")
        typ = f"$ {typ} $" if display else f"${typ}$"
        self.formulas.append((typ, tex))
        return typ

    def inline(self, text: str) -> str:
        """One line of card Markdown (a question's first line, an option, a key) as Typst
        markup on one line."""
        if self.card in self.plain or markdown_would_stall(text):
            return self._escaped(text)
        return self._inline(list(parse_inline(text)))

    def block(self, markdown_text: str) -> None:
        """A card field (Markdown) as Typst blocks: paragraphs, lists at any depth, tables,
        code, quotes, display math, images."""
        if self.card in self.plain or too_deep(markdown_text) or markdown_would_stall(markdown_text):
            for line in markdown_text.split("\n"):
                self.raw(self._escaped(line.strip()) + " \\" if line.strip() else "")
            return
        self._emit(self._blocks(list(parse(markdown_text))))

    def _escaped(self, text: str) -> str:
        """Text shown as written, its formulas as LaTeX (reported as such)."""
        if not markdown_would_stall(text):
            self.failed += formulas(text)
        return _text(text)

    def _blocks(self, tokens: list[Token]) -> str:
        # every `#call` ends in `;`: text after it such as "(…)" or "[…]" would otherwise
        # continue the call as code, the way `**粗体**(注释)` once did
        out: list[str] = []
        for k, token in enumerate(tokens):
            kind = token.type
            if kind == "inline":
                out.append(self._inline(token.children or []))
            elif kind == "paragraph_close" and not token.hidden:
                out.append("\n\n")
            elif kind in _BLOCK_MARKUP:
                out.append(_BLOCK_MARKUP[kind])
            elif kind in ("bullet_list_open", "ordered_list_open"):
                start = token.attrs.get("start")
                out.append(_apart(out) + ("#list(" if kind == "bullet_list_open" else f"#enum(start: {int(start or 1)}, "))
            elif kind == "blockquote_open":
                out.append(_apart(out) + "#block(inset: (left: 0.8em), stroke: (left: 0.8pt + gray))[")
            elif kind == "table_open":
                columns = _columns(tokens, k)
                out.append(_apart(out) + f"#table(columns: {columns}, stroke: 0.4pt + gray, ")
            elif kind in ("fence", "code_block"):
                lang = token.info.split()[0] if token.info.strip() else "text"
                code = _breakable(token.content.rstrip("\n"))
                out.append(f"#raw(block: true, lang: {_string(lang)}, {_string(code)});\n\n")
            elif kind in MATH_TOKENS:
                out.append(self.math(token.content, True) + "\n\n")
            elif kind == "hr":
                out.append("#line(length: 100%, stroke: 0.4pt + gray);\n\n")
        return "".join(out).strip()

    def _inline(self, tokens: list[Token]) -> str:
        out: list[str] = []
        links: list[bool] = []  # per open link: whether it is shown as a link
        for token in tokens:
            kind = token.type
            if kind == "text":
                out.append(_text(token.content))
            elif kind in ("softbreak", "hardbreak"):
                out.append("#linebreak();")
            elif kind == "code_inline":
                out.append(_code(token.content))
            elif kind in MATH_TOKENS:
                out.append(self.math(token.content, False))
            elif kind in _INLINE_STYLE:
                out.append(f"#{_INLINE_STYLE[kind]}[")
            elif kind in ("strong_close", "em_close", "s_close"):
                out.append("];")
            elif kind == "link_open":
                href = str(token.attrs.get("href", ""))
                links.append(href.startswith(("http://", "https://")))
                out.append(f"#link({_string(href)})[" if links[-1] else "")
            elif kind == "link_close":
                out.append("];" if links.pop() else "")
            elif kind == "image":
                out.append(self._image(token))
        return "".join(out)

    def _image(self, token: Token) -> str:
        """A local image drawn at most as wide as the text column; a remote one is a link."""
        src, alt = str(token.attrs.get("src", "")), token.content
        if src.startswith(("http://", "https://")):
            return f"#link({_string(src)})[{escape('🖼 ' + (alt or '图片'))}];"
        target = self.media.local(src)
        if target is None or target.suffix.lower() not in TYPST_IMAGES:
            return escape(missing_image(alt, src))
        name = hashlib.blake2b(str(target).encode("utf-8"), digest_size=8).hexdigest() + target.suffix.lower()
        self.images[name] = target
        # natural size, or the column's width when it is wider
        return (f"#layout(size => {{ let img = image({_string(name)}); if measure(img).width > size.width "
                f"{{ image({_string(name)}, width: 100%) }} else {{ img }} }});")

    def _emit(self, text: str) -> None:
        for line in text.split("\n"):
            self.raw(line)

    def raw(self, text: str) -> None:
        self.lines.append(text)
        self.owners.append(self.card)

    def heading(self, level: int, markup: str) -> None:
        """A heading: 1 a topic or the answer key, a bookmark of the PDF; 2 a card, which is
        not (see the README's "what each part design costs")."""
        self.bookmarks += level == 1
        self.raw(f"#heading(level: {level}, bookmarked: {str(level == 1).lower()})[{markup}];")


_INLINE_STYLE = {"strong_open": "strong", "em_open": "emph", "s_open": "strike"}
TYPST_IMAGES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")  # what Typst can draw
_LONG_RUN = re.compile(r"[^\s\u200b]{40,}")
_PIECE = 20  # characters between break opportunities in a long run


def _pieces(text: str) -> list[str]:
    """`text` cut so that each run of 40 or more characters without a space (an identifier,
    a URL, a line of code) is in pieces of 20: Typst may wrap between pieces instead of
    running off the page."""
    out, pos = [], 0
    for m in _LONG_RUN.finditer(text):
        run = m.group()
        out.append(text[pos:m.start()] + run[:_PIECE])
        out += [run[i:i + _PIECE] for i in range(_PIECE, len(run), _PIECE)]
        pos = m.end()
    out[-1:] = [out[-1] + text[pos:]] if out else [text[pos:]]
    return out


def _text(text: str) -> str:
    """Text as Typst markup that wraps inside the column (each piece of a long run in a box,
    between which Typst may break a line)."""
    pieces = _pieces(text)
    if len(pieces) == 1:
        return escape(text)
    return escape(pieces[0]) + "".join(f"#box[{escape(piece)}];" for piece in pieces[1:])


def _code(code: str) -> str:
    """Inline code in the code font, wrapped inside the column as `_text` does."""
    return "".join(f"#box(raw({_string(piece)}));" for piece in _pieces(code)) if _LONG_RUN.search(code) \
        else f"#raw({_string(code)});"


def _breakable(code: str) -> str:
    """A code block's text with a zero-width space between the pieces of each long run, so
    that Typst may wrap it (a code block is one string: it cannot hold boxes)."""
    return "\u200b".join(_pieces(code))


def _apart(out: list[str]) -> str:
    """A space before a block that follows text on its line (`a#list(…)` would not start the call)."""
    return " " if out and not out[-1].endswith(("\n", " ", "[", "(")) else ""


def _columns(tokens: list[Token], start: int) -> int:
    """The number of columns of the table opened at `tokens[start]`: the cells of its first row."""
    count = 0
    for token in tokens[start + 1:]:
        if token.type in ("th_open", "td_open"):
            count += 1
        elif token.type == "tr_close":
            break
    return max(count, 1)


def _setup(title: str, page: int) -> list[str]:
    """Page setup of every part, its pages numbered from `page` (the parts before it hold
    the pages before)."""
    fonts = ", ".join(_string(f) for f in FONTS)
    return [
        f"#set document(title: {_string(title)})",
        f"#set text(font: ({fonts}), size: 10.5pt, lang: \"zh\")",
        "#set page(paper: \"a4\", margin: (x: 2cm, y: 2cm), numbering: \"1\")",
        f"#counter(page).update({page})",
        "#set par(justify: false, leading: 0.7em)",
        # topics run on: a rule above each instead of a new page; sticky keeps it with its first card
        "#show heading.where(level: 1): it => block(width: 100%, above: 1.4em, below: 0.8em, sticky: true,"
        " stroke: (bottom: 0.6pt + gray), inset: (bottom: 3pt), text(size: 14pt, it.body))",
        "#show heading.where(level: 2): set text(size: 11pt)",
        "#show heading.where(level: 2): set block(above: 1.1em, below: 0.55em)",
        "#show raw: set text(font: (\"DejaVu Sans Mono\", \"Noto Sans CJK SC\"), size: 9pt)",
    ]


_PAGE_BOX = "3em"  # a page number's place in the contents, dots before it: fixed, so that its digits never move the layout


def _title_page(title: str, subtitle: str, entries: list[str], pages: list[int]) -> list[str]:
    """The title, counts and the contents in two columns (each topic, and the quiz's answer
    key, with the page it starts on), the cards running on below them (a page of its own
    for each would be mostly empty)."""
    lines = ["#align(center)[", f"  #text(size: 22pt, weight: \"bold\")[{escape(title)}]", "",
             f"  #text(size: 11pt)[{escape(subtitle)}]", "]",
             "#columns(2, gutter: 1.2em)[#heading(level: 1, outlined: false, bookmarked: false)[目录]"]
    dots = "#box(width: 1fr, repeat(gap: 0.15em)[.])"
    lines += [f"#block(spacing: 0.65em)[{_text(entry)} {dots}#box(width: {_PAGE_BOX})[{dots}{page}]];"
              for entry, page in zip(entries, pages, strict=True)]
    return [*lines, "]", ""]


# a question (with its options) shorter than this is kept on one page; a longer one may
# break, since Typst cannot place an unbreakable block taller than the page
_KEEP_WHOLE = 1200  # characters
_ANSWER_LINES = 3  # ruled lines to write on under a quiz question without options
_OTHER_SOURCE_RULE = ("#block(width: 100%, above: 0.7em, below: 0.5em, inset: (top: 3pt), "
                      "stroke: (top: (paint: gray, thickness: 0.4pt, dash: \"dashed\")))"
                      f"[#text(size: 8pt, fill: gray)[{OTHER_SOURCE}]]")


def _question(w: TypstWriter, card: Card, number: int, quiz: bool) -> None:
    """The card's question, numbered, with its options; kept on one page when it fits. In the
    quiz, space to write: a line for the key, ruled lines for an open question."""
    first, _, rest = card.question.partition("\n")
    whole = len(card.question) + sum(len(c.text) for c in card.choices) < _KEEP_WHOLE and "```" not in card.question
    if whole:
        w.raw("#block(breakable: false, width: 100%)[")
    w.heading(2, f"{number}\\. " + w.inline(first).replace("\n", " "))
    if rest.strip():
        w.block(rest.strip())
    for choice in card.choices:
        w.raw(f"- *{choice.label}.* " + w.inline(choice.text).replace("\n", " "))
    if quiz and card.choices:
        w.raw("#v(0.3em) 答：#box(width: 5em, height: 0.9em, stroke: (bottom: 0.4pt + gray))")
    elif quiz and card.type == "basic":
        w.raw(f"#for _ in range({_ANSWER_LINES}) {{ v(1.5em); line(length: 100%, stroke: 0.3pt + luma(170)) }}")
    if whole:
        w.raw("]")


def first_words(question: str, size: int = 24) -> str:
    """The opening of a question's first line, at most about `size` characters, cut with
    "…" (never inside a formula): enough to find the question on the sheet."""
    line = question.strip().split("\n")[0].replace("**", "").strip()  # a cut must not leave a lone "**"
    if len(line) <= size:
        return line
    cut = size
    for m in MATH.finditer(line):
        if m.start() < cut < m.end():
            cut = m.start() if m.start() > size // 2 else m.end()
    return line[:cut].rstrip() + "…"


PART_CARDS = 200  # cards a part holds (see the README's "what each part design costs")
KEY_TITLE = "答案"  # the heading of the quiz's answer key


@dataclass(frozen=True)
class Part:
    """Items `start` to `stop` of a sheet (see Sheet.parts), laid out as a Typst document of
    its own: the sheet is its parts joined."""

    start: int
    stop: int


@dataclass(frozen=True)
class Sheet:
    """The study sheet or the quiz: its cards in study order (output.by_topic), each card's
    topic, and what the title page prints."""

    cards: list[Card]
    topics: list[str]
    title: str
    date: str
    quiz: bool
    titles: dict[str, str]
    source_dir: Path | None

    @classmethod
    def of(cls, cards: list[Card], title: str, date: str, quiz: bool, titles: dict[str, str] | None = None,
           source_dir: Path | None = None) -> Sheet:
        """The sheet of `cards` (images drawn from inside `source_dir`; `titles` names the
        documents in the sources lines)."""
        groups = by_topic(cards)
        return cls([card for group in groups.values() for card in group],
                   [topic for topic, group in groups.items() for _ in group], title, date, quiz, titles or {},
                   source_dir)

    def parts(self) -> list[Part]:
        """The sheet's items (the study sheet: its cards; the quiz: its questions, then the
        entries of its answer key) in runs of PART_CARDS, whatever their topics: an edit to
        a card changes the parts that show it alone, and no part is large enough to need
        much memory. The first part holds the title page too."""
        items = len(self.cards) * (2 if self.quiz else 1)
        return [Part(start, min(start + PART_CARDS, items)) for start in range(0, max(items, 1), PART_CARDS)]

    def entries(self) -> list[str]:
        """The contents: the topics, then the answer key (the level-1 headings, in order)."""
        return [*dict.fromkeys(self.topics), *([KEY_TITLE] if self.quiz and self.cards else [])]

    def source(self, part: Part, page: int, contents: list[int]) -> PartSource:
        """What `part` shows, its pages numbered from `page`; for the first part, the title
        page too, whose contents give `contents[k]` as the page of `entries()[k]`."""
        items = []
        for item in range(part.start, part.stop):
            k, key = item % len(self.cards), item >= len(self.cards)
            if key:
                heading = KEY_TITLE if k == 0 else None
            else:
                heading = self.topics[k] if k == 0 or self.topics[k] != self.topics[k - 1] else None
            shown = _KEY_SHOWS if key else _QUESTION_SHOWS if self.quiz else _STUDY_SHOWS
            items.append(Item(k + 1, _shown(self.cards[k], shown), key, heading))
        opening = None
        if part.start == 0:
            kind = "自测卷" if self.quiz else "复习讲义"
            counts = f"{self.date} · {len(self.cards)} 张卡片 · {len(set(self.topics))} 个主题 · {kind}"
            opening = (counts, tuple(self.entries()), tuple(contents))
        cited = {span.file for item in items for span in item.card.sources}
        return PartSource(self.title, self.quiz, page, opening, tuple(items),
                          tuple(sorted((f, t) for f, t in self.titles.items() if f in cited)), self.source_dir)


# the fields of a card that a part reads, by what it shows of the card: a quiz's question
# part is not laid out again when an answer changes (the part of the key is)
_QUESTION_SHOWS = {"id", "type", "question", "choices"}
_KEY_SHOWS = {"id", "type", "question", "choices", "correct", "blanks", "answer", "notes"}
_STUDY_SHOWS = _KEY_SHOWS | {"sources"}


def _shown(card: Card, names: set[str]) -> Card:
    """`card` with only the fields in `names`, the others empty: a part is written from, and
    keyed by, what it shows of the card, and no more."""
    return Card(**({"question": "", "answer": "", "topic": "", "sources": [], "layout": ""}  # those without a default
                   | {name: getattr(card, name) for name in names}))


@dataclass(frozen=True)
class Item:
    """One item of a part: a card (its question, and on the study sheet its answer), or its
    entry in the quiz's answer key; `heading` is the level-1 heading above it (the topic
    that starts at it, or the answer key's title), None when there is none."""

    number: int  # the card's number in study order
    card: Card
    key: bool
    heading: str | None


@dataclass(frozen=True)
class PartSource:
    """All that the Typst source of one part is written from (part_document reads nothing
    else): its `repr`, with the bytes of the images its cards draw, names the part in the
    cache (PartCache), so that a part is found without writing its source."""

    title: str
    quiz: bool
    page: int  # the number of its first page
    opening: tuple[str, tuple[str, ...], tuple[int, ...]] | None  # first part: counts line, contents, their pages
    items: tuple[Item, ...]
    titles: tuple[tuple[str, str], ...]  # (file, title) of the documents its cards cite
    source_dir: Path | None

    def texts(self) -> list[str]:
        """Every text of its cards that it shows (where the images it draws are named)."""
        return [text for item in self.items for text in (item.card.question, item.card.answer,
                                                         *(c.text for c in item.card.choices), *quiz_key(item.card))]


def part_document(source: PartSource, fallback: set[str], plain: set[str]) -> TypstWriter:
    """The Typst source of one part (`Sheet.source`) of the study sheet (each card with its
    answer and sources) or of the quiz (questions with room to write, then an answer key
    citing each question by number and first words, from a new page), pages numbered from
    `source.page`; the sheet's first part opens with the title page and its contents.
    Written from `source` alone, so that its digest stands for the text."""
    w = TypstWriter(fallback, plain, source.source_dir)
    for line in _setup(source.title, source.page):
        w.raw(line)
    if source.opening is not None:
        counts, entries, contents = source.opening
        for line in _title_page(source.title, counts, list(entries), list(contents)):
            w.raw(line)
    titles = dict(source.titles)
    for item in source.items:
        card = item.card
        if item.key:  # the quiz's answer key
            if item.heading is not None:
                w.raw("#pagebreak(weak: true)")
                w.heading(1, item.heading)
                w.raw("")
            w.card = card.id
            w.raw(f"#strong[{item.number}.] " + w.inline(first_words(card.question)).replace("\n", " ") + " \\")
            _answer(w, card)
        else:
            if item.heading is not None:
                w.heading(1, escape(item.heading))
                w.raw("")
            w.card = card.id
            _question(w, card, item.number, source.quiz)
            if not source.quiz:
                _answer(w, card)
                w.raw(f"#text(size: 7.5pt, fill: gray)[{escape(provenance(card, titles))}]")
        w.raw("")
        w.card = None
    return w


def _answer(w: TypstWriter, card: Card) -> None:
    key, explanation = quiz_key(card)
    if key:
        w.raw(f"#strong[答案：{w.inline(key)}{INFERRED if INFERRED_KEY in card.notes else ''}]")
        w.raw("")
    for n, part in enumerate(explanation.split(f"\n\n{OTHER_SOURCE}\n\n")):
        if n:
            w.raw(_OTHER_SOURCE_RULE)
        if part.strip():
            w.block(part)


def quiz_key(card: Card) -> tuple[str, str]:
    """(key, explanation) of a card's answer part: the right options or a cloze card's keys
    in order (its question keeps the blanks), then the answer that does not repeat them."""
    if card.type == "cloze":
        return KEYS_JOINED.join(card.blanks), cloze_explanation(card)
    return "、".join(card.correct), card.answer


def _formula_at(writer: TypstWriter, line: int, column: int) -> str | None:
    """The LaTeX of the formula that starts closest before a Typst error's position."""
    if not 0 < line <= len(writer.lines):
        return None
    text = writer.lines[line - 1]
    best: tuple[int, str] | None = None
    for typ, tex in writer.formulas:
        start = text.find(typ)
        while start != -1:
            if start <= column - 1 and (best is None or start > best[0]):
                best = (start, tex)
            start = text.find(typ, start + 1)
    return best[1] if best else None


@cache
def _fonts() -> typst.Fonts:
    """The system's fonts, searched once per process: a compile given them takes
    milliseconds less than 70 (the search), which a sheet of hundreds of parts would pay
    for each part."""
    return typst.Fonts()


def warm_up() -> None:
    """What laying out a sheet needs first, done ahead (in a process of the sheets' pool,
    while the build makes the cards): the fonts found, pypdf loaded. (Setting a sample page
    to load the fonts' data too gained no time: it costs as much CPU as it saves.)"""
    try:
        _fonts()
        import pypdf  # noqa: F401 - loaded, for _read_part and join
    except Exception:  # noqa: BLE001 - only a head start: what fails here fails again, reported, in a part
        pass


def _compile(make: Callable[[set[str], set[str]], TypstWriter], root: Path, failed_at: Path) -> tuple[bytes, TypstWriter]:
    """Compile the document `make(fallback, plain)` writes, in a root folder that holds only
    copies of the images the cards draw, so that no source may read any other file.
    Formulas Typst rejects fall back to their source (`fallback`); a card Typst rejects
    elsewhere (a broken image too) is shown as escaped text (`plain`). Returns the PDF and
    the writer of the source that compiled. An error outside every card (a bug in the
    escaping) raises PipelineError naming the source, kept as `failed_at`, and its line."""
    fallback: set[str] = set()
    plain: set[str] = set()
    for _attempt in range(50):
        writer = make(fallback, plain)
        for name, image in writer.images.items():
            if not (root / name).exists():
                shutil.copyfile(image, root / name)
        source = "\n".join(writer.lines)
        try:
            return typst.compile(source.encode("utf-8"), format="pdf", root=str(root), font_paths=_fonts()), writer
        except typst.TypstError as err:
            places = [(int(line), int(column)) for line, column in _DIAGNOSTIC_LINE.findall(err.diagnostic or "")]
            bad = {tex for line, column in places if (tex := _formula_at(writer, line, column))}
            owners = {writer.owners[line - 1] for line, _ in places if 0 < line <= len(writer.owners)}
            if bad - fallback:
                fallback |= bad
            elif owners - plain - {None}:
                plain |= owners - {None}
            else:
                write_atomic(failed_at, source)
                raise PipelineError(str(failed_at), f"Typst: {err.message}", places[0][0] if places else None) \
                    from err
    raise RuntimeError("too many formulas Typst rejects")


@dataclass(frozen=True)
class Laid:
    """A part laid out: its PDF, its page count, the page (within the part) of each of its
    topics (and of the answer key) and the formulas it prints as LaTeX source."""

    pdf: Path
    pages: int
    starts: list[int]
    formulas: list[str]


def _read_part(pdf: bytes, bookmarks: int) -> tuple[int, list[int]]:
    """A part's page count, and the page of each of its `bookmarks` headings, read from the
    PDF's outline (a chain of items, each naming its page)."""
    from pypdf import PdfReader  # here, in the sheets' processes: the build's own process never needs it (60 ms)

    reader = PdfReader(io.BytesIO(pdf))
    pages = {page.indirect_reference.idnum: n for n, page in enumerate(reader.pages)}
    found: list[int] = []
    outline = reader.root_object.get("/Outlines")
    item = outline.get_object().get("/First") if outline is not None else None
    while item is not None:
        found.append(pages[item.get_object()["/Dest"][0].idnum])
        item = item.get_object().get("/Next")
    if len(found) != bookmarks:
        raise RuntimeError(f"Typst wrote {len(found)} bookmarks for {bookmarks} headings")
    return len(pages), found


class PartCache:
    """The parts of one sheet laid out by earlier builds, in `folder`, each under the digest
    of what it shows: its PartSource (its cards, their numbers and headings, its first page
    number, the title page), the bytes of the images its cards name, the code and Typst's
    version; found without writing its Typst source. `<key>.pdf`, then `<key>.json` (pages,
    topics' pages, formulas), each written whole: a part is in the cache once its `.json` is."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.used: set[str] = set()
        self.compiled = 0  # parts this build laid out

    @staticmethod
    def key(source: PartSource) -> str:
        """The name of the part `source` shows in the cache."""
        key = hashlib.blake2b(f"{code_version()}\0{typst.__version__}\0{source!r}".encode("utf-8", "surrogatepass"),
                              digest_size=16)
        for image, digest in sorted(image_digests(source.texts(), source.source_dir).items()):
            key.update(f"\0{image}\0{digest}".encode("utf-8", "surrogatepass"))
        return key.hexdigest()

    def lay_out(self, source: PartSource, root: Path) -> Laid:
        """The part `source` shows, from the cache or compiled (see _compile)."""
        name = self.key(source)
        self.used.add(name)
        pdf_path = self.folder / f"{name}.pdf"
        try:
            about = json.loads((self.folder / f"{name}.json").read_text(encoding="utf-8"))
            if pdf_path.exists():
                return Laid(pdf_path, about["pages"], about["starts"], about["formulas"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
        pdf, writer = _compile(lambda fallback, plain: part_document(source, fallback, plain), root,
                               self.folder / f"{name}.failed.typ")
        self.compiled += 1
        laid = Laid(pdf_path, *_read_part(pdf, writer.bookmarks), sorted(set(writer.failed) | writer.fallback))
        write_atomic(pdf_path, pdf)
        write_atomic(self.folder / f"{name}.json", json.dumps({"pages": laid.pages, "starts": laid.starts,
                                                               "formulas": laid.formulas}, ensure_ascii=False))
        return laid

    def contents(self, entries: int) -> list[int]:
        """The page numbers of the contents' `entries` lines in the last build (`keep_contents`),
        blank when there were not as many or none is kept."""
        try:
            pages = json.loads((self.folder / _CONTENTS).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pages = None
        valid = isinstance(pages, list) and len(pages) == entries and all(type(p) is int for p in pages)
        return pages if valid else [0] * entries

    def keep_contents(self, pages: list[int]) -> None:
        write_atomic(self.folder / _CONTENTS, json.dumps(pages))

    def prune(self) -> None:
        """Forget the parts this sheet no longer shows."""
        for entry in self.folder.iterdir():
            if entry.name.split(".")[0] not in self.used and entry.name != _CONTENTS:
                entry.unlink(missing_ok=True)


_CONTENTS = "page-numbers"  # in a sheet's folder of parts: the contents' page numbers (JSON)


def lay_out(sheet: Sheet, parts: PartCache, root: Path) -> list[Laid]:
    """Every part of the sheet, from the cache or compiled, one after the other: each part's
    pages are numbered on from those before it. The first part's contents give the page of
    each topic, known once every part is laid out: it is laid out first with the page
    numbers of the last build (blank in a first build), which gives its pages and headings
    whatever the numbers (they sit in boxes of a fixed width, so they cannot move
    anything), and again only when the real numbers differ."""
    sections = sheet.parts()
    guess = parts.contents(len(sheet.entries()))
    first = parts.lay_out(sheet.source(sections[0], 1, guess), root)
    laid, page = [first], 1 + first.pages
    for part in sections[1:]:
        laid.append(parts.lay_out(sheet.source(part, page, []), root))
        page += laid[-1].pages
    pages, page = [], 1
    for done in laid:
        pages += [page + start for start in done.starts]
        page += done.pages
    if pages != guess:
        laid[0] = parts.lay_out(sheet.source(sections[0], 1, pages), root)
        if (laid[0].pages, laid[0].starts) != (first.pages, first.starts):
            raise RuntimeError("the contents' page numbers moved the first part's layout")
    parts.keep_contents(pages)
    return laid


def join(laid: list[Laid], title: str, entries: list[str], path: Path) -> None:
    """The parts' pages as one PDF (pypdf), with a bookmark for each of `entries` (the
    sheet's topics and answer key) on its first page; written whole or not at all."""
    from pypdf import PdfWriter  # see _read_part
    from pypdf.generic import NameObject, TextStringObject

    writer = PdfWriter()
    marks = iter(entries)
    for done in laid:
        first = len(writer.pages)
        writer.append(done.pdf, import_outline=False)
        for page in done.starts:
            writer.add_outline_item(next(marks), first + page)
    writer.add_metadata({"/Title": title})
    writer.root_object[NameObject("/Lang")] = TextStringObject("zh")
    out = io.BytesIO()
    writer.write(out)
    write_atomic(path, out.getvalue())


@dataclass(frozen=True)
class Written:
    """What laying out a sheet did: the formulas it prints as LaTeX source, the Typst
    documents this build compiled (its parts, and the first one's layout with blank page
    numbers), the parts the sheet has and the digest of what the joined sheet holds."""

    formulas: list[str]
    laid_out: int
    parts: int
    joined: str


def write_pdf(cards: list[Card], title: str, date: str, quiz: bool, path: Path,
              titles: dict[str, str] | None = None, source_dir: Path | None = None,
              parts_dir: Path | None = None, joined: str | None = None) -> Written:
    """Lay out the study sheet or the quiz in parts (those `parts_dir` holds from an
    earlier build are not laid out again; None: no cache) and join them into `path`,
    unless `joined` is the digest (`Written.joined`) of the sheet at `path` and the parts
    are the same. Raises PipelineError for a Typst error outside every card (a bug in the
    escaping), naming the part's source and line; the sheet at `path` is then left as it was."""
    sheet = Sheet.of(cards, title, date, quiz, titles, source_dir)
    with tempfile.TemporaryDirectory(prefix="typst-root-") as root, \
            tempfile.TemporaryDirectory(prefix="typst-parts-") as scratch:
        folder = parts_dir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        parts = PartCache(folder)
        laid = lay_out(sheet, parts, Path(root))
        digest = hashlib.blake2b(json.dumps([title, sheet.entries(), [done.pdf.name for done in laid]],
                                            ensure_ascii=False).encode("utf-8", "surrogatepass"),
                                 digest_size=16).hexdigest()
        if digest != joined or not path.exists():
            join(laid, title, sheet.entries(), path)
        parts.prune()
    return Written(sorted({tex for done in laid for tex in done.formulas}), parts.compiled, len(laid), digest)


def markdown_sheet(cards: list[Card], title: str, date: str, titles: dict[str, str] | None = None,
                   image_link: ImageLink | None = None, fragments: Fragments | None = None) -> str:
    """study.md: CommonMark, each card's text written from its tokens (normalized, `$`
    escaped where it is not math) and made inert (inert.inert_markdown); `titles` names
    the documents in the sources lines; `image_link` gives the link of a local image
    (None: the image is missing). A card `fragments` holds as it is is not written again."""
    groups = by_topic(cards)
    anchors = {topic: f"topic-{k}" for k, topic in enumerate(groups, start=1)}
    out = [f"# {title}", "", f"{date} · {len(cards)} 张卡片 · {len(groups)} 个主题", "", "## 目录", ""]
    out += [f"- [{_md_inline(topic)}](#{anchors[topic]})" for topic in groups]
    out.append("")
    number = 0
    for topic, group in groups.items():
        out += [f'<a id="{anchors[topic]}"></a>', "", f"## {_md_inline(topic)}", ""]
        for card in group:
            number += 1
            out.append(f"### {number}. " + _card_markdown(card, titles or {}, image_link, fragments))
    return "\n".join(out)


def _card_markdown(card: Card, titles: dict[str, str], image_link: ImageLink | None,
                   fragments: Fragments | None) -> str:
    """A card of study.md, after its number: kept in `fragments` under the card and the
    titles of the documents it cites, used again when each image it links still resolves
    to the same link."""
    def resolve(src: str) -> str | None:
        return image_link(src) if image_link else None
    key = ""
    if fragments is not None:
        key = fragments.key((card, [(s.file, titles.get(s.file)) for s in card.sources]))
        kept = fragments.get(key)
        if kept is not None and all(resolve(src) == was for src, was in kept[1]):
            return kept[0]
    links: dict[str, str | None] = {}

    def link(src: str) -> str | None:
        links[src] = resolve(src)
        return links[src]
    first, _, rest = card.question.partition("\n")
    out = [_md_inline(first, link), ""]
    if rest.strip():
        out += [_md_block(rest, link), ""]
    choices = [f"- **{choice.label}.** {choice.text}" + (" ✅" if choice.label in card.correct else "")
               for choice in card.choices]
    if choices:
        out += [_md_block("\n".join(choices), link), ""]
    key_text, explanation = quiz_key(card)
    if key_text:
        out += [f"**答案：{_md_inline(key_text)}{INFERRED if INFERRED_KEY in card.notes else ''}**", ""]
    if explanation.strip():
        out += [_md_block(explanation, link), ""]
    out += [f"<sub>{_md_inline(provenance(card, titles))}</sub>", ""]
    text = "\n".join(out)
    if fragments is not None:
        fragments.put(key, text, tuple(links.items()))
    return text


def _md_block(text: str, image_link: ImageLink | None = None) -> str:
    text = defang_tex(text.strip())
    # nested too deep for the parser (inert_markdown shows it as a code block), or hostile
    # enough to make it slow: made inert as written
    return inert_markdown(text if too_deep(text) or markdown_would_stall(text) else to_commonmark(text, image_link))


def _md_inline(text: str, image_link: ImageLink | None = None) -> str:
    return inline_commonmark(defang_tex(text), image_link)


def _image_links(source_dir: Path | None, build_dir: Path) -> ImageLink:
    """Local images as links from study.md (in `build_dir`) to the files in `source_dir`."""
    media = Media(source_dir)

    def link(src: str) -> str | None:
        target = media.local(src)
        return os.path.relpath(target, build_dir.resolve()) if target is not None else None
    return link


STUDY_MD = "study-md.pkl"  # study.md's cards, in build/cache/ (not *.pickle: the sources' cache prunes those)


def start_sheets(cards: list[Card], title: str, titles: dict[str, str], build_dir: Path, pool: Executor,
                 source_dir: Path | None = None, joined: dict[str, str] | None = None) -> tuple[list[Future], str]:
    """Lay out study.pdf and quiz.pdf on the pool (Typst holds the interpreter while it
    works, so the PDFs go to their own processes), their parts cached in build/cache/sheets,
    each joined again unless `joined` gives the digest its sheet still has (`Written.joined`);
    meanwhile write study.md, its cards kept in build/cache. Images are read from inside
    `source_dir`. Returns a future per PDF, giving what its writer did (`Written`), and the
    warning of a damaged cache of study.md (else "")."""
    ok = [c for c in cards if c.status == "ok"]
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    # the PDFs first: their processes work while this one writes study.md
    jobs = [pool.submit(write_pdf, ok, title, date, quiz, build_dir / name, titles, source_dir,
                        build_dir / CACHE / "sheets" / Path(name).stem, (joined or {}).get(name))
            for quiz, name in ((False, "study.pdf"), (True, "quiz.pdf"))]
    fragments = Fragments(build_dir / CACHE / STUDY_MD, "study.md cards")
    write_atomic(build_dir / "study.md", markdown_sheet(ok, title, date, titles, _image_links(source_dir, build_dir),
                                                        fragments))
    fragments.save()
    return jobs, fragments.warning
