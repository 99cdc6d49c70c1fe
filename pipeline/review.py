"""build/review/index.html: every source as the build saw it, each line coloured by what
became of it, with the cards made from it beside it, so that a user finds a wrong card or
lost text and copies the `source/edits.yaml` entry that fixes it.

The page is static and self-contained (no network, no server): Jinja2 escapes every text
that comes from a source (autoescape), card fields are the deck's sanitized HTML
(`render.to_html`), and a Content-Security-Policy lets only the page's own script run.
When the sources' sections would make the index large, each source gets a page of its own
beside it and the index keeps the counts, the list of sources and where each card is.

Line fates come from what the build already recorded: the drops of cleaning and extraction
(`CleanDocument.drops`, `Extraction.drops`), the topic lines, and the cards' source spans."""
from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from bisect import bisect_left
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path

from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined
from jinja2.bccache import Bucket
from markupsafe import Markup

from .cache import Fragments
from .edits import EditNote, new_card_stub, stub
from .model import Card, SourceResult
from .output import card_record
from .render import Media, to_html
from .report import REVIEW_PAGE, UNCLAIMED_RULES, SourceAccount
from .stamps import CACHE
from .text import is_blank
from .yamlio import write_atomic

INDEX = REVIEW_PAGE  # as report.md links it and the build's Outputs record knows it
TEMPLATES = Path(__file__).parent / "templates"
# past this many bytes of source sections, each source gets its own page (the index of a
# 13,000-card corpus would otherwise be tens of megabytes)
INLINE_BYTES = 1_000_000
STATUSES = ("ok", "needs_answer", "needs_review", "dropped")


class Fate(Enum):
    """What became of a source line; the value is its CSS class."""

    QUESTION = "question"
    ANSWER = "answer"
    TOPIC = "topic"
    RULE = "rule"  # dropped by a named cleaning rule (page chrome, adverts, …)
    UNCLAIMED = "unclaimed"  # dropped with no rule claiming it: text outside every card
    BLANK = "blank"
    KEPT = "kept"  # non-blank and in nothing: the report lists such lines as unaccounted


@dataclass
class Row:
    number: int
    text: str
    fate: str
    rule: str = ""
    card: str = ""  # the id of the first card that holds the line
    anchor: bool = True  # the first row of its number (an HTML line may hold several blocks)


@dataclass
class Place:
    """A span of a card, with the link to its lines."""

    file: str
    first: int
    last: int


@dataclass
class CardView:
    id: str
    type: str
    status: str
    topic: str
    question: str  # Markdown; rendered when the page is written
    answer: str
    choices: list[tuple[str, str]]
    correct: list[str]
    blanks: list[str]
    aliases: list[str]
    places: list[Place]
    edits: list[tuple[str, str]]  # (what, detail) of the edits.yaml entries that touched the card
    notes: list[str]
    record: dict  # as in cards.yaml; its edits.yaml entry is made when the page is written
    first: int  # its first line in this source, for the order beside the lines
    home: bool  # False where the card is shown again beside a second source it was merged from


@dataclass
class RunView:
    """Consecutive lines no rule claimed and no card took, with the edit that makes a card of them."""

    first: int
    last: int
    rule: str
    chars: int
    lines: list[str]  # their texts
    topic: str  # for the card they could make: the topic of the card after them (else before)


@dataclass
class SourceView:
    key: str  # anchor prefix and page name
    name: str
    kind: str
    rows: list[Row]
    items: list[CardView | RunView]  # in line order
    counts: dict[str, int]
    page: str = ""  # set when the source has a page of its own
    digest: str = ""  # of all the above but `page`: with `page`, it names the source's section in the cache


@dataclass
class Review:
    sources: list[SourceView]
    counts: dict[str, int]
    digest: str = ""  # of the content and the templates: the page is rewritten when it changes


def _key(name: str) -> str:
    return "s" + hashlib.blake2b(name.encode("utf-8"), digest_size=5).hexdigest()


def _question_lines(card: Card, first: int, last: int, nonblank: list[int]) -> set[int]:
    """The lines of a span that hold the question: the span's first line and, for a question
    of several lines (a stem with premises), as many non-blank lines after it."""
    size = max(1, len([t for t in card.question.splitlines() if t.strip()]))
    start = bisect_left(nonblank, first)
    return {n for n in nonblank[start:start + size] if n <= last} | {first}


def _rows(result: SourceResult, spans: list[tuple[int, int, Card]]) -> list[Row]:
    doc, extraction = result.doc, result.extraction
    dropped = {d.line: d.rule for d in doc.drops}
    dropped.update({d.line: d.rule for d in extraction.drops})
    texts = [(ln.number, ln.text) for ln in doc.lines]
    kept = {n for n, _ in texts}
    texts += [(d.line, d.text) for d in doc.drops if d.line not in kept]
    texts.sort(key=lambda nt: nt[0])
    nonblank = sorted(doc.nonblank_lines)
    question: dict[int, str] = {}
    answer: dict[int, str] = {}
    for first, last, card in spans:
        for n in _question_lines(card, first, last, nonblank):
            question.setdefault(n, card.id)
        for n in range(first, last + 1):
            answer.setdefault(n, card.id)
    topics = set(extraction.topic_lines)
    rows: list[Row] = []
    for number, text in texts:
        rule = dropped.get(number, "")
        if is_blank(text) and not rule:
            fate = Fate.BLANK
        elif rule and not (rule in UNCLAIMED_RULES and number in answer):
            fate = Fate.UNCLAIMED if rule in UNCLAIMED_RULES else Fate.RULE
        elif number in topics:
            fate = Fate.TOPIC
        elif number in question:
            fate = Fate.QUESTION
        elif number in answer:
            fate = Fate.ANSWER
        else:
            fate = Fate.KEPT
        rows.append(Row(number, text, fate.value, rule if fate in (Fate.RULE, Fate.UNCLAIMED) else "",
                        answer.get(number, ""), not rows or rows[-1].number != number))
    return rows


def collect(results: list[SourceResult], cards: list[Card], accounts: list[SourceAccount],
            edit_notes: list[EditNote], records: list[dict] | None = None) -> Review:
    """The page's content, before any HTML: per source its lines with their fates, its cards
    and its runs of text outside every card (from `accounts`, as report.md lists them).
    `cards` are the build's final cards (ids assigned, edits applied, placed); `records`
    their records in cards.yaml, when the caller has them (else they are made here)."""
    noted: dict[str, list[tuple[str, str]]] = {}
    for note in edit_notes:
        noted.setdefault(note.card_id, []).append((note.what, note.detail))
    keys = {r.doc.name: _key(r.doc.name) for r in results}
    by_file: dict[str, list[tuple[int, int, Card]]] = {}
    for card in cards:
        for span in card.sources:
            by_file.setdefault(span.file, []).append((span.first, span.last, card))
    views: dict[str, CardView] = {}
    for card, record in zip(cards, records or map(card_record, cards), strict=True):
        views[card.id] = CardView(
            card.id, card.type, card.status, card.topic, card.question, card.answer,
            [(c.label, c.text) for c in card.choices], list(card.correct), list(card.blanks), list(card.aliases),
            [Place(s.file, s.first, s.last) for s in card.sources], noted.get(card.id, []), list(card.notes),
            record, 0, True)
    sources = []
    for result, acc in zip(results, accounts, strict=True):
        name = result.doc.name
        spans = by_file.get(name, [])
        items: list[CardView | RunView] = []
        seen: set[str] = set()
        for first, _, card in sorted(spans, key=lambda s: s[0]):
            if card.id in seen:
                continue
            seen.add(card.id)
            view = views[card.id]
            home = card.sources[0].file == name
            items.append(replace(view, first=first, home=home))
        topic_near = _topic_near(spans)
        texts = [(ln.number, ln.text) for ln in result.doc.lines if not is_blank(ln.text)]
        numbers = [n for n, _ in texts]
        for run in acc.unclaimed:
            inside = texts[bisect_left(numbers, run.first):bisect_left(numbers, run.last + 1)]
            items.append(RunView(run.first, run.last, run.rule, run.chars, [t for _, t in inside],
                                 topic_near(run.last) or Path(name).stem))
        items.sort(key=lambda i: (i.first, isinstance(i, CardView)))
        home = [i for i in items if isinstance(i, CardView) and i.home]
        counts = Counter(i.status for i in home)
        counts["cards"] = len(home)
        rows = _rows(result, spans)
        counts.update(f"fate_{r.fate}" for r in rows)
        view = SourceView(keys[name], name, result.doc.kind, rows, items, dict(counts))
        view.digest = Fragments.key(view)
        sources.append(view)
    status = Counter(c.status for c in cards)
    runs = [r for a in accounts for r in a.unclaimed]
    counts = {"cards": len(cards), **{s: status[s] for s in STATUSES},
              "dropped_lines": sum(a.dropped_lines for a in accounts),
              "runs": len(runs), "run_chars": sum(r.chars for r in runs), "sources": len(results)}
    return Review(sources, counts, Fragments.key(([s.digest for s in sources], counts, _template_text())))


def _topic_near(spans: list[tuple[int, int, Card]]) -> Callable[[int], str]:
    """For a line, the topic of the first card that starts below it (text under a topic,
    before its first question, belongs to that question's topic), else of the last card."""
    ordered = sorted((first, card.topic) for first, _, card in spans)
    starts = [first for first, _ in ordered]

    def topic_near(line: int) -> str:
        k = bisect_left(starts, line + 1)
        return ordered[k][1] if k < len(ordered) else ordered[-1][1] if ordered else ""
    return topic_near


def _template_text() -> str:
    return "".join(p.read_text(encoding="utf-8") for p in sorted(TEMPLATES.glob("review*")))


class _CompiledTemplates(FileSystemBytecodeCache):
    """The templates as an earlier build compiled them (jinja2's own cache, which checks
    them against the templates' text; compiling them takes 20 ms a build): a file that
    does not load is compiled again, not trusted."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # noqa: BLE001 - whatever a damaged file raises, it only means no cache
            bucket.reset()


def _environment(compiled: Path | None = None) -> Environment:
    """The templates' environment; `compiled`: a folder where compiled templates are kept."""
    cache = None
    if compiled is not None:
        compiled.mkdir(parents=True, exist_ok=True)
        cache = _CompiledTemplates(str(compiled))
    # autoescape on everything: source text reaches the page only as escaped text
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, bytecode_cache=cache)
    media = Media(None)  # the page bundles nothing: local images show as the deck's note

    def card_html(text: str) -> Markup:
        return Markup(to_html(text, media))  # nh3-sanitized by the deck's renderer
    env.filters["card_html"] = card_html
    return env


def _size(src: SourceView) -> int:
    """Roughly the characters of a source's section (markup included), to decide before
    rendering whether the sources fit in the index."""
    cards = sum(3 * (len(c.question) + len(c.answer)) + 800 for c in src.items if isinstance(c, CardView))
    return sum(len(r.text) + 80 for r in src.rows) + cards + 400 * len(src.items)


def write(review: Review, build_dir: Path, fragments: Fragments | None = None) -> Path:
    """Write build/review/index.html, with the sources in it or, when their sections would
    make it larger than INLINE_BYTES, on one page each beside it (pages of earlier builds
    that no source has now are removed). A source's section that `fragments` holds as it
    is is not rendered again. Returns the index's path. Raises PipelineError (from
    write_atomic) when the build folder does not take a file."""
    env = _environment(build_dir / CACHE / "templates")
    keys = {s.name: s.key for s in review.sources}
    split = sum(_size(s) for s in review.sources) > INLINE_BYTES
    for s in review.sources:
        s.page = f"{s.key}.html" if split else ""
    pages = {s.name: s.page for s in review.sources}

    def link(file: str, target: int | str, current: str) -> str:
        """The address of line `target` (0: the source's heading) or card `target` of `file`."""
        anchor = target if isinstance(target, str) else f"{keys[file]}-{target}" if target else keys[file]
        return (pages[file] if file != current else "") + "#" + anchor

    def run_entry(src: SourceView, run: RunView) -> str:
        return new_card_stub(src.name, run.first, run.last, run.lines, run.topic)

    shared = {"nonce": review.digest[:24], "statuses": STATUSES, "link": link, "review": review,
              "card_entry": lambda c: stub(c.record), "run_entry": run_entry, "split": split}
    section = env.get_template("review_source.html.j2")
    page = env.get_template("review_page.html.j2")

    def body(src: SourceView) -> Markup:
        """The source's section: it shows the source alone (its `page` says whether the
        sources are split, which its links follow)."""
        key = Fragments.key((src.digest, src.page))
        kept = fragments.get(key) if fragments is not None else None
        if kept is not None:
            return Markup(kept[0])
        text = section.render(src=src, **shared)
        if fragments is not None:
            fragments.put(key, text)
        return Markup(text)
    folder = (build_dir / INDEX).parent
    where = {c.id: s.page for s in review.sources for c in s.items if isinstance(c, CardView) and c.home}
    for s in review.sources if split else []:
        echoes = {c.id: where[c.id] for c in s.items if isinstance(c, CardView) and not c.home}
        write_atomic(folder / s.page, page.render(sections=[body(s)], single=s, where=echoes, **shared))
    bodies = [] if split else [body(s) for s in review.sources]
    index = folder / "index.html"
    write_atomic(index, page.render(sections=bodies, single=None, where=where if split else {}, **shared))
    for old in folder.glob("s*.html"):
        if old.name not in pages.values():
            old.unlink()
    return index
