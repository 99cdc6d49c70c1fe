"""Guards at the output boundary against hostile card text.

Card text comes from scraped pages, so whatever a viewer of an output would obey has to be
made inert before the output is written, whichever writer produced it:

- `defang_tex`: MathJax commands that make a link, set CSS or load an extension
  (`\\href{javascript:…}`, `\\style`, `\\require` …) are removed; the formula they wrap stays.
- `inert_markdown`: Markdown for study.md with no raw HTML, no link other than http(s) or
  mailto, no image (remote images become links), no link reference definition, and no
  unclosed code fence that would swallow the cards after it.
- `too_deep`: list or quote nesting deep enough to exhaust a renderer's stack; such a
  field is shown as escaped text instead.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.ruler import Ruler
from markdown_it.token import Token

from .text import DISPLAY_MATH, INLINE_MATH

MATH = re.compile(f"{DISPLAY_MATH.pattern}|{INLINE_MATH.pattern}", re.S)  # group 1 display, group 2 inline

# MathJax commands that make a link, set a class, id, style or data attribute, load an
# extension or pick a font, with the number of arguments (URL, style …) that go with them;
# the formula a command wraps is the argument after those and stays in place as a group.
_ACTIVE_TEX_ARGS = {"href": 1, "url": 1, "class": 1, "style": 1, "cssId": 1, "data": 1, "require": 1,
                    "unicode": 1, "bbox": 0}
_TEX_OPTIONAL_ARG = {"unicode", "bbox"}  # \bbox[css]{…}, \unicode[font]{…}
_ACTIVE_TEX = re.compile(r"(\\+)(" + "|".join(_ACTIVE_TEX_ARGS) + r")(?![A-Za-z])")
_TEX_TOKEN = re.compile(r"\\(?:[A-Za-z]+|.)?", re.S)


def defang_tex(text: str) -> str:
    """`text` (a formula, Markdown or HTML: whatever MathJax would scan) with every MathJax
    command that makes a link, carries CSS or loads an extension removed together with its
    URL/style argument. The command is replaced by an empty group `{}`, so that no new
    command can form from the text around it; a run of backslashes before it keeps its
    pairs (TeX line breaks). Never raises."""
    out, pos = [], 0
    while (m := _ACTIVE_TEX.search(text, pos)) is not None:
        slashes = len(m.group(1))
        out.append(text[pos:m.start()] + "\\" * (slashes - slashes % 2) + "{}")
        end = m.end()
        if m.group(2) in _TEX_OPTIONAL_ARG:
            end = _tex_argument_end(text, end, optional=True)
        for _ in range(_ACTIVE_TEX_ARGS[m.group(2)]):
            end = _tex_argument_end(text, end)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _tex_argument_end(text: str, pos: int, optional: bool = False) -> int:
    """Where the TeX argument starting at `pos` ends: a brace group, a bracket group
    (`optional`, absent if there is no `[`), a control sequence or one character."""
    i = pos
    while i < len(text) and text[i] in " \t\n":
        i += 1
    if i >= len(text):
        return pos if optional else i
    if optional:
        return _group_end(text, i, "]") if text[i] == "[" else pos
    if text[i] == "{":
        return _group_end(text, i, "}")
    if text[i] == "\\":
        return _TEX_TOKEN.match(text, i).end()
    return i + 1


def _group_end(text: str, start: int, close: str) -> int:
    """The end of the group opened at `start`; braces nest, `\\x` escapes; an unclosed
    group runs to the end of the text."""
    braces = 1 if close == "}" else 0
    i = start + 1
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            braces += 1
        elif c == "}":
            braces -= 1
            if close == "}" and braces == 0:
                return i + 1
        elif c == close and braces <= 0:
            return i + 1
        i += 1
    return len(text)


MAX_NESTING = 16  # list and quote levels; Typst stops at about 30, Python-Markdown recurses per level
_LONG_LEAD = re.compile(r"^([ \t>]{%d,})([-*+]|\d)?" % (MAX_NESTING // 2 + 1), re.M)


def too_deep(text: str) -> bool:
    """Do lists or block quotes in `text` nest deeper than MAX_NESTING levels? Counted
    generously (every two columns of indentation before a list marker is a level), so that
    no renderer meets more levels than that."""
    for m in _LONG_LEAD.finditer(text):
        lead = m.group(1)
        if ">" not in lead and m.group(2) is None:
            continue  # indented text, not a list item or a quote
        if lead.count(">") + len(lead.replace(">", "").expandtabs(4)) // 2 > MAX_NESTING:
            return True
    return False


_SAFE_SCHEMES = {"http", "https", "mailto"}
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_CONTROL = re.compile(r"[\x00-\x20]")
_TAG_START = re.compile(r"<[A-Za-z/!?]")
# an entity, not a backslash: "\<" is no escape in Python-Markdown (MkDocs), "&lt;" shows "<" everywhere
_LT = "&lt;"
_MAYBE_ACTIVE = re.compile(r"[<\[]|```|~~~")
_SENTINEL = "inert-sentinel"
_MAX_LEVEL = 2 * MAX_NESTING + 8
_ROUNDS = 8


def _unsafe_url(url: str) -> bool:
    # browsers drop control characters and spaces inside a scheme ("java\tscript:")
    m = _SCHEME.match(_CONTROL.sub("", unquote(url)))
    return m is not None and m.group(1).lower() not in _SAFE_SCHEMES


def _is_remote(url: str) -> bool:
    return url.startswith(("http://", "https://"))


class _Unsure(Exception):
    """The parse cannot be turned into edits with certainty (a position the parser's tab
    expansion hides, text swallowed by something other than a code fence)."""


def _edit(state: StateInline, pos: int, replacement: str) -> None:
    """Record that the character at `pos` of the inline text becomes `replacement`."""
    env = state.env
    if state.src is not env["inline"].content:
        return  # an image description: shown as plain text in an alt attribute, never live
    breaks = env["breaks"]
    line = bisect_right(breaks, pos - 1)  # the newlines before pos
    start = env["offsets"][line]
    if start is None:
        raise _Unsure
    env["edits"][start + pos - (breaks[line - 1] + 1 if line else 0)] = replacement


def _first(tokens: list[Token], kind: str) -> Token | None:
    return next((t for t in tokens if t.type == kind), None)


def _replace_rule(ruler: Ruler, name: str, wrap: Callable[[Callable, str], Callable]) -> None:
    """Replace a parser rule by `wrap(rule, name)`, keeping the chains it may interrupt."""
    rule = next(r for r in ruler.__rules__ if r.name == name)
    ruler.at(name, wrap(rule.fn, name), {"alt": list(rule.alt)})


def _watch_inline(original: Callable, name: str) -> Callable:
    def rule(state: StateInline, silent: bool) -> bool:
        start, mark = state.pos, len(state.tokens)
        if not original(state, silent):
            return False
        if silent:
            return True
        pushed = state.tokens[mark:]
        if name == "escape":
            if _TAG_START.match(state.src, start + 1):  # "\<" escapes nothing in Python-Markdown
                _edit(state, start, "")
                _edit(state, start + 1, _LT)
        elif name == "html_inline":
            _edit(state, start, _LT)
        elif name == "autolink":
            if _unsafe_url(_first(pushed, "link_open").attrs["href"]):
                _edit(state, start, _LT)
        elif name == "link":
            if _unsafe_url(str(_first(pushed, "link_open").attrs.get("href", ""))):
                _edit(state, start, "\\[")
        elif name == "image":
            image = _first(pushed, "image")
            src = str(image.attrs.get("src", ""))
            if _is_remote(src) and not _unsafe_url(src):  # a link to it, as in the deck
                _edit(state, start, "")
                _edit(state, start + 1, "[🖼 " if image.content.strip() else "[🖼 图片")
            else:
                _edit(state, start + 1, "\\[")
        return True

    return rule


def _leftover(state: StateInline, silent: bool) -> bool:
    """Last inline rule: it sees each `<` or `[` that no other rule took, which a lenient
    viewer (Python-Markdown) may still read as a tag or a link. A `<` that could open a tag
    (`<svg/onload=…>` is none in CommonMark) is escaped, inside a formula as TeX's `\\lt`,
    which MathJax and KaTeX show as `<`; a `[` is escaped where the text has `](`, `][` or
    `]:` for it to become a link, image or definition."""
    if silent:
        return False
    if _TAG_START.match(state.src, state.pos):
        spans = state.env["math"]
        k = bisect_right(spans, (state.pos, len(state.src))) - 1
        _edit(state, state.pos, "\\lt " if k >= 0 and spans[k][1] > state.pos else _LT)
    elif state.src[state.pos] == "[" and state.env["bracketed"]:
        _edit(state, state.pos, "\\[")
    return False


def _watch_block(original: Callable, _name: str) -> Callable:
    def rule(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
        if not original(state, start_line, end_line, silent):
            return False
        if not silent:  # an HTML block or a link reference definition starts here
            pos = state.bMarks[start_line] + state.tShift[start_line]
            state.env["edits"][pos] = _LT if state.src[pos] == "<" else "\\["
        return True

    return rule


def _offsets(token: Token, lines: list[str], starts: list[int]) -> list[int | None]:
    """Where each line of an inline token's text starts in the source: the parser strips
    container markers and indentation, so each line is the end of its source line (or,
    for a heading with closing #s, found once inside it)."""
    found: list[int | None] = []
    for j, part in enumerate(token.content.split("\n")):
        k = token.map[0] + j
        part = part.rstrip()
        body = lines[k].rstrip() if k < len(lines) else ""
        if body.endswith(part):
            found.append(starts[k] + len(body) - len(part))
        elif body.count(part) == 1:
            found.append(starts[k] + body.find(part))
        else:
            found.append(None)
    return found


def _parse_inline(state: StateCore) -> None:
    """The core `inline` rule, telling the watched rules where each text sits in the source."""
    lines = state.src.split("\n")
    starts, at = [], 0
    for line in lines:
        starts.append(at)
        at += len(line) + 1
    for token in state.tokens:
        if token.type == "inline":
            token.children = []
            state.env["inline"] = token
            state.env["offsets"] = _offsets(token, lines, starts)
            state.env["breaks"] = [i for i, c in enumerate(token.content) if c == "\n"]
            state.env["math"] = [m.span() for m in MATH.finditer(token.content)]
            state.env["bracketed"] = any(pair in token.content for pair in ("](", "][", "]:"))
            state.md.inline.parse(token.content, state.md, state.env, token.children)


def _parser() -> MarkdownIt:
    # each list level is two levels of tokens; the parser drops what lies deeper than
    # maxNesting, so _scan refuses a parse that reaches it
    md = MarkdownIt("commonmark", {"maxNesting": _MAX_LEVEL})
    md.validateLink = lambda url: True  # see every link a lenient viewer would make
    for name in ("escape", "html_inline", "autolink", "link", "image"):
        _replace_rule(md.inline.ruler, name, _watch_inline)
    for name in ("html_block", "reference"):
        _replace_rule(md.block.ruler, name, _watch_block)
    md.inline.ruler.push("leftover", _leftover)
    _replace_rule(md.core.ruler, "inline", lambda _rule, _name: _parse_inline)
    return md


_MD = _parser()


def _scan(text: str) -> tuple[dict[int, str], str | None]:
    """The edits that make `text` inert, and the marker of a code fence it leaves open."""
    env: dict = {"edits": {}}
    tokens = _MD.parse(text + "\n\n" + _SENTINEL, env)
    if max(t.level for t in tokens) >= _MAX_LEVEL - 1:
        raise _Unsure
    last = tokens[-2] if len(tokens) >= 2 else None
    if last is not None and last.type == "inline" and last.content == _SENTINEL and last.level == 1:
        return env["edits"], None
    if tokens[-1].type == "fence" and tokens[-1].level == 0:
        return env["edits"], tokens[-1].markup
    if env["edits"]:  # an HTML block swallows what follows until its start is escaped
        return env["edits"], None
    raise _Unsure


def _apply(text: str, edits: dict[int, str]) -> str:
    """`text` with the character at each position of `edits` replaced."""
    out, pos = [], 0
    for at in sorted(edits):
        out += [text[pos:at], edits[at]]
        pos = at + 1
    out.append(text[pos:])
    return "".join(out)


def _fenced(text: str) -> str:
    """`text` as a code block: a fence longer than any backtick run in it cannot be closed early."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text}\n{fence}"


def inert_markdown(text: str) -> str:
    """`text`, one card field, as Markdown that shows the same but that no viewer can make
    active: outside code, every `<` that could open a tag (or a non-web autolink) becomes
    `&lt;`; the `[` of links with another scheme than http(s)/mailto, of local images and
    of link reference definitions is backslash-escaped; remote images become links; a
    code fence left open is closed.
    Text nested too deep, or whose constructs cannot be placed, becomes a code block."""
    if too_deep(text):
        return _fenced(text)
    if not _MAYBE_ACTIVE.search(text):
        return text
    original = text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")
    try:
        for _ in range(_ROUNDS):
            edits, fence = _scan(text)
            if not edits and fence is None:
                return text
            text = _apply(text, edits)
            if fence is not None:
                text += "\n" + fence
    except (_Unsure, RecursionError):
        pass
    return _fenced(original)
