"""Card Markdown to safe HTML for Anki: math kept away from Markdown and emitted with
MathJax delimiters, every literal `<…>` shown as text, the result sanitized.

Whatever produced the HTML, three guards hold at the end: every `<img>` shows a file
bundled from the source folder (remote images become links, others a note), MathJax finds
no command that makes a link or carries CSS, and a field nested too deep for the renderer
is shown as escaped text."""
from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from collections.abc import Callable
from enum import Enum
from pathlib import Path

import markdown
import nh3
from bs4 import BeautifulSoup

from .inert import defang_tex, too_deep
from .text import AUTOLINK, DISPLAY_MATH, INLINE_MATH

_PLACEHOLDER = "MATHPLACEHOLDER{}END"
_RESTORE = re.compile(r"MATHPLACEHOLDER(\d+)END")
ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "code", "pre", "ul", "ol", "li", "blockquote", "hr",
                "table", "thead", "tbody", "tr", "th", "td", "a", "img", "h1", "h2", "h3", "h4", "h5", "h6",
                "span", "div", "sup", "sub", "del"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt"}, "span": {"class"}, "div": {"class"},
                      "code": {"class"}, "td": {"align"}, "th": {"align"}}


class ImageKind(Enum):
    BUNDLED = "bundled"  # a file inside the source folder, packed into the deck
    REMOTE = "remote"  # an http(s) URL, shown as a link
    MISSING = "missing"  # no such file, or outside the source folder: shown as a note


@dataclass
class Media:
    """Images a deck bundles (local files inside the source folder) and those it links to.
    Without a source folder nothing is bundled."""

    source_dir: Path | None
    files: dict[str, Path] = field(default_factory=dict)  # name in the package -> file
    remote: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def resolve(self, src: str) -> tuple[ImageKind, str]:
        """How an image's `src` is shown: (BUNDLED, name in the package), (REMOTE, url) or
        (MISSING, src). Records it for the report."""
        if src.startswith(("http://", "https://")):
            self.remote.append(src)
            return ImageKind.REMOTE, src
        if self.source_dir is not None:
            base = self.source_dir.resolve()
            target = (base / src).resolve()
            if base in target.parents and target.is_file():
                digest = hashlib.blake2b(str(target.relative_to(base)).encode("utf-8"), digest_size=4).hexdigest()
                name = f"{digest}_{target.name}"
                self.files[name] = target
                return ImageKind.BUNDLED, name
        self.missing.append(src)
        return ImageKind.MISSING, src


def _guard_images(out: str, media: Media) -> str:
    """Every image of the HTML, whatever Markdown form made it (inline, reference), shown
    as the deck may show it: a bundled file, a link, or a note."""
    soup = BeautifulSoup(out, "html.parser")
    for img in soup.find_all("img"):
        src, alt = str(img.get("src") or ""), str(img.get("alt") or "")
        kind, value = media.resolve(src)
        if kind is ImageKind.BUNDLED:
            img["src"] = value
        elif kind is ImageKind.REMOTE:
            link = soup.new_tag("a", href=value)
            link.string = f"🖼 {alt or '图片'}"
            img.replace_with(link)
        else:
            img.replace_with(f"（图片缺失：{alt or Path(src).name}）")
    return str(soup)


_BACKTICKS = re.compile(r"`+")
# beyond these a field is shown as plain text: see markdown_would_stall
MAX_LINK_SCAN = 1_000_000  # characters
MAX_LINKS = 1_000  # each one copies the rest of the text once more
MAX_BACKTICKS, MAX_BACKTICK_RUN = 2_000, 64


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


def _converter() -> markdown.Markdown:
    md = markdown.Markdown(extensions=["tables", "fenced_code", "sane_lists", "nl2br"])
    # raw HTML in a scraped page is text to show, never markup to obey: "<手推>" stays "<手推>"
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return md


_MD = _converter()


def to_inline_html(text: str, media: Media | None = None) -> str:
    """to_html for a short text inside another element: no wrapping paragraph."""
    out = to_html(text, media)
    if out.startswith("<p>") and out.endswith("</p>") and out.count("<p>") == 1:
        return out[3:-4]
    return out


def to_html(text: str, media: Media | None = None) -> str:
    """Card Markdown to sanitized HTML for an Anki field. Local images inside `media`'s
    source folder are bundled (recorded in `media`); a field nested too deep for Markdown,
    or on which it would stall, is shown as escaped text. Never raises on any text."""
    media = media if media is not None else Media(None)
    if too_deep(text) or markdown_would_stall(text):
        out = "<p>" + html.escape(text).replace("\n", "<br>") + "</p>"
    else:
        out = _markdown_html(text)
        if "<img" in out:
            out = _guard_images(out, media)

    def bundled_only(element: str, attribute: str, value: str) -> str | None:
        return value if element != "img" or attribute != "src" or value in media.files else None

    def clean(fragment: str) -> str:
        return nh3.clean(fragment, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https"},
                         link_rel="noopener noreferrer", attribute_filter=bundled_only)

    out = clean(out)
    # MathJax reads the field as the browser decoded it, so the commands go after nh3 (which
    # turns entities into characters); cutting one out may split a tag, hence clean again
    defanged = defang_tex(out)
    if defanged != out:
        out = clean(defanged)
    # Anki reads {{…}} as template syntax in some places; entities show the same characters
    return out.replace("{{", "&#123;&#123;").replace("}}", "&#125;&#125;")


def _markdown_html(text: str) -> str:
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
    _MD.reset()
    out = _MD.convert(text)
    return _RESTORE.sub(lambda m: maths[int(m.group(1))], out)
