"""Card Markdown parsed once, for every output: the one place that decides what is math,
code and text.

markdown-it-py (CommonMark, GFM tables and strikethrough, dollar math) reads a card field
into tokens; the deck (`render.py`), the PDF sheets and study.md (`export/sheets.py`) only
write those tokens out. Raw HTML is text (`<pad>` is shown as written). Two additions
for scraped pages:

- an image whose path has spaces (`![](img/批归一化 示意图.png)`, not an image in
  CommonMark) is read as an image when the path ends in an image file name;
- math whose delimiters a scraper lost (`(\\mu_k = \\frac{1}{m}\\sum_i x_i)`, a bare
  `\\mathbf{g}`) is math when the span is plainly TeX: it holds a known command, braces
  that balance, and only ASCII. Other TeX-looking text stays text and is listed by
  `suspect_math`, for the report.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from enum import Enum
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin


class MathKind(Enum):
    """How a formula token is shown: inside the line, or as a display of its own."""

    INLINE = "inline"
    DISPLAY = "display"


# token type -> how the formula is shown; `$$x$$` inside a sentence stays in the sentence
MATH_TOKENS = {"math_inline": MathKind.INLINE, "math_inline_double": MathKind.INLINE,
               "math_block": MathKind.DISPLAY, "math_block_label": MathKind.DISPLAY}

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp")
_LOOSE_IMAGE = re.compile(r"!\[([^\[\]\n]*)\]\(([^()<>\n]*?\.(?:png|jpe?g|gif|svg|webp|bmp))\)", re.I)

# TeX commands that name math: a span holding one of these (or any command with a braced
# argument) and nothing but ASCII is a formula whose delimiters were lost
_MATH_WORDS = frozenset("""alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu
xi pi rho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega frac dfrac
tfrac sum prod int oint sqrt log ln exp sin cos tan tanh max min arg argmax argmin lim sup inf cdot cdots ldots dots
times div pm mp leq geq neq le ge ne approx equiv sim propto infty partial nabla in notin subset subseteq cup cap
forall exists mathbf mathrm mathcal mathbb mathit boldsymbol bm hat bar tilde vec dot overline underline left right
top mid rightarrow leftarrow Rightarrow to mapsto operatorname text odot otimes oplus circ ell prime""".split())
_COMMAND = re.compile(r"\\([A-Za-z]+)")
_GROUP = r"\{(?:[^{}\n]|\{(?:[^{}\n]|\{[^{}\n]*\})*\})*\}"  # braces nested three deep
_SCRIPT = r"[_^](?:" + _GROUP + r"|\\[A-Za-z]+|[A-Za-z0-9])"
# a bare run: commands with their arguments and scripts, directly one after another
_BARE_TEX = re.compile(r"(?<![\\A-Za-z])(?:\\[A-Za-z]+(?:\s*" + _GROUP + r")*(?:" + _SCRIPT + r")*)+")
# a formula in parentheses: its `\(`…`\)` lost their backslashes
_PAREN_TEX = re.compile(r"\((?=[^()\n]*\\[A-Za-z])((?:[^()\n]|\([^()\n]*\))+)\)")
_PLAIN_TEX = re.compile(r"[\x20-\x7e]+")
# what still looks like TeX in text: a command with an argument or script, or a known one
_SUSPECT = re.compile(r"\\[A-Za-z]+(?=\s*[{_^])|\\(?:" + "|".join(sorted(_MATH_WORDS)) + r")(?![A-Za-z])")


def _balanced(tex: str) -> bool:
    depth = 0
    for c in tex:
        depth += (c == "{") - (c == "}")
        if depth < 0:
            return False
    return depth == 0


def plainly_tex(span: str) -> bool:
    """Is `span` a formula and nothing else: ASCII only, braces balanced, and at least one
    command that names math (a known one, or one taking a braced argument)?"""
    if not _PLAIN_TEX.fullmatch(span) or not _balanced(span):
        return False
    return any(m.group(1) in _MATH_WORDS or span[m.end():m.end() + 1] == "{" for m in _COMMAND.finditer(span))


def _lost_math(text: str) -> list[tuple[int, int, str]]:
    """(start, end, formula) of each plainly-TeX span of a text, in order."""
    found: list[tuple[int, int, str]] = []
    for m in _PAREN_TEX.finditer(text):
        if plainly_tex(m.group(1).strip()):
            found.append((m.start(), m.end(), m.group(1).strip()))
    for m in _BARE_TEX.finditer(text):
        if plainly_tex(m.group(0)) and not any(a <= m.start() < b for a, b, _ in found):
            found.append((m.start(), m.end(), m.group(0).strip()))
    return sorted(found)


def _loose_image(state: StateInline, silent: bool) -> bool:
    """`![alt](path with spaces.png)`: an image, as the page that had it meant."""
    if not state.src.startswith("![", state.pos):
        return False
    m = _LOOSE_IMAGE.match(state.src, state.pos)
    if m is None or " " not in m.group(2):
        return False
    if not silent:
        token = state.push("image", "img", 0)
        token.attrs = {"src": m.group(2).strip(), "alt": ""}
        token.children = []
        if m.group(1):
            alt = Token("text", "", 0)
            alt.content = m.group(1)
            token.children = [alt]
        token.content = m.group(1)
    state.pos = m.end()
    return True


def _math_in_text(state: StateCore) -> None:
    """Core rule: plainly-TeX spans of plain text become inline math tokens."""
    for block in state.tokens:
        if block.type != "inline" or not block.children or "\\" not in block.content:
            continue
        children: list[Token] = []
        for token in block.children:
            spans = _lost_math(token.content) if token.type == "text" and "\\" in token.content else []
            at = 0
            for start, end, tex in spans:
                if start > at:
                    children.append(_text(token.content[at:start]))
                math = Token("math_inline", "math", 0)
                math.content, math.markup = tex, "$"
                children.append(math)
                at = end
            if spans and at < len(token.content):
                children.append(_text(token.content[at:]))
            if not spans:
                children.append(token)
        block.children = children


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


@lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    """The card-field parser: CommonMark, raw HTML as text, a line break in the text is a
    line break (scraped answers put one step per line), GFM tables and strikethrough, `$…$`
    and `$$…$$` math (no space inside the dollars, none closed right before a digit, so
    `$2 … $200` is money)."""
    md = MarkdownIt("commonmark", {"html": False, "breaks": True})
    md.enable(["table", "strikethrough"])
    md.use(dollarmath_plugin, allow_space=False, allow_digits=False, double_inline=True)
    md.inline.ruler.before("image", "loose_image", _loose_image)
    md.core.ruler.after("text_join", "lost_math", _math_in_text)
    md.validateLink = lambda url: True  # each output decides which links it keeps
    return md


# one line that cannot open or be any block but a paragraph: no line break, and no
# heading, quote, list, code, fence, math block, HTML, table, rule or link definition at its start
_ONE_PARAGRAPH = re.compile(r"(?![ \t#>*+=_~`<|\[-]|\d{1,9}[.)]|\$\$)[^\n\r\x0b\x0c|]+")


@lru_cache(maxsize=8192)
def parse(text: str) -> tuple[Token, ...]:
    """The tokens of one card field (shared between calls: treat them as read-only)."""
    if _ONE_PARAGRAPH.fullmatch(text):
        # the block parser would find one paragraph holding the whole line: its inline
        # parse alone (half the time) gives the same tokens
        opening, closing = Token("paragraph_open", "p", 1), Token("paragraph_close", "p", -1)
        line = parser().parseInline(text.strip())[0]
        line.map, line.level, opening.map, opening.block, closing.block = [0, 1], 1, [0, 1], True, True
        line.block = True
        return (opening, line, closing)
    return tuple(parser().parse(text))


@lru_cache(maxsize=8192)
def parse_inline(text: str) -> tuple[Token, ...]:
    """The inline tokens of one line of card Markdown (a question's first line, an option):
    no block structure, so `1. …` or `# …` is text, not a list or a heading."""
    return tuple(parser().parseInline(text)[0].children or [])


def inline_tokens(tokens: tuple[Token, ...] | list[Token]) -> Iterator[Token]:
    """Every inline token (text, code, math, image …) of a field, in order."""
    for token in tokens:
        if token.type == "inline":
            yield from inline_tokens(token.children or [])
        else:
            yield token


def images(text: str) -> list[str]:
    """The `src` of every image of a field, as written (percent-escapes decoded later)."""
    return [str(t.attrs.get("src", "")) for t in inline_tokens(parse(text)) if t.type == "image"]


def formulas(text: str) -> list[str]:
    """The LaTeX of every formula of a field, in order."""
    return [t.content.strip() for t in inline_tokens(parse(text)) if t.type in MATH_TOKENS]


def suspect_math(text: str) -> list[str]:
    """TeX left in the text of a field because it is not plainly a formula (CJK inside,
    braces that do not balance …): math that lost its delimiters, for a person to check.
    Each is the text from its first command on, at most 60 characters."""
    if "\\" not in text:
        return []
    found = []
    for token in inline_tokens(parse(text)):
        m = _SUSPECT.search(token.content) if token.type == "text" else None
        if m is not None:
            found.append(token.content[m.start():m.start() + 60].strip())
    return found
