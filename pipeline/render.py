"""Card Markdown to safe HTML for Anki: the field's tokens (`markup.parse`, the parse every
output shares) written by markdown-it's HTML renderer, formulas with MathJax delimiters
(`\\(…\\)`, `\\[…\\]`), every literal `<…>` shown as text, the result sanitized with nh3.

Three guards hold at the end: every `<img>` shows a file bundled from the source folder
(remote images become links, others a note), MathJax finds no command that makes a link
or carries CSS, and a field nested too deep for the renderer is shown as escaped text."""
from __future__ import annotations

import gc
import hashlib
import html
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from urllib.parse import unquote

import nh3
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token

from .inert import defang_tex, too_deep
from .markup import MATH_TOKENS, MathKind, images, parse, parser

ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "code", "pre", "ul", "ol", "li", "blockquote", "hr",
                "table", "thead", "tbody", "tr", "th", "td", "a", "img", "h1", "h2", "h3", "h4", "h5", "h6",
                "span", "div", "sup", "sub", "del"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt"}, "span": {"class"}, "div": {"class"},
                      "code": {"class"}, "td": {"align"}, "th": {"align"}}


_CLEAN_OPTIONS = dict(tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https"},
                      link_rel="noopener noreferrer")
_CLEANER = nh3.Cleaner(**_CLEAN_OPTIONS)


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
    rendered: dict[str, str] = field(default_factory=dict)  # field text -> its HTML, from `prerender`

    def resolve(self, src: str) -> tuple[ImageKind, str]:
        """How an image's `src` is shown: (BUNDLED, name in the package), (REMOTE, url) or
        (MISSING, src). Records it for the report."""
        if src.startswith(("http://", "https://")):
            self.remote.append(src)
            return ImageKind.REMOTE, src
        target = self.local(src)
        if target is not None:
            base = self.source_dir.resolve()
            digest = hashlib.blake2b(str(target.relative_to(base)).encode("utf-8"), digest_size=4).hexdigest()
            name = f"{digest}_{target.name}"
            self.files[name] = target
            return ImageKind.BUNDLED, name
        self.missing.append(src)
        return ImageKind.MISSING, src

    def local(self, src: str) -> Path | None:
        """The file inside the source folder an image's `src` names (as written, or with its
        percent-escapes decoded: the parser encodes spaces and CJK), or None."""
        if self.source_dir is None or src.startswith(("http://", "https://")):
            return None
        base = self.source_dir.resolve()
        for candidate in dict.fromkeys((unquote(src), src)):
            try:
                target = (base / candidate).resolve()
            except (OSError, ValueError):  # a NUL or a link loop in the path
                continue
            if base in target.parents and target.is_file():
                return target
        return None


_BACKTICKS = re.compile(r"`+")
# beyond these a field is shown as plain text: see markdown_would_stall
MAX_LINK_SCAN = 1_000_000  # characters
MAX_LINKS = 1_000  # each one copies the rest of the text once more
MAX_BACKTICKS, MAX_BACKTICK_RUN = 2_000, 64


def image_digests(texts: list[str], source_dir: Path) -> dict[str, str]:
    """For each local image the fields in `texts` show (a file inside `source_dir`), the
    digest of its bytes: an image replaced at the same path changes what the deck and the
    sheets must hold."""
    media = Media(source_dir)
    found: dict[str, str] = {}
    for text in texts:
        if "![" not in text:
            continue
        for src in images(text):
            target = media.local(src)
            if target is not None and str(target) not in found:
                found[str(target)] = hashlib.blake2b(target.read_bytes(), digest_size=16).hexdigest()
    return found


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
    """Whether a Markdown parser would take seconds to minutes on `text`. Parsers read from
    every "[" to the bracket that closes it, and from the "(" of every "](" to its ")" (or
    to the end of the text), and try a code span from every run of backticks: on thousands
    of them (a hostile page's `[[[[…`) that is quadratic or worse for Python-Markdown and
    still a second for markdown-it-py; so is a field of thousands of links."""
    if "[" not in text and "]" not in text and "`" not in text:
        return False
    scan = _reach(text, "[", "]", lambda _: True) + _reach(text, "(", ")", lambda p: text[p - 1:p] == "]")
    runs = [len(r) for r in _BACKTICKS.findall(text)]
    return (scan > MAX_LINK_SCAN or text.count("](") > MAX_LINKS
            or sum(runs) > MAX_BACKTICKS or max(runs, default=0) > MAX_BACKTICK_RUN)


def to_inline_html(text: str, media: Media | None = None) -> str:
    """to_html for a short text inside another element: no wrapping paragraph."""
    out = to_html(text, media)
    if out.startswith("<p>") and out.endswith("</p>") and out.count("<p>") == 1:
        return out[3:-4]
    return out


PARALLEL_FIELDS = 2_000  # fewer fields than this are rendered faster than workers start


@contextmanager
def collector_paused():
    """Rendering makes many small acyclic objects (tokens), and each burst of them makes
    Python's cyclic collector walk the whole heap, all the cards of a build with it: a
    quarter of the deck's time, and more in a forked worker that inherits that heap."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def prerender(texts: list[str], media: Media) -> None:
    """Render many fields ahead into `media.rendered`, which `to_html` reads first, and the
    images met into `media`: the fields the parser must read on every core when there are
    many (the parse is pure Python; each worker takes a share, this process one too), the
    others here."""
    todo = []
    with collector_paused():
        for text in dict.fromkeys(texts):
            if text in media.rendered or _PLAIN_LINE.fullmatch(text):
                continue
            simple = _simple_html(text)
            if simple is None:
                todo.append(text)
            else:
                media.rendered[text] = _finished(simple, media)
    cores = min(os.cpu_count() or 1, 8)
    if len(todo) < PARALLEL_FIELDS or cores < 2:
        with collector_paused():
            media.rendered.update((text, to_html(text, media)) for text in todo)
        return
    size = -(-len(todo) // cores)
    shares = [todo[i:i + size] for i in range(0, len(todo), size)]
    with ProcessPoolExecutor(len(shares) - 1, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = [pool.submit(_render_share, share, media.source_dir) for share in shares[1:]]
        results = [_render_share(shares[0], media.source_dir)] + [f.result() for f in futures]
    for share, (htmls, seen) in zip(shares, results, strict=True):
        media.rendered.update(zip(share, htmls, strict=True))
        media.files.update(seen.files)
        media.remote += seen.remote
        media.missing += seen.missing


def _render_share(texts: list[str], source_dir: Path | None) -> tuple[list[str], Media]:
    media = Media(source_dir)
    with collector_paused():
        return [to_html(text, media) for text in texts], media


def to_html(text: str, media: Media | None = None) -> str:
    """Card Markdown to sanitized HTML for an Anki field. Local images inside `media`'s
    source folder are bundled (recorded in `media`); a field nested too deep for Markdown,
    or on which it would stall, is shown as escaped text. Never raises on any text."""
    if media is not None and text in media.rendered:
        return media.rendered[text]
    if _PLAIN_LINE.fullmatch(text):
        # no character Markdown, HTML or MathJax reads: the parse would give one paragraph
        # of this text, which nh3 would leave as it is but for writing no-break spaces out
        return "<p>" + text.replace("\xa0", "&nbsp;") + "</p>"
    media = media if media is not None else Media(None)
    out = _simple_html(text)
    if out is None and (too_deep(text) or markdown_would_stall(text)):
        out = _clean("<p>" + html.escape(text).replace("\n", "<br>") + "</p>", media)
    elif out is None:
        out = _clean(_RENDERER.render(list(parse(text)), parser().options, {"media": media}).strip(), media)
    return _finished(out, media)


def _finished(out: str, media: Media) -> str:
    """A field's clean HTML with what MathJax and Anki would read in it made inert."""
    # MathJax reads the field as the browser decoded it, so the commands go after nh3 (which
    # turns entities into characters); cutting one out may split a tag, hence clean again
    defanged = defang_tex(out)
    if defanged != out:
        out = _clean(defanged, media)
    # Anki reads {{…}} as template syntax in some places; entities show the same characters
    return out.replace("{{", "&#123;&#123;").replace("}}", "&#125;&#125;")


def _clean(fragment: str, media: Media) -> str:
    """HTML made safe by nh3; an image stays only when `media` bundles it."""
    if "<img" not in fragment:  # the filter only looks at images: the prebuilt cleaner is 3x faster
        return _CLEANER.clean(fragment)

    def bundled_only(element: str, attribute: str, value: str) -> str | None:
        return value if element != "img" or attribute != "src" or value in media.files else None
    return nh3.clean(fragment, attribute_filter=bundled_only, **_CLEAN_OPTIONS)


# one character that CommonMark reads as no markup anywhere (`\\`, code, emphasis, links,
# HTML, entities, math, strikethrough, table pipes) and no brace (`{{` is escaped for Anki)
_PLAIN = r"[^\x00-\x1f\x7f\\`*_\[\]<>&~$|!{}]"
# nothing at the start of a line that opens a block (headings, list markers, quotes, indentation)
_LINE_START = r"(?![#>+=-]|\d+[.)]|\s)"
# one line of such characters: most questions of a deck
_PLAIN_LINE = re.compile(f"{_LINE_START}{_PLAIN}+(?<!\\s)")
# `$…$` as dollarmath reads it whatever surrounds it (the digits beside it are checked in
# `_simple_html`): no space inside its ends, no backslash before its closing `$`, no `$`
# or line break within
_FORMULA = r"\$(?:[!-#%-~][^\x00-\x1f\x7f$]*)?[!-#%-\[\]-~]\$"
# a line of plain text and formulas, opening with text: a one-line answer with a formula
_SIMPLE_LINE = re.compile(f"{_LINE_START}{_PLAIN}+(?:{_FORMULA}{_PLAIN}+)*(?:{_FORMULA})?(?<!\\s)")
_BREAK = "<br>\n"  # a line break as nh3 writes markdown-it's


def _simple_html(text: str) -> str | None:
    """The HTML markdown-it writes for `text`, as nh3 writes it back, when `text` is
    paragraphs of _SIMPLE_LINE lines apart by blank lines, with no digit beside a formula's
    dollars (where dollarmath reads money); else None. The parse is known (text, and
    formulas that are whole) and so is what nh3 makes of it (entities for `<`, `>`, `&`
    and no-break spaces, quotes as they are): tests/test_three_renderings.py compares
    the two on every field of the corpora and on generated text."""
    if "$" not in text and "\n" not in text:  # then it is a _PLAIN_LINE, or not simple
        return None
    paragraphs = []
    for paragraph in text.split("\n\n"):
        lines = paragraph.strip("\n")
        if not lines or not all(_SIMPLE_LINE.fullmatch(line) for line in lines.split("\n")):
            return None
        # text and formulas alternate: no `$` in either, and every line opens with text
        parts = lines.split("$")
        if any(parts[k - 1][-1].isdigit() or parts[k + 1][:1].isdigit() for k in range(1, len(parts), 2)):
            return None
        paragraphs.append("<p>" + "".join(f"\\({html.escape(part, quote=False)}\\)" if k % 2 else
                                          part.replace("\n", _BREAK) for k, part in enumerate(parts))
                          + "</p>")
    return "\n".join(paragraphs).replace("\xa0", "&nbsp;")


def _math(tokens: list[Token], idx: int, _options, _env) -> str:
    token = tokens[idx]
    body = html.escape(token.content.strip(), quote=False)
    if MATH_TOKENS[token.type] is MathKind.DISPLAY:
        return f'<div class="math">\\[{body}\\]</div>\n'
    return f"\\({body}\\)"


def _image(tokens: list[Token], idx: int, _options, env) -> str:
    """An image as the deck may show it: a bundled file, a link, or a note."""
    token = tokens[idx]
    media: Media = env["media"]
    alt = html.escape(token.content)
    kind, value = media.resolve(str(token.attrs.get("src", "")))
    if kind is ImageKind.BUNDLED:
        return f'<img src="{html.escape(value)}" alt="{alt}">'
    if kind is ImageKind.REMOTE:
        return f'<a href="{html.escape(value)}">🖼 {alt or "图片"}</a>'
    return f"（图片缺失：{alt or html.escape(Path(unquote(value)).name)}）"


def _renderer() -> RendererHTML:
    renderer = RendererHTML()
    for kind in MATH_TOKENS:
        renderer.rules[kind] = _math
    renderer.rules["image"] = _image
    return renderer


_RENDERER = _renderer()
