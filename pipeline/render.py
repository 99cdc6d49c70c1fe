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

from .cache import KeptFile, code_version
from .inert import defang_tex, too_deep
from .markup import MATH_TOKENS, MathKind, images, parse, parser
from .stamps import stamp

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
        kind, value, target = self.locate(src)
        if target is not None:
            self.files[value] = target
        else:
            (self.remote if kind is ImageKind.REMOTE else self.missing).append(src)
        return kind, value

    def locate(self, src: str) -> tuple[ImageKind, str, Path | None]:
        """resolve's answer, with the file bundled (else None), recording nothing."""
        if src.startswith(("http://", "https://")):
            return ImageKind.REMOTE, src, None
        target = self.local(src)
        if target is None:
            return ImageKind.MISSING, src, None
        base = self.source_dir.resolve()
        digest = hashlib.blake2b(str(target.relative_to(base)).encode("utf-8"), digest_size=4).hexdigest()
        return ImageKind.BUNDLED, f"{digest}_{target.name}", target

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


FIELD_CACHE = "deck-fields.pkl"  # in build/cache/ (not *.pickle: the sources' cache prunes those)
_Images = tuple[tuple[str, str, str, list], ...]  # (src, ImageKind value, name or src, stamp of the file bundled)


class FieldCache:
    """Fields rendered by earlier builds, kept in the build folder: field text -> its HTML
    and the images it shows (how each resolved, with the stamp of the file it bundles),
    for one code version and source folder. A build renders again only the fields that
    are new, or whose images changed (added, removed, replaced). An unreadable file is no
    cache: `warning` says so, and every field is rendered again."""

    def __init__(self, path: Path):
        self.file = KeptFile(path, "deck fields", _field)

    @property
    def warning(self) -> str:
        return self.file.warning

    @staticmethod
    def _version(media: Media) -> tuple[str, str]:
        return code_version(), str(media.source_dir.resolve()) if media.source_dir is not None else ""

    def fill(self, texts: list[str], media: Media) -> None:
        """Put into `media.rendered` the kept HTML of those of `texts` whose images are as
        they were, recording their images in `media` as rendering them would."""
        entries = self.file.load(self._version(media))
        kept = {t: entries[t] for t in texts if t in entries and t not in media.rendered}
        media.rendered.update({text: out for text, (out, shown) in kept.items() if self._as_they_were(shown, media)})

    @staticmethod
    def _as_they_were(images: _Images, media: Media) -> bool:
        for src, kind, value, was in images:
            now = media.resolve(src)
            if now != (ImageKind(kind), value) or (was and stamp(str(media.files[value])) != was):
                return False
        return True

    def save(self, media: Media) -> None:
        """Keep every field of `media.rendered` for the next build. Raises PipelineError
        (from write_atomic) when the build folder does not take the file."""
        self.file.save(self._version(media), {text: (out, _images_of(text, media)) for text, out in media.rendered.items()})


def _field(entry: object) -> bool:
    """An entry of the field cache: (HTML, images as `_images_of` gives them)."""
    return (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], str) and isinstance(entry[1], tuple)
            and all(isinstance(image, tuple) and len(image) == 4 and isinstance(image[0], str)
                    and image[1] in _KINDS and isinstance(image[3], list) for image in entry[1]))


_KINDS = {kind.value for kind in ImageKind}


def _images_of(text: str, media: Media) -> _Images:
    """The images `to_html` resolved when it rendered `text` (none when it showed the text
    as escaped text), how each resolves and the stamp of the file it bundles."""
    if "![" not in text or too_deep(text) or markdown_would_stall(text):
        return ()
    located = [(src, *media.locate(src)) for src in images(text)]
    return tuple((src, kind.value, value, stamp(str(target)) if target else []) for src, kind, value, target in located)


_BACKTICKS = re.compile(r"`+")
# beyond these a field is shown as plain text: see markdown_would_stall
MAX_LINK_SCAN = 1_000_000  # characters
MAX_LINKS = 1_000  # each one copies the rest of the text once more
MAX_BACKTICKS, MAX_BACKTICK_RUN = 2_000, 64


def image_digests(texts: list[str], source_dir: Path | None) -> dict[str, str]:
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
            media.rendered.update((text, _finished(_parsed(text, media), media)) for text in todo)
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
        return [_finished(_parsed(text, media), media) for text in texts], media


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
    simple = _simple_html(text)
    return _finished(simple if simple is not None else _parsed(text, media), media)


def _parsed(text: str, media: Media) -> str:
    """The field through markdown-it's renderer and nh3, or as escaped text when it is
    nested too deep for the renderer or would stall the parser."""
    if too_deep(text) or markdown_would_stall(text):
        return _clean("<p>" + html.escape(text).replace("\n", "<br>") + "</p>", media)
    return _clean(_RENDERER.render(list(parse(text)), parser().options, {"media": media}).strip(), media)


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


# one character that CommonMark reads as no markup anywhere (`\`, code, emphasis, links,
# HTML, entities, math, strikethrough, table pipes) and no brace (`{{` is escaped for Anki)
_PLAIN = r"[^\x00-\x1f\x7f\\`*_\[\]<>&~$|!{}]"
# nothing at the start of a line that opens a block (headings, list markers, quotes, indentation)
_LINE_START = r"(?![#>+=-]|\d+[.)]|\s)"
# one line of such characters: most questions of a deck
_PLAIN_LINE = re.compile(f"{_LINE_START}{_PLAIN}++(?<!\\s)")  # possessive: a line that is not fails at once
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
        if not lines or not all(map(_SIMPLE_LINE.fullmatch, lines.split("\n"))):
            return None
        # text and formulas alternate: no `$` in either, and every line opens with text; the
        # text holds no `&`, `<` or `>`, so escaping the paragraph escapes the formulas
        parts = html.escape(lines, quote=False).split("$")
        if any(parts[k - 1][-1].isdigit() or parts[k + 1][:1].isdigit() for k in range(1, len(parts), 2)):
            return None
        parts[1::2] = [f"\\({formula}\\)" for formula in parts[1::2]]
        paragraphs.append("<p>" + "".join(parts).replace("\n", _BREAK) + "</p>")
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
