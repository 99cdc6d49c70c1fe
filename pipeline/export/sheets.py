"""Study sheets: build/study.md (CommonMark with $…$ math), build/study.pdf and
build/quiz.pdf (Typst, CJK font embedded).

Card text is Markdown from scraped pages, so every character Typst reads as markup is
escaped; LaTeX math is converted with tex2typst, whose output is untrusted: it is lexed,
its strings re-escaped, and a formula with anything that leaves math (`$`, `#` code other
than a few plain values, comments) is not used. A formula that does not convert, is not
used, or that Typst then rejects, is printed as its LaTeX source in a code font and
reported. Typst compiles in an empty root folder, so no source can read a file.
study.md goes through `inert.inert_markdown`: no raw HTML, unsafe link or image."""
from __future__ import annotations

import re
import tempfile
from concurrent.futures import Executor, Future
from datetime import datetime, timezone
from pathlib import Path

import tex2typst
import typst

from ..choices import INFERRED_KEY, KEYS_JOINED, cloze_explanation
from ..inert import MATH, defang_tex, inert_markdown, too_deep
from ..model import OTHER_SOURCE, Card
from ..output import by_topic, provenance, study_order
from ..yamlio import write_atomic

FONTS = ("Noto Sans CJK SC", "Noto Serif CJK SC", "DejaVu Sans")
INFERRED = "（推断）"  # after a key the build inferred from the explanation
_INLINE = re.compile(r"(\*\*(?P<bold>.+?)\*\*|`(?P<code>[^`]+)`|!?\[(?P<label>[^\[\]]*+)\]\((?P<url>[^)\s\[]++)\)"
                     r"|<(?P<auto>https?://[^<>\s]++)>)")
_TYPST_SPECIAL = re.compile(r"([\\#$*_`<>@\[\]~/=+\-\"'])")
_LIST = re.compile(r"^(\s*)([-*+•]|\d+[.)、])\s+(.*)$")
_FENCE = re.compile(r"^\s*(```|~~~)\s*([\w+-]*)")
_DIAGNOSTIC_LINE = re.compile(r":(\d+):(\d+)")


def escape(text: str) -> str:
    """Plain text for Typst markup: every special character escaped."""
    return _TYPST_SPECIAL.sub(r"\\\1", text)


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


class TypstWriter:
    """Card Markdown to Typst markup; remembers each formula so that a Typst error on a
    line can be traced back to the LaTeX it came from."""

    def __init__(self, fallback: set[str], plain: set[str]):
        self.fallback = fallback  # LaTeX sources Typst rejected on an earlier pass
        self.plain = plain  # ids of cards Typst rejected on an earlier pass: shown as escaped text
        self.formulas: list[tuple[str, str]] = []  # (Typst math, LaTeX source)
        self.failed: list[str] = []
        self.lines: list[str] = []
        self.owners: list[str | None] = []  # per line, the id of the card it shows
        self.card: str | None = None

    def math(self, tex: str, display: bool) -> str:
        tex = tex.strip()
        typ = None
        if tex not in self.fallback:
            try:
                typ = safe_math(tex2typst.tex2typst(defang_tex(tex)))
            except Exception:  # noqa: BLE001 - the converter raises its own error types
                typ = None
        if typ is None:
            self.failed.append(tex)
            return f"#raw({_string(tex)});"
        typ = f"$ {typ} $" if display else f"${typ}$"
        self.formulas.append((typ, tex))
        return typ

    def inline(self, text: str) -> str:
        if self.card in self.plain:
            return self._escaped(text)
        out, pos = [], 0
        for m in MATH.finditer(text):
            out.append(self._markup(text[pos:m.start()]))
            display = m.group(1) is not None
            out.append(self.math(m.group(1) if display else m.group(2), display))
            pos = m.end()
        out.append(self._markup(text[pos:]))
        return "".join(out)

    def _markup(self, text: str) -> str:
        # each `#call` ends in `;`: text after it such as "(…)" or "[…]" would otherwise
        # continue the call as code, the way `**粗体**(注释)` once did
        out, pos = [], 0
        for m in _INLINE.finditer(text):
            out.append(escape(text[pos:m.start()]))
            if m.group("bold"):
                out.append(f"#strong[{escape(m.group('bold'))}];")
            elif m.group("code"):
                out.append(f"#raw({_string(m.group('code'))});")
            elif m.group("auto") or m.group("url"):
                url = m.group("auto") or m.group("url")
                label = m.group("label") or url
                out.append(f"#link({_string(url)})[{escape(label)}];" if url.startswith(("http://", "https://"))
                           else escape(label))
            pos = m.end()
        out.append(escape(text[pos:]))
        return "".join(out)

    def _escaped(self, text: str) -> str:
        """Text shown as written, its formulas as LaTeX (reported as such)."""
        self.failed += [(m.group(1) or m.group(2)).strip() for m in MATH.finditer(text)]
        return escape(text)

    def block(self, markdown_text: str) -> None:
        if self.card in self.plain or too_deep(markdown_text):
            for line in markdown_text.split("\n"):
                self.raw(self._escaped(line.strip()) + " \\" if line.strip() else "")
            return
        fence: str | None = None
        code: list[str] = []
        lang = ""
        for line in markdown_text.split("\n"):
            if fence is not None:
                if line.strip().startswith(fence):
                    self.raw(f"#raw(block: true, lang: {_string(lang or 'text')}, {_string(chr(10).join(code))})")
                    fence, code = None, []
                else:
                    code.append(line)
                continue
            m = _FENCE.match(line)
            if m:
                fence, lang = m.group(1), m.group(2)
                continue
            if line.strip() == "---":
                self.raw("#line(length: 100%, stroke: 0.4pt + gray)")
                continue
            item = _LIST.match(line)
            if item:
                depth = len(item.group(1)) // 2
                marker = "+" if item.group(2)[0].isdigit() else "-"
                self._emit("  " * depth + f"{marker} " + self.inline(item.group(3)))
            elif not line.strip():
                self.raw("")
            else:
                self._emit(self.inline(line.strip()) + " \\")
        if fence is not None:  # an unclosed fence: print what was in it
            self.raw(f"#raw(block: true, {_string(chr(10).join(code))})")

    def _emit(self, text: str) -> None:
        for line in text.split("\n"):
            self.raw(line)

    def raw(self, text: str) -> None:
        self.lines.append(text)
        self.owners.append(self.card)


def _preamble(title: str, subtitle: str) -> list[str]:
    """Page setup and the title page: title, counts and the contents in two columns, with
    the cards running on below them (a page of its own for each would be mostly empty)."""
    fonts = ", ".join(_string(f) for f in FONTS)
    return [
        f"#set document(title: {_string(title)})",
        f"#set text(font: ({fonts}), size: 10.5pt, lang: \"zh\")",
        "#set page(paper: \"a4\", margin: (x: 2cm, y: 2cm), numbering: \"1 / 1\")",
        "#set par(justify: false, leading: 0.7em)",
        # topics run on: a rule above each instead of a new page; sticky keeps it with its first card
        "#show heading.where(level: 1): it => block(width: 100%, above: 1.4em, below: 0.8em, sticky: true,"
        " stroke: (bottom: 0.6pt + gray), inset: (bottom: 3pt), text(size: 14pt, it.body))",
        "#show heading.where(level: 2): set text(size: 11pt)",
        "#show heading.where(level: 2): set block(above: 1.1em, below: 0.55em)",
        "#show raw: set text(font: (\"DejaVu Sans Mono\", \"Noto Sans CJK SC\"), size: 9pt)",
        "#align(center)[",
        f"  #text(size: 22pt, weight: \"bold\")[{escape(title)}]",
        "",
        f"  #text(size: 11pt)[{escape(subtitle)}]",
        "]",
        "#columns(2, gutter: 1.2em)[#outline(title: [目录], depth: 1)]",
        "",
    ]


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
    w.raw(f"== {number}. " + w.inline(first).replace("\n", " "))
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


def typst_document(cards: list[Card], title: str, date: str, quiz: bool, fallback: set[str],
                   plain: set[str], titles: dict[str, str] | None = None) -> TypstWriter:
    """The Typst source of the study sheet (each card with its answer and sources) or of
    the quiz (questions with room to write, then an answer key citing each question by
    number and first words), cards numbered in study order (output.by_topic)."""
    w = TypstWriter(fallback, plain)
    kind = "自测卷" if quiz else "复习讲义"
    groups = by_topic(cards)
    counts = f"{date} · {len(cards)} 张卡片 · {len(groups)} 个主题 · {kind}"
    for line in _preamble(title, counts):
        w.raw(line)
    number = 0
    for topic, group in groups.items():
        w.raw(f"= {escape(topic)}")
        w.raw("")
        for card in group:
            number += 1
            w.card = card.id
            _question(w, card, number, quiz)
            if not quiz:
                _answer(w, card)
                w.raw(f"#text(size: 7.5pt, fill: gray)[{escape(provenance(card, titles or {}))}]")
            w.raw("")
            w.card = None
    if quiz:
        w.raw("#pagebreak(weak: true)")
        w.raw("= 答案")
        w.raw("")
        for k, card in enumerate(study_order(cards), start=1):
            w.card = card.id
            w.raw(f"#strong[{k}.] " + w.inline(first_words(card.question)).replace("\n", " ") + " \\")
            _answer(w, card)
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


def write_pdf(cards: list[Card], title: str, date: str, quiz: bool, path: Path,
              titles: dict[str, str] | None = None) -> list[str]:
    """Compile the sheet in an empty root folder (the sheet embeds no file, and no source
    may read one). Formulas Typst rejects fall back to their source; a card Typst rejects
    elsewhere is shown as escaped text. Returns the formulas printed as LaTeX source.
    Raises typst.TypstError for an error outside every card (a bug in the escaping)."""
    fallback: set[str] = set()
    plain: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="typst-root-") as root:
        for _attempt in range(50):
            writer = typst_document(cards, title, date, quiz, fallback, plain, titles)
            source = "\n".join(writer.lines).encode("utf-8")
            try:
                pdf = typst.compile(source, format="pdf", root=root)
            except typst.TypstError as err:
                places = [(int(line), int(column)) for line, column in _DIAGNOSTIC_LINE.findall(err.diagnostic or "")]
                bad = {tex for line, column in places if (tex := _formula_at(writer, line, column))}
                owners = {writer.owners[line - 1] for line, _ in places if 0 < line <= len(writer.owners)}
                if bad - fallback:
                    fallback |= bad
                elif owners - plain - {None}:
                    plain |= owners - {None}
                else:
                    raise
                continue
            write_atomic(path, pdf)
            return sorted(set(writer.failed) | fallback)
    raise RuntimeError("too many formulas Typst rejects")


def markdown_sheet(cards: list[Card], title: str, date: str, titles: dict[str, str] | None = None) -> str:
    """study.md: CommonMark, each card's text made inert (inert.inert_markdown)."""
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
            first, _, rest = card.question.partition("\n")
            out += [f"### {number}. {_md_inline(first)}", ""]
            if rest.strip():
                out += [_md_block(rest), ""]
            choices = [f"- **{choice.label}.** {choice.text}" + (" ✅" if choice.label in card.correct else "")
                       for choice in card.choices]
            if choices:
                out += [_md_block("\n".join(choices)), ""]
            key, explanation = quiz_key(card)
            if key:
                out += [f"**答案：{_md_inline(key)}{INFERRED if INFERRED_KEY in card.notes else ''}**", ""]
            if explanation.strip():
                out += [_md_block(explanation), ""]
            out += [f"<sub>{_md_inline(provenance(card, titles or {}))}</sub>", ""]
    return "\n".join(out)


def _md_block(text: str) -> str:
    return inert_markdown(defang_tex(text.strip()))


def _md_inline(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", defang_tex(text).replace("\n", " "))


def start_sheets(cards: list[Card], title: str, titles: dict[str, str], build_dir: Path,
                 pool: Executor) -> list[Future]:
    """Write study.md, and lay out study.pdf and quiz.pdf on the pool (Typst holds the
    interpreter while it works, so the PDFs go to their own processes). Each future gives
    the formulas printed as source."""
    ok = [c for c in cards if c.status == "ok"]
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    write_atomic(build_dir / "study.md", markdown_sheet(ok, title, date, titles))
    return [pool.submit(write_pdf, ok, title, date, quiz, build_dir / name, titles)
            for quiz, name in ((False, "study.pdf"), (True, "quiz.pdf"))]
