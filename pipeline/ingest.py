"""Bytes to numbered lines: encoding detection, line endings, HTML pages to block text."""
from __future__ import annotations

import codecs
import errno
import os
import re
import stat
from pathlib import Path

from .model import Document, PipelineError, SourceLine

SOURCE_SUFFIXES = {".txt": "text", ".md": "markdown", ".markdown": "markdown", ".mdx": "markdown",
                   ".html": "html", ".htm": "html"}
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
]
# charset-normalizer names narrower Chinese code pages; GB18030 and Big5-HKSCS decode a superset
_WIDER = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "big5hkscs", "cp950": "big5hkscs"}
MAX_SOURCE_BYTES = 8 * 1024 * 1024  # a scraped page is far smaller; anything larger is not one
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_HTML_START = re.compile(rb"^\s*+(?:<!--.*?-->\s*+)*+<(!doctype\s+html|html[\s>])", re.I | re.S)


class NotASource(PipelineError):
    """A folder entry that names no file at all (a dangling symbolic link, a link loop):
    skipped with a warning, where a bad source stops the build."""


def printable(name: str) -> str:
    """A file name as it can be shown and written to UTF-8 reports: bytes that are not
    UTF-8 (which Python keeps as surrogate escapes) become `\\xNN`."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def check_source(path: Path, shown: str | None = None) -> bool:
    """Whether a source folder entry is a file to read (False for a folder, a pipe …).

    Raises PipelineError (a bad source) for a name that is not UTF-8 and for a symbolic
    link to a file outside the folder (the source folder is all a build may read), and
    NotASource for a dangling link or a link loop."""
    shown = shown or printable(path.name)
    try:
        path.name.encode("utf-8")
    except UnicodeEncodeError:
        raise PipelineError(shown, "the file name is not UTF-8: rename the file") from None
    try:
        info = path.stat()
    except OSError as exc:
        if not path.is_symlink():
            raise PipelineError(shown, f"cannot read: {exc.strerror}") from None
        what = "a symbolic link loop" if exc.errno == errno.ELOOP else "a dangling symbolic link"
        raise NotASource(shown, f"{what}, not read") from None
    if not stat.S_ISREG(info.st_mode):
        return False
    if path.parent.resolve() not in path.resolve().parents:
        raise PipelineError(shown, "a symbolic link to a file outside the source folder: "
                                   "copy the file into the folder instead")
    return True


def decode(data: bytes, path: str) -> tuple[str, str]:
    """Return (text, encoding name) or raise PipelineError naming the file."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(name), name
            except UnicodeDecodeError as exc:
                raise PipelineError(path, f"starts with a {name} byte-order mark but does not decode as {name}: {exc.reason}") from None
    if b"\x00" in data[:8192]:
        raise PipelineError(path, "binary file (NUL bytes and no UTF-16 byte-order mark); not a text document")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # here: a build whose sources are all cached never needs it

    best = from_bytes(data).best()
    if best is None:
        raise PipelineError(path, "cannot detect the text encoding (not UTF-8, GB18030, Big5 or UTF-16)")
    name = _WIDER.get(best.encoding, best.encoding)
    try:
        text = data.decode(name)
    except UnicodeDecodeError as exc:
        raise PipelineError(path, f"detected as {name} but does not decode: {exc.reason}") from None
    if _control_ratio(text) > 0.01:
        raise PipelineError(path, f"binary file (decodes as {name} only to control characters)")
    return text, name


def _control_ratio(text: str) -> float:
    if not text:
        return 0.0
    bad = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    return bad / len(text)


def split_lines(text: str) -> list[str]:
    """Split on every kind of line end (\\r\\n, \\r, \\n) and nothing else, so numbers match editors."""
    parts = _LINE_BREAK.split(text)
    if parts and parts[-1] == "":
        parts.pop()
    return parts


# lines that only Markdown writes: ATX headings, setext underlines, fences, display-math fences,
# blockquotes, table rows, links and link definitions, bold lines, MkDocs admonitions ("??? question")
_MARKDOWN_LINE = re.compile(r"^ {0,3}(?:#{1,6}\s+\S|```|~~~|\$\$\s*$|\|.*\|\s*$|>|(?:!!!|\?\?\?\+?)[ \t]+[\w\"]"
                            r"|\[[^\]\n]++\]:[ \t]*+<?https?://)|\]\([^)\s\[]++\)"
                            r"|^ {0,3}\*\*[^*\n]+\*\*\s*$|(?<=\S\n)(?:={3,}|-{3,})[ \t]*$", re.M)
_MIN_MARKDOWN_LINES = 2


# a line that opens with an HTML tag ("<li>", "</details>", "<p class=…>")
_TAG_LINE = re.compile(r"^\s*+</?[A-Za-z][\w-]{0,20}[\s>/]", re.M)
_MIN_TAG_LINES = 10


def document_kind(path: Path, data: bytes, text: str) -> str:
    """Which front end reads a source: "html", "markdown" or "text" (a flat copy of page text).

    Decided by content as well as by name: HTML saved under any name is read as HTML, and so is
    a file most of whose lines (and ten at least) open with a tag (a Markdown page written in
    raw HTML: `<li>…<details><summary>Answer</summary>…`); a `.txt` holding Markdown (headings,
    fences, `$$`, tables, links) as Markdown, and a `.md` with none of these as flat text."""
    kind = SOURCE_SUFFIXES.get(path.suffix.lower(), "text")
    if kind != "html" and _HTML_START.match(data[:2048]):
        return "html"
    if kind != "html" and (tagged := len(_TAG_LINE.findall(text))) >= _MIN_TAG_LINES:
        if 2 * tagged > sum(1 for line in text.split("\n") if line.strip()):
            return "html"
    if kind == "html":
        return kind
    markdown = sum(1 for _ in zip(range(_MIN_MARKDOWN_LINES), _MARKDOWN_LINE.finditer(text), strict=False))
    return "markdown" if markdown >= _MIN_MARKDOWN_LINES else "text"


def ingest(path: Path, name: str | None = None) -> Document:
    """Read one source file into a Document whose lines keep their original numbers."""
    shown = name or printable(path.name)
    if not check_source(path, shown):
        raise PipelineError(shown, "not a regular file")
    try:
        size = path.stat().st_size
        if size > MAX_SOURCE_BYTES:
            raise PipelineError(shown, f"too large for one scraped document ({size / 2**20:.0f} MB, "
                                       f"the limit is {MAX_SOURCE_BYTES // 2**20} MB): split it into pages")
        data = path.read_bytes()
    except OSError as exc:
        raise PipelineError(shown, f"cannot read: {exc.strerror}") from None
    text, encoding = decode(data, shown)
    raw = split_lines(text)
    kind = document_kind(path, data, text)
    if kind == "html":
        from .htmltext import html_to_lines  # here: bs4 takes 60 ms to import, and a build reading no HTML needs none

        lines, markup_drops = html_to_lines(text, raw, shown)
        return Document(shown, "html", lines, len(raw), encoding, str(path.parent), markup_drops)
    lines = [SourceLine(i, t) for i, t in enumerate(raw, start=1)]
    return Document(shown, kind, lines, len(raw), encoding, str(path.parent))
