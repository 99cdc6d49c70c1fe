"""Markdown read as a block tree by markdown-it-py (CommonMark, GFM tables, dollar math).

The parser, not a regex, decides what is code, a heading, a quote or a list: its tokens
carry `map`, the lines they cover, so every block keeps its place in the source."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

BlockKind = Literal["heading", "paragraph", "code", "math", "list", "item", "quote", "table", "html", "rule"]

_KINDS: dict[str, BlockKind] = {
    "heading": "heading", "paragraph": "paragraph", "code_block": "code", "fence": "code",
    "math_block": "math", "math_block_label": "math", "bullet_list": "list", "ordered_list": "list",
    "list_item": "item", "blockquote": "quote", "table": "table", "html_block": "html", "hr": "rule",
}
CODE_KINDS: frozenset[BlockKind] = frozenset({"code", "math"})


@dataclass
class Block:
    """A block of the document: its kind, the lines it covers (0-based indices into the
    lines given, `last` inclusive), its heading level, its nesting depth and its children."""

    kind: BlockKind
    first: int
    last: int
    level: int = 0
    depth: int = 0
    children: list[Block] = field(default_factory=list)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # only the block structure is read: inline parsing (half the time) is switched off
    md = MarkdownIt("commonmark").enable("table").use(dollarmath_plugin, allow_space=True, double_inline=True)
    return md.disable(["inline", "text_join"], ignoreInvalid=True)


def markdown_tree(texts: list[str]) -> list[Block]:
    """The top-level blocks of a Markdown document given as its lines (no line ends), each
    with its nested blocks. Lines inside no block (blank lines) belong to none."""
    root: list[Block] = []
    stack: list[Block] = []
    for token in _parser().parse("\n".join(texts)):
        kind = _KINDS.get(token.type.removesuffix("_open").removesuffix("_close"))
        if kind is None:
            continue
        if token.nesting == -1:
            stack.pop()
            continue
        if token.map is None:
            continue
        level = int(token.tag[1]) if kind == "heading" and token.tag[1:].isdigit() else 0
        block = Block(kind, token.map[0], max(token.map[0], token.map[1] - 1), level, len(stack))
        (stack[-1].children if stack else root).append(block)
        if token.nesting == 1:
            stack.append(block)
    return root


def walk(blocks: list[Block]):
    """Every block of a tree, parents before their children, in document order."""
    for block in blocks:
        yield block
        yield from walk(block.children)


@lru_cache(maxsize=1)
def _blocks(texts: tuple[str, ...]) -> tuple[Block, ...]:
    """Every block of a document, in document order: one parse for the rules that ask."""
    return tuple(walk(markdown_tree(list(texts))))


@dataclass(frozen=True)
class LinkDefinition:
    """A link reference definition (`[label]: https://… "title"`, CommonMark 4.7): its
    destination and the lines it takes (indices into the document's lines)."""
    href: str
    first: int
    last: int


def link_definitions(texts: list[str]) -> dict[str, LinkDefinition]:
    """The link reference definitions of a Markdown document given as its lines, by label
    normalized as CommonMark matches labels (`markdown_it.common.utils.normalizeReference`:
    case folded, spaces collapsed); the first definition of a label wins, as CommonMark says."""
    env: dict = {}
    _parser().parse("\n".join(texts), env)
    return {label: LinkDefinition(ref["href"], ref["map"][0], ref["map"][1] - 1)
            for label, ref in env.get("references", {}).items()}


def code_lines(texts: list[str]) -> set[int]:
    """Indices of the lines inside code blocks (fenced or indented) and display math."""
    return {i for b in _blocks(tuple(texts)) if b.kind in CODE_KINDS for i in range(b.first, b.last + 1)}


# CommonMark's HTML block of type 1 that holds a program or a style sheet, not text (4.6)
_RAW_HTML = re.compile(r"^ {0,3}<(?:script|style)(?:\s|>|$)", re.I)


def script_lines(texts: list[str]) -> set[int]:
    """Indices of the lines of the HTML blocks that hold a <script> or <style> element."""
    return {i for b in _blocks(tuple(texts)) if b.kind == "html" and _RAW_HTML.match(texts[b.first])
            for i in range(b.first, b.last + 1)}


def table_rows(texts: list[str]) -> list[list[str]]:
    """The rows of the tables in `texts` (lines of Markdown), each row the texts of its
    cells, header rows included; [] when there is no table."""
    rows: list[list[str]] = []
    row: list[str] | None = None
    for token in _parser().parse("\n".join(texts)):
        if token.type == "tr_open":
            row = []
        elif token.type == "inline" and row is not None:
            row.append(token.content.strip())
        elif token.type == "tr_close" and row is not None:
            rows.append(row)
            row = None
    return rows
