"""Card Markdown written back as normalized CommonMark for study.md, from the tokens every
output shares (`markup.parse`): what was math is `$…$` / `$$…$$`, every other `$` (and
every other character a viewer would read as markup) is escaped, lists, tables and code
get the blank lines and indentation any CommonMark viewer needs, links keep only
http(s)/mailto targets, remote images become links and local ones links to the file."""
from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote, unquote

from markdown_it.token import Token
from markdown_it.tree import SyntaxTreeNode

from ..markup import MATH_TOKENS, parse, parse_inline

# characters escaped wherever they are in text; `<` and entity-like `&` become entities
# ("\<" escapes nothing in Python-Markdown, which MkDocs and others use)
_SPECIAL = re.compile(r"[\\`*_\[\]$|]")
_ENTITY_LIKE = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
# what opens a block at the start of a line: a heading, quote, list item, setext underline, code indent
_LINE_START = re.compile(r"^(?:[#>+=-]|[ \t]+)", re.M)
_NUMBERED = re.compile(r"^(\d{1,9})([.)])", re.M)
_SAFE_LINK = ("http://", "https://", "mailto:")

ImageLink = Callable[[str], str | None]  # an image's src -> the link study.md gives it, or None


def escape_text(text: str) -> str:
    """Plain text as CommonMark inline content that shows exactly this text."""
    text = _SPECIAL.sub(r"\\\g<0>", text)
    if text.count("~") > 1:  # a pair would strike through the text between (GFM); one cannot
        text = text.replace("~", "\\~")
    return _ENTITY_LIKE.sub("&amp;", text).replace("<", "&lt;")


def _line_starts(text: str) -> str:
    """A paragraph's lines with what would open a block at their start escaped (the writer
    itself opens no line with these characters, so each came from the text)."""
    text = _LINE_START.sub(lambda m: "" if m.group().isspace() else "\\" + m.group(), text)
    return _NUMBERED.sub(r"\1\\\2", text)


def missing_image(alt: str, src: str) -> str:
    """The note a sheet prints for an image it cannot show: its description and path."""
    src = unquote(src)
    return f"（图片缺失：{alt}，{src}）" if alt and alt != src else f"（图片缺失：{src}）"


def _url(url: str) -> str:
    """A link destination in `<…>`: no character in it can end it early."""
    return "<" + quote(url, safe="/:?#&=%@!$'()*+,;~-._") + ">"


def _code_span(code: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * (longest + 1)
    # CommonMark strips one space from each end of a span that is not all spaces
    pad = " " if code.strip(" ") and (code.startswith(("`", " ")) or code.endswith(("`", " "))) else ""
    return f"{fence}{pad}{code}{pad}{fence}"


class _Writer:
    def __init__(self, image_link: ImageLink | None):
        self.image_link = image_link
        self.in_cell = False  # a table row is split at every unescaped `|`, in code and math too

    def inline(self, node: SyntaxTreeNode) -> str:
        out: list[str] = []
        for child in node.children:
            kind = child.type
            if kind == "text":
                out.append(escape_text(child.content))
            elif kind == "softbreak":
                out.append("\n")
            elif kind == "hardbreak":
                out.append("\\\n")
            # on one line: a line break inside is a space to code and to TeX, and the next
            # line's start could otherwise open a block
            elif kind == "code_inline":
                out.append(self.cell_safe(_code_span(child.content.replace("\n", " "))))
            elif kind in MATH_TOKENS:
                out.append(self.cell_safe(f"${child.content.strip().replace(chr(10), ' ')}$"))
            elif kind in ("strong", "em", "s"):
                mark = child.markup or {"strong": "**", "em": "*", "s": "~~"}[kind]
                out.append(mark + self.inline(child) + mark)
            elif kind == "link":
                href, label = str(child.attrs.get("href", "")), self.inline(child)
                out.append(f"[{label}]({_url(href)})" if href.startswith(_SAFE_LINK) else label)
            elif kind == "image":
                out.append(self.image(child))
        return "".join(out)

    def cell_safe(self, markup: str) -> str:
        return markup.replace("|", "\\|") if self.in_cell else markup

    def image(self, node: SyntaxTreeNode) -> str:
        src, alt = str(node.attrs.get("src", "")), node.content
        label = escape_text("🖼 " + (alt or "图片"))
        if src.startswith(("http://", "https://")):
            return f"[{label}]({_url(src)})"
        target = self.image_link(src) if self.image_link else None
        if target is None:
            return escape_text(missing_image(alt, src))
        return f"[{label}]({_url(target)})"

    def blocks(self, nodes: list[SyntaxTreeNode], tight: bool = False) -> list[str]:
        lines: list[str] = []
        for node in nodes:
            if lines and not tight:
                lines.append("")
            lines += self.block(node)
        return lines

    def block(self, node: SyntaxTreeNode) -> list[str]:
        kind = node.type
        if kind == "paragraph":
            return _line_starts(self.inline(node.children[0])).split("\n")
        if kind == "heading":
            return ["#" * int(node.tag[1]) + " " + self.inline(node.children[0]).replace("\n", " ")]
        if kind in ("bullet_list", "ordered_list"):
            return self.list(node)
        if kind == "blockquote":
            return [f"> {line}" if line else ">" for line in self.blocks(node.children) or [""]]
        if kind in ("fence", "code_block"):
            code = node.content.rstrip("\n")
            longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
            fence = "`" * max(3, longest + 1)
            info = re.sub(r"[^\w+.-]", "", node.info.split()[0]) if node.info.strip() else ""
            return [fence + info, *(code.split("\n") if code else []), fence]
        if kind in MATH_TOKENS:
            return ["$$", *node.content.strip("\n").split("\n"), "$$"]
        if kind == "table":
            return self.table(node)
        if kind == "hr":
            return ["---"]
        return []

    def list(self, node: SyntaxTreeNode) -> list[str]:
        ordered = node.type == "ordered_list"
        start = int(node.attrs.get("start", 1) or 1)
        tight = all(p.hidden for item in node.children for p in item.children if p.type == "paragraph")
        lines: list[str] = []
        for k, item in enumerate(node.children):
            marker = f"{start + k}." if ordered else "-"
            body = self.blocks(item.children, tight) or [""]
            if lines and not tight:
                lines.append("")
            indent = " " * (len(marker) + 1)
            lines.append(f"{marker} {body[0]}".rstrip())
            lines += [indent + line if line else "" for line in body[1:]]
        return lines

    def table(self, node: SyntaxTreeNode) -> list[str]:
        rows: list[list[str]] = []
        aligns: list[str] = []
        for section in node.children:
            for row in section.children:
                cells = []
                for cell in row.children:
                    self.in_cell = True
                    text = self.inline(cell.children[0]) if cell.children else ""
                    self.in_cell = False
                    cells.append(text.replace("\n", " "))
                    if cell.type == "th":
                        style = str(cell.attrs.get("style", ""))
                        aligns.append({"text-align:left": ":--", "text-align:right": "--:",
                                       "text-align:center": ":-:"}.get(style, "---"))
                rows.append(cells)
        if not rows:
            return []
        out = ["| " + " | ".join(rows[0]) + " |", "| " + " | ".join(aligns or ["---"] * len(rows[0])) + " |"]
        return out + ["| " + " | ".join(row) + " |" for row in rows[1:]]


def to_commonmark(text: str, image_link: ImageLink | None = None) -> str:
    """A card field as normalized CommonMark (see the module); `image_link` gives the link
    of a local image, None when there is no such file. Never raises on any text."""
    return "\n".join(_Writer(image_link).blocks(SyntaxTreeNode(list(parse(text))).children))


def inline_commonmark(text: str, image_link: ImageLink | None = None) -> str:
    """One line of card Markdown (a heading, a question's first line) as CommonMark on one line."""
    line = Token("inline", "", 0)
    line.children = list(parse_inline(text))
    return _Writer(image_link).inline(SyntaxTreeNode([line]).children[0]).replace("\n", " ")
