"""HTML pages to Markdown-like block lines that keep the source line they came from.

Page chrome (scripts, navigation, sidebars, tables of contents, comment boxes,
footers) is removed here, because only the markup says what it is; every raw line
that yields no text is reported as dropped by `html_chrome` or `html_markup`.
"""
from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from .model import Drop, PipelineError, SourceLine
from .scriptdata import script_records
from .text import labels_answer, repeated_labels

CHROME_TAGS = {"script", "style", "noscript", "template", "head", "nav", "aside", "header", "footer",
               "form", "button", "textarea", "input", "select", "iframe", "svg", "canvas", "object",
               "embed", "link", "meta", "title"}
_CHROME_NAME = re.compile(
    r"(^|[-_])(sidebar|side|toc|nav|navbar|navigation|menu|breadcrumbs?|comments?|discuss|discussion|"
    r"footer|header|pager|pagination|share|social|related|recommend|advert|ads|adsbygoogle|banner|"
    r"meta|actions|like|copyright|widget|summary|catalog|reward|donate|sponsor)($|[-_])", re.I)
BLOCK_TAGS = {"p", "div", "section", "article", "main", "body", "blockquote", "ul", "ol", "li", "pre",
              "table", "thead", "tbody", "tfoot", "tr", "td", "th", "details", "summary", "dl", "dt",
              "dd", "figure", "figcaption", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "center", "html"}
_PERMALINK_TEXT = {"¶", "#", "§", "🔗", ""}
_SPACES = re.compile(r"[ \t\f\v\u3000]+")


# a button inside a cell, list item or paragraph holds content: a quiz page's options
_CONTENT_PARENTS = {"td", "th", "li", "p", "dd", "label"}


def _is_chrome(tag: Tag) -> bool:
    if tag.name == "button" and tag.parent is not None and tag.parent.name in _CONTENT_PARENTS:
        return False
    if tag.name == "script" and _math(tag) is not None:
        return False  # `<script type="math/tex">x</script>`: MathJax keeps the formula's source there
    if tag.name in CHROME_TAGS:
        return True
    names = " ".join(tag.get("class") or []) + " " + str(tag.get("id") or "") + " " + str(tag.get("role") or "")
    words = {m.group(2).lower() for part in names.split() if (m := _CHROME_NAME.search(part))}
    # the header of a block on the page ("card-header", "panel-header") holds that block's title:
    # a page's own header is <header>, or holds no section heading
    return bool(words) and not (words == {"header"} and tag.find(_SECTION_HEADINGS) is not None)


_SECTION_HEADINGS = ["h2", "h3", "h4", "h5", "h6"]


def _main_content(soup: BeautifulSoup) -> Tag:
    """The article of a page: <article>, else <main>, else the body. An element named like chrome
    that holds most of the page's text is a wrapper of the whole layout, not chrome
    (`<div class="container sidebar-position-left">` around the header, main and sidebar)."""
    total = len(soup.get_text(strip=True))

    def chrome_around(tag: Tag) -> bool:
        return any(_is_chrome(p) and (p.name in CHROME_TAGS or 2 * len(p.get_text(strip=True)) < total)
                   for p in tag.parents if isinstance(p, Tag))

    # (bs4's own find_all: a CSS selector engine costs more to start than these three lookups)
    for found in (soup.find_all("article"), soup.find_all("main"), soup.find_all(attrs={"role": "main"})):
        found = [t for t in found if not chrome_around(t)]
        if found:
            return max(found, key=lambda t: len(t.get_text()))
    # a generator that emits two <body> elements: the one that holds the text
    bodies = soup.find_all("body")
    return max(bodies, key=lambda t: len(t.get_text(strip=True))) if bodies else soup


def _end_line(tag: Tag, last: int) -> int:
    """The line an element ends on, at the latest: the line before the next element after it
    (the parser gives elements their first line only); `last`, the page's last, at the end."""
    node: Tag | None = tag
    while node is not None:
        following = node.find_next_sibling()
        if following is not None and following.sourceline:
            return max(following.sourceline - 1, tag.sourceline or 1)
        node = node.parent if isinstance(node.parent, Tag) else None
    return last


def _span(tag: Tag) -> range:
    """The source lines an element covers, to the start of its last descendant."""
    start = tag.sourceline or 1
    end = max((d.sourceline or start for d in tag.find_all(True)), default=start)
    return range(start, end + 1)


_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_ITEM_BLOCKS = {"p", "div", "blockquote", "pre", "table", "dl", "section", "details"}
_RENDERED_IN_ITEMS = _ITEM_BLOCKS - {"p"}


_BREAK = "\x00"  # a <br>: a line break of the rendered text that is no line end of the page's source


def _first_number(listing: Tag) -> int:
    """The number an ordered list starts at (`<ol start="2">` goes on from an earlier list)."""
    start = str(listing.get("start") or "1").strip()
    return int(start) if start.isdigit() and len(start) <= 6 else 1


def _one_line(text: str) -> str:
    """Inline text that must stay on one line (a heading, a cell, a term): breaks become spaces."""
    return text.replace("\n", " ").replace(_BREAK, " ")


class _Renderer:
    def __init__(self, labels: frozenset[str] = frozenset()) -> None:
        self.labels = labels  # the page's summaries that label by repetition (`repeated_labels`)
        self.out: list[SourceLine] = []
        self.buffer: list[tuple[str, int]] = []  # a paragraph's pieces, each with the source line it starts on
        # the line of the last element begun: text after it stands there or later (the parser
        # gives elements their lines, not text)
        self.seen = 0
        self.covered: set[int] = set()  # source lines whose text went into a line numbered otherwise

    def emit(self, number: int, text: str, indent: str = "") -> None:
        for offset, part in enumerate(text.split("\n")):
            part = _SPACES.sub(" ", part).strip()
            if part:
                self.out.append(SourceLine(number + offset, indent + part))

    def flush(self) -> None:
        """Write the buffered paragraph, a line per line break, each numbered by the source line
        its text stands on: a line end of the source moves on by one line, a <br> does not (a
        paragraph of "a<br>b<br>c" on one source line is three lines numbered alike)."""
        if not self.buffer:
            return
        line = self.buffer[0][1]
        parts: list[tuple[int, list[str]]] = [(line, [])]
        for text, at in self.buffer:
            line = max(line, at)
            for k, segment in enumerate(text.split("\n")):
                if k:
                    line += 1
                for j, piece in enumerate(segment.split(_BREAK)):
                    if (k or j) and "".join(parts[-1][1]).strip():
                        parts.append((line, []))
                    elif k or j:
                        parts[-1] = (line, parts[-1][1])  # nothing yet on this line: it starts here
                    parts[-1][1].append(piece)
        self.buffer = []
        for number, pieces in parts:
            self.emit(number, "".join(pieces))

    def add_inline(self, text: str, line: int) -> None:
        if not self.buffer and not text.strip():
            return
        self.buffer.append((text, line))

    def block(self, tag: Tag, list_prefix: str = "", children: list | None = None) -> None:
        """Render `tag`'s children (or the given `children` of it) as lines."""
        for child in tag.children if children is None else children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                text = _literal(str(child))
                at = max(tag.sourceline or 1, self.seen)
                # newlines in page source are layout, not text: keep them only as line breaks of a
                # paragraph (those that open it still move it down)
                skipped = 0 if self.buffer else len(text) - len(text.lstrip("\n"))
                self.add_inline(text[skipped:], at + skipped)
                continue
            if not isinstance(child, Tag) or _is_chrome(child):
                continue
            self.seen = max(self.seen, child.sourceline or 0)
            name = child.name
            line = child.sourceline or tag.sourceline or 1
            if name in _HEADINGS:
                self.flush()
                self.emit(line, "#" * int(name[1]) + " " + _one_line(inline(child)))
            elif name == "summary":
                self.flush()
                if not labels_answer(child.get_text(), self.labels):  # "Answer" over a <details> body: the body is the answer
                    self.emit(line, "###### " + _one_line(inline(child)))
            elif name == "dt":  # a definition list's term: a bold line, its <dd> the text under it
                self.flush()
                self.emit(line, "**" + _one_line(inline(child)).replace("**", "").strip() + "**")
            elif name == "pre":
                self.flush()
                code = child.get_text()
                self.out.append(SourceLine(line, "```"))
                for offset, part in enumerate(code.strip("\n").split("\n")):
                    self.out.append(SourceLine(line + offset, part.rstrip()))
                self.out.append(SourceLine(line + code.strip("\n").count("\n"), "```"))
            elif name in {"ul", "ol"}:
                self.flush()
                for number, item in enumerate(child.find_all("li", recursive=False), start=_first_number(child)):
                    marker = f"{number}. " if name == "ol" else "- "
                    self.list_item(item, list_prefix, marker)
            elif name == "li":
                self.flush()
                self.list_item(child, list_prefix, "- ")
            elif name == "tr":
                self.flush()
                cells = [_one_line(inline(c)).strip() for c in child.find_all(["td", "th"], recursive=False)]
                if any(cells):
                    self.emit(line, "| " + " | ".join(cells) + " |")
                    table = child.find_parent("table")
                    if table is not None and table.find("tr") is child:
                        # the delimiter row a Markdown table needs under its first row (GFM tables)
                        self.emit(line, "|" + " --- |" * len(cells))
            elif name == "hr":
                self.flush()
                self.emit(line, "---")  # a thematic break is structure: it may close the page's last answer
            elif name == "br":
                self.add_inline(_BREAK, line)
            elif name == "details":
                self.flush()
                self.block(child, list_prefix)
                self.flush()
                summary = child.find("summary", recursive=False)
                if summary is not None and summary.get_text(strip=True) and not labels_answer(summary.get_text(), self.labels):
                    # the end of a <details> whose summary is a heading closes the question it asks
                    # (as in Markdown, where cleaning writes </details> so): its summary is a prompt
                    self.emit(self.seen, "######")
            elif name in BLOCK_TAGS:
                self.flush()
                self.block(child, list_prefix)
                self.flush()
            else:
                self.add_inline(inline(child), line)
        self.flush()

    def list_item(self, item: Tag, indent: str, marker: str) -> None:
        """The item's first paragraph on the marker line; its further paragraphs (<li><p>…</p><p>…</p>)
        as continuation lines indented under it, as CommonMark writes them; nested lists deeper. A
        heading in the item (a page whose Markdown lacked the blank line before it:
        `<li>…<h3>公式</h3>…</li>`) ends the item: it and what follows it stand outside the list."""
        children = list(item.children)
        cut = next((k for k, c in enumerate(children) if isinstance(c, Tag) and c.name in _HEADINGS), len(children))
        children, rest = children[:cut], children[cut:]
        self._item(item, children, indent, marker)
        if rest:
            self.block(item, children=rest)

    def _item(self, item: Tag, children: list, indent: str, marker: str) -> None:
        line = item.sourceline or 1
        head = [c for c in children if not isinstance(c, Comment)
                and not (isinstance(c, Tag) and c.name in {"ul", "ol"})]
        nested = [c for c in children if isinstance(c, Tag) and c.name in {"ul", "ol"}]
        only = nested[0].find_all("li", recursive=False) if len(nested) == 1 else []
        if len(only) == 1 and not "".join(str(c) for c in head).strip():
            # an item that holds nothing but a list of one item ("1. 1. …" as a page wrote it) is that item
            self.list_item(only[0], indent, marker)
            return
        paragraphs: list[tuple[int, list]] = [(line, [])]
        for c in head:
            if isinstance(c, Tag) and c.name in _ITEM_BLOCKS:
                if paragraphs[-1][1] and "".join(map(str, paragraphs[-1][1])).strip():
                    paragraphs.append((c.sourceline or line, []))
                else:  # nothing said yet: the paragraph stands where the block does ("<li>" / "<p>…")
                    paragraphs[-1] = (c.sourceline or paragraphs[-1][0], paragraphs[-1][1])
                paragraphs[-1][1].append(c)
                paragraphs.append((c.sourceline or line, []))
            else:
                paragraphs[-1][1].append(c)
        # after the item's first paragraph, a <details>, code block, table or quote keeps its own
        # lines (paragraphs, lists, code), rendered under the item
        texts: list[tuple[int, str | Tag]] = []
        for k, (n, part) in enumerate(paragraphs):
            solid = [c for c in part if isinstance(c, Tag) or str(c).strip()]
            if k and len(solid) == 1 and isinstance(solid[0], Tag) and solid[0].name in _RENDERED_IN_ITEMS:
                texts.append((n, solid[0]))
                continue
            text = _SPACES.sub(" ", "".join(inline(c) if isinstance(c, Tag) else str(c) for c in part)).strip()
            # a paragraph written over several source lines is one line here: those lines are in it
            self.covered.update(range(n, n + text.count("\n") + 1))
            if text := _one_line(text):
                texts.append((n, text))
        if not texts or not isinstance(texts[0][1], str):
            texts.insert(0, (line, ""))
        self.emit(texts[0][0], marker + texts[0][1], indent)
        for n, text in texts[1:]:
            if isinstance(text, str):
                self.emit(n, text, indent + " " * len(marker))
                continue
            inner = _Renderer()
            inner.block(item, children=[text])
            self.out += [SourceLine(x.number, indent + " " * len(marker) + x.text) for x in inner.out]
            self.covered |= inner.covered
        for sub in nested:
            for number, child in enumerate(sub.find_all("li", recursive=False), start=_first_number(sub)):
                self.list_item(child, indent + "  ", f"{number}. " if sub.name == "ol" else "- ")


# one formula in its delimiters, none closing inside it ("\(a\) + \(b\)" is two)
_TEX_INLINE = re.compile(r"\\\(((?:(?!\\\)).)+)\\\)", re.S)
_TEX_DISPLAY = re.compile(r"\\\[((?:(?!\\\]).)+)\\\]", re.S)


def _math(tag: Tag) -> str | None:
    kind = str(tag.get("type") or "")
    if tag.name == "script" and kind.startswith("math/tex"):
        body = tag.get_text()
        return f"$${body}$$" if "mode=display" in kind else f"${body}$"
    classes = tag.get("class") or []
    if "math" in classes or "arithmatex" in classes:
        # MathJax's source kept in its delimiters (Sphinx, pymdownx.arithmatex): "\(k\)" at the
        # start of a paragraph would read as an escaped list label
        body = tag.get_text().strip()
        if (inline_tex := _TEX_INLINE.fullmatch(body)) is not None:
            return f"${inline_tex.group(1)}$"
        if (display := _TEX_DISPLAY.fullmatch(body)) is not None:
            return f"$${display.group(1)}$$"
    if "katex" in classes or "katex-display" in classes:
        note = tag.find("annotation", attrs={"encoding": "application/x-tex"})
        if note is not None:
            return f"$${note.get_text()}$$" if "katex-display" in classes else f"${note.get_text()}$"
    return None


_ENTITY_LIKE = re.compile(r"&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)")


def _literal(text: str) -> str:
    """A page's text for Markdown: an `&` that Markdown would read as the start of an
    entity (the page said `&amp;amp;`, meaning the text `&amp;`) is escaped."""
    return _ENTITY_LIKE.sub(r"\\&", text) if "&" in text else text


_INLINE_BLOCKS = {"li", "p", "div"}  # blocks met where only inline content can go: a break after each


def inline(tag: Tag) -> str:
    """An element's inline content as Markdown: bold, code, links, images, math."""
    math = _math(tag)
    if math is not None:
        return math
    if _is_chrome(tag):
        return ""
    name = tag.name
    if name == "br":
        return _BREAK
    if name == "img":
        src = str(tag.get("src") or "")
        return f"![{tag.get('alt') or ''}]({src})" if src else ""
    inner = "".join(inline(c) if isinstance(c, Tag) else ("" if isinstance(c, Comment) else _literal(str(c)))
                    for c in tag.children)
    if name == "a":
        href = str(tag.get("href") or "")
        text = inner.strip()
        if href.startswith("#") and text in _PERMALINK_TEXT:
            return ""
        if href.startswith(("http://", "https://")) and text and text != href:
            return f"[{text}]({href})"
        return text or (href if href.startswith(("http://", "https://")) else "")
    if name in {"strong", "b"} and inner.strip():
        return f"**{inner.strip()}**"
    if name in _INLINE_BLOCKS and inner.strip():
        return inner.strip() + _BREAK  # blocks inside a cell ("<td><ul><li>…</li><li>…</li></ul>") stay apart
    if name == "code" and tag.parent is not None and tag.parent.name != "pre" and inner.strip():
        return f"`{tag.get_text().strip()}`"  # code is literal: no escapes
    return inner


MAX_DEPTH = 200  # wrappers nested deeper than this carry no structure worth a recursion


def _flatten(soup: BeautifulSoup) -> None:
    """Unwrap the containers of absurdly deep nesting (walked without recursion)."""
    depth: dict[int, int] = {id(soup): 0}
    deep: list[Tag] = []
    for tag in soup.descendants:
        if isinstance(tag, Tag):
            d = depth[id(tag.parent)] + 1 if tag.parent is not None else 0
            depth[id(tag)] = d
            if d > MAX_DEPTH and tag.name not in {"h1", "h2", "h3", "h4", "h5", "h6", "pre", "summary"}:
                deep.append(tag)
    for tag in reversed(deep):
        tag.unwrap()


def html_to_lines(text: str, raw: list[str], file: str) -> tuple[list[SourceLine], list[Drop]]:
    soup = BeautifulSoup(text, "html.parser")
    _flatten(soup)
    content = _main_content(soup)
    renderer = _Renderer(repeated_labels([summary.get_text() for summary in content.find_all("summary")]))
    try:
        renderer.block(content)
    except RecursionError:
        raise PipelineError(file, f"HTML nested too deeply to read (over {MAX_DEPTH} levels)") from None
    # questions a page keeps as data in a script and renders in the browser are its text too
    data = [line for script in soup.find_all("script") if not script.get("src") for line in script_records(script)]
    lines = sorted(renderer.out + data, key=lambda ln: ln.number) if data else renderer.out
    covered = {ln.number for ln in lines} | renderer.covered
    chrome: set[int] = set()
    wrappers = {id(tag) for tag in content.parents}  # named like chrome, but around the content: layout
    for tag in soup.find_all(True):
        if _is_chrome(tag) and id(tag) not in wrappers:
            chrome.update(_span(tag))
    outside = set(range(1, len(raw) + 1)) - set(range(content.sourceline or 1, _end_line(content, len(raw)) + 1)) \
        if content is not soup else set()
    drops = []
    for number, raw_text in enumerate(raw, start=1):
        if number in covered or not raw_text.strip():
            continue
        rule = "html_chrome" if number in chrome or number in outside else "html_markup"
        drops.append(Drop(rule, file, number, raw_text.strip()[:200]))
    return lines, drops
