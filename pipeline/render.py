"""Card Markdown to safe HTML for Anki: math kept away from Markdown and emitted with
MathJax delimiters, every literal `<…>` shown as text, the result sanitized."""
from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import markdown
import nh3

from .text import AUTOLINK, DISPLAY_MATH, INLINE_MATH

# label and target stop at "[" and space runs are possessive: linear on hostile lines
_IMAGE = re.compile(r"!\[([^\[\]]*+)\]\(\s*+([^)\s\[]++)(?:\s++\"[^\"]*+\")?\s*+\)")
_BACKTICKS = re.compile(r"`+")
# beyond these a field is shown as plain text: see markdown_would_stall
MAX_LINK_SCAN = 1_000_000  # characters
MAX_LINKS = 1_000  # each one copies the rest of the text once more
MAX_BACKTICKS, MAX_BACKTICK_RUN = 2_000, 64
_PLACEHOLDER = "MATHPLACEHOLDER{}END"
_RESTORE = re.compile(r"MATHPLACEHOLDER(\d+)END")
ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "code", "pre", "ul", "ol", "li", "blockquote", "hr",
                "table", "thead", "tbody", "tr", "th", "td", "a", "img", "h1", "h2", "h3", "h4", "h5", "h6",
                "span", "div", "sup", "sub", "del"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt"}, "span": {"class"}, "div": {"class"},
                      "code": {"class"}, "td": {"align"}, "th": {"align"}}


@dataclass
class Media:
    """Images a deck bundles (local files inside the source folder) and those it links to."""

    source_dir: Path
    files: dict[str, Path] = field(default_factory=dict)  # name in the package -> file
    remote: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def resolve(self, src: str, alt: str) -> str:
        """The Markdown an image reference becomes."""
        if src.startswith(("http://", "https://")):
            self.remote.append(src)
            return f"[🖼 {alt or '图片'}]({src})"
        base = self.source_dir.resolve()
        target = (base / src).resolve()
        if base in target.parents and target.is_file():
            digest = hashlib.blake2b(str(target.relative_to(base)).encode("utf-8"), digest_size=4).hexdigest()
            name = f"{digest}_{target.name}"
            self.files[name] = target
            return f"![{alt}]({name})"
        self.missing.append(src)
        return f"（图片缺失：{alt or Path(src).name}）"


def _converter() -> markdown.Markdown:
    md = markdown.Markdown(extensions=["tables", "fenced_code", "sane_lists", "nl2br"])
    # raw HTML in a scraped page is text to show, never markup to obey: "<手推>" stays "<手推>"
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return md


_MD = _converter()


def _reach(text: str, opener: str, closer: str, counted: Callable[[int], bool]) -> int:
    """Characters read from each counted opener to its closer (or to the end of the text),
    by a parser that balances nested pairs."""
    total, opened = 0, []
    for m in re.finditer(re.escape(opener) + "|" + re.escape(closer), text):
        if m.group() == opener:
            opened.append(m.start())
        elif opened:
            start = opened.pop()
            total += m.start() - start if counted(start) else 0
    return total + sum(len(text) - start for start in opened if counted(start))


def markdown_would_stall(text: str) -> bool:
    """Whether Python-Markdown would take minutes on `text`. It reads from every "[" to the
    bracket that closes it, and from the "(" of every "](" to its ")" (or to the end of the
    text), and tries a code span from every run of backticks: on thousands of them (a
    hostile page's `[[[[…`) that is quadratic or worse; so is a field of thousands of links."""
    scan = _reach(text, "[", "]", lambda _: True) + _reach(text, "(", ")", lambda p: text[p - 1:p] == "]")
    runs = [len(r) for r in _BACKTICKS.findall(text)]
    return (scan > MAX_LINK_SCAN or text.count("](") > MAX_LINKS
            or sum(runs) > MAX_BACKTICKS or max(runs, default=0) > MAX_BACKTICK_RUN)


def to_inline_html(text: str) -> str:
    """to_html for a short text inside another element: no wrapping paragraph."""
    out = to_html(text)
    if out.startswith("<p>") and out.endswith("</p>") and out.count("<p>") == 1:
        return out[3:-4]
    return out


def to_html(text: str, media: Media | None = None) -> str:
    maths: list[str] = []

    def keep(display: bool):
        def sub(m: re.Match) -> str:
            body = html.escape(m.group(1).strip(), quote=False)
            maths.append(f"\\[{body}\\]" if display else f"\\({body}\\)")
            return _PLACEHOLDER.format(len(maths) - 1)
        return sub

    text = DISPLAY_MATH.sub(keep(True), text)
    text = INLINE_MATH.sub(keep(False), text)
    text = AUTOLINK.sub(r"[\1](\1)", text)
    if media is not None:
        text = _IMAGE.sub(lambda m: media.resolve(m.group(2), m.group(1)), text)
    if markdown_would_stall(text):  # shown as it was written
        out = "<p>" + html.escape(text, quote=False).replace("\n", "<br />\n") + "</p>"
    else:
        _MD.reset()
        out = _MD.convert(text)
    out = _RESTORE.sub(lambda m: maths[int(m.group(1))], out)
    out = nh3.clean(out, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https"},
                    link_rel="noopener noreferrer")
    # Anki reads {{…}} as template syntax in some places; entities show the same characters
    return out.replace("{{", "&#123;&#123;").replace("}}", "&#125;&#125;")
