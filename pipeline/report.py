"""build/report.md: per source, the lines read and where each went; merges; cards that
need a hand; what changed since the previous build."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .dedup import Merge
from .markup import suspect_math
from .model import Card, CleanDocument, Extraction, shorten
from .render import Media


REVIEW_PAGE = "review/index.html"  # beside report.md; pipeline/review.py writes it
# drops that no cleaning rule claimed: text that extraction found outside every card
UNCLAIMED_RULES = frozenset({"preamble", "section_text", "no_questions"})


@dataclass(frozen=True)
class DroppedRun:
    """Consecutive non-blank source lines dropped as text outside every card."""

    file: str
    first: int
    last: int
    rule: str
    chars: int  # characters of text dropped, spaces excluded
    opening: str  # the first characters of the run


@dataclass
class SourceAccount:
    name: str
    kind: str  # the front end that read it: html, markdown or text
    encoding: str
    raw_lines: int
    nonblank: int
    in_cards: int
    topics: int
    dropped_lines: int
    dropped: Counter
    rewrites: dict[str, int]
    layouts: dict[str, int]
    unaccounted: list[int]
    warnings: list[str]
    unclaimed: list[DroppedRun] = field(default_factory=list)


@dataclass
class Diff:
    added: list[tuple[str, str]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)
    changed: list[tuple[str, str, list[str]]] = field(default_factory=list)


def spans_by_file(cards: list[Card]) -> dict[str, list[tuple[int, int]]]:
    spans: dict[str, list[tuple[int, int]]] = {}
    for card in cards:
        for span in card.sources:
            spans.setdefault(span.file, []).append((span.first, span.last))
    return spans


def account(doc: CleanDocument, extraction: Extraction, spans: dict[str, list[tuple[int, int]]]) -> SourceAccount:
    """Where every non-blank line of a source went: a card, a topic line, or a named drop.
    Text outside every card that a card made by an edit (`new` in edits.yaml) took is in that card."""
    card_lines: set[int] = set()
    for first, last in spans.get(doc.name, []):
        card_lines.update(range(first, last + 1))
    drops = [*doc.drops, *(d for d in extraction.drops if not (d.rule in UNCLAIMED_RULES and d.line in card_lines))]
    dropped_lines = {d.line for d in drops}
    topic_lines = set(extraction.topic_lines)
    nonblank = doc.nonblank_lines
    in_cards = nonblank & card_lines - dropped_lines - topic_lines
    # a line is counted once per rule, even when it held several HTML blocks
    rules = Counter(rule for rule, _ in {(d.rule, d.line) for d in drops})
    unaccounted = sorted(nonblank - dropped_lines - topic_lines - card_lines)
    return SourceAccount(doc.name, doc.kind, doc.encoding, doc.raw_line_count, len(nonblank), len(in_cards),
                         len(topic_lines & nonblank - dropped_lines), len(dropped_lines & nonblank), rules,
                         doc.rewrites, extraction.layouts, unaccounted, doc.warnings,
                         unclaimed_runs(doc, extraction, card_lines))


def unclaimed_runs(doc: CleanDocument, extraction: Extraction, in_cards: set[int] | None = None) -> list[DroppedRun]:
    """Runs of consecutive non-blank lines that extraction dropped as text outside every card
    (`UNCLAIMED_RULES`) and no card took since (`in_cards`: lines of the cards' spans), so
    that a user sees answer text that went nowhere."""
    unclaimed = {d.line: d for d in extraction.drops if d.rule in UNCLAIMED_RULES and d.line not in (in_cards or ())}
    runs: list[list] = []
    previous = None
    for line in sorted(doc.nonblank_lines):
        drop = unclaimed.get(line)
        if drop is None:
            previous = None
            continue
        if previous is not None and previous.rule == drop.rule:
            runs[-1].append(drop)
        else:
            runs.append([drop])
        previous = drop
    return [DroppedRun(doc.name, run[0].line, run[-1].line, run[0].rule,
                       sum(len("".join(d.text.split())) for d in run), _short(run[0].text))
            for run in runs]


_CELL_BREAKERS = re.compile(r"[|\x00-\x1f\x7f\x85\u2028\u2029]")


def cell(text: object) -> str:
    """Text for one Markdown table cell or list line: `|` and line breaks (a file may be
    named with either) would end the cell or the row, so they are escaped."""
    return _CELL_BREAKERS.sub(lambda m: "\\|" if m.group() == "|" else m.group().encode("unicode_escape").decode(),
                              str(text))


def _row(cells: list[object]) -> str:
    return "| " + " | ".join(cell(c) for c in cells) + " |"


def _short(text: str) -> str:
    return shorten(text, 60)


def suspect_spans(cards: list[Card], docs: dict[str, CleanDocument]) -> list[str]:
    """`file:line: TeX` for each span of TeX that an `ok` card shows as text (not plainly a
    formula, see `markup`), the line found among the card's source lines."""
    out: list[str] = []
    for card in cards:
        if card.status != "ok":
            continue
        for text in (card.question, card.answer, *(c.text for c in card.choices)):
            for span in suspect_math(text):
                out.append(f"{_place(card, docs, span)}: {span}")
    return list(dict.fromkeys(out))


def _place(card: Card, docs: dict[str, CleanDocument], span: str) -> str:
    """Where `span` of a card stands in its sources (`file:line`): the first of the card's
    lines that holds its opening, else where the card begins."""
    opening = span[:12]
    for source in card.sources:
        doc = docs.get(source.file)
        for line in doc.lines if doc is not None else []:
            if source.first <= line.number <= source.last and opening in line.text:
                return f"{source.file}:{line.number}"
    first = card.sources[0] if card.sources else None
    return f"{first.file}:{first.first}" if first else card.id


def render(accounts: list[SourceAccount], cards: list[Card], merges: list[Merge], gone: list[tuple[str, str]],
           diff: Diff | None, errors: list[str], generated: str, media: Media | None = None,
           formulas: list[str] | None = None, edit_notes: list | None = None,
           build_warnings: list[str] | None = None, suspects: list[str] | None = None) -> str:
    status = Counter(c.status for c in cards)
    runs = [r for a in accounts for r in a.unclaimed]
    out = [f"# Build report\n\n{generated} · {len(accounts)} sources · {len(cards)} cards "
           f"({status['ok']} ok, {status['needs_answer']} need an answer, {status['needs_review']} need review, "
           f"{status['dropped']} dropped) · {len(merges)} merges · "
           f"{sum(r.chars for r in runs)} characters of text outside every card ({len(runs)} runs)\n",
           f"Every source with its cards, line by line: [{REVIEW_PAGE}]({REVIEW_PAGE}) (filters, search, edits to copy).\n"]
    if errors:
        out.append("## Skipped sources\n")
        out += [f"- {cell(e)}" for e in errors]
        out.append("")
    out.append("## Sources\n")
    out.append("| source | read as | encoding | lines | non-blank | in cards | topic lines | dropped | unaccounted | layout "
               "| cards (ok/all) |")
    out.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    per_source: dict[str, list[Card]] = {}
    for card in cards:
        for name in dict.fromkeys(s.file for s in card.sources):
            per_source.setdefault(name, []).append(card)
    for a in accounts:
        own = per_source.get(a.name, [])
        layout = ", ".join(f"{k} {v}" for k, v in sorted(a.layouts.items(), key=lambda kv: -kv[1])) or "none"
        out.append(_row([a.name, a.kind, a.encoding, a.raw_lines, a.nonblank, a.in_cards, a.topics, a.dropped_lines,
                         len(a.unaccounted), layout, f"{sum(c.status == 'ok' for c in own)}/{len(own)}"]))
    out.append("")
    out.append("## Lines dropped, by rule\n")
    rules = sorted({r for a in accounts for r in a.dropped})
    if rules:
        out.append(_row(["source", *rules]))
        out.append("| --- |" + " --- |" * len(rules))
        for a in accounts:
            out.append(_row([a.name, *(a.dropped.get(r, 0) for r in rules)]))
        out.append(_row(["**all**", *(sum(a.dropped.get(r, 0) for a in accounts) for r in rules)]))
    out.append("")
    rewrites = Counter()
    for a in accounts:
        rewrites.update(a.rewrites)
    if rewrites:
        out.append("Lines repaired in place: " + ", ".join(f"{k} {v}" for k, v in sorted(rewrites.items())) + "\n")
    if runs:
        out.append("## Text outside every card\n")
        out.append("Lines that no cleaning rule claimed and no card took (`preamble`: before the first question, "
                   "`section_text`: under a topic, before its first question, `no_questions`: a document with "
                   "no Q&A). Read them for answers that went nowhere.\n")
        out += [f"- {cell(r.file)}:{r.first}" + (f"–{r.last}" if r.last != r.first else "")
                + f" ({r.rule}, {r.chars} characters): “{cell(r.opening)}”" for r in runs]
        out.append("")
    types = Counter(c.type for c in cards)
    out.append("## Cards\n")
    out.append("By type: " + ", ".join(f"{k} {v}" for k, v in sorted(types.items())) +
               ". By status: " + ", ".join(f"{k} {v}" for k, v in sorted(status.items())) + ".\n")
    if merges:
        out.append("## Merges\n")
        out += [f"- “{_short(m.merged)}” → “{_short(m.kept)}” ({m.reason})" for m in merges]
        out.append("")
    needing = [c for c in cards if c.status in ("needs_answer", "needs_review")]
    if needing:
        out.append("## Cards that need a hand\n")
        out += [f"- `{c.id}` {c.status}: {_short(c.question)} ({cell(c.sources[0].file)}:{c.sources[0].first})" for c in needing]
        out.append("")
    if diff is not None and (diff.added or diff.removed or diff.changed):
        out.append("## Changes since the previous build\n")
        out += [f"- added `{i}`: {_short(q)}" for i, q in diff.added]
        out += [f"- removed `{i}`: {_short(q)}" for i, q in diff.removed]
        out += [f"- changed `{i}` ({', '.join(f)}): {_short(q)}" for i, q, f in diff.changed]
        out.append("")
    if gone:
        out.append("## Ids no longer produced\n")
        out += [f"- `{i}`: {_short(q)}" for i, q in gone]
        out.append("")
    if media is not None and (media.files or media.remote or media.missing):
        out.append("## Images\n")
        out.append(f"{len(media.files)} bundled in the deck, {len(set(media.remote))} remote (shown as links), "
                   f"{len(set(media.missing))} missing (shown as a note).\n")
        out += [f"- missing: `{m}`" for m in sorted(set(media.missing))]
        out += [f"- remote: {m}" for m in sorted(set(media.remote))[:50]]
        out.append("")
    if edit_notes:
        out.append("## Human edits\n")
        out += [f"- `{n.card_id}` {n.what}" + (f": {n.detail}" if n.detail else "") for n in edit_notes]
        out.append("")
    if formulas:
        out.append("## Formulas printed as LaTeX source in the PDF sheets\n")
        out += [f"- `{f}`" for f in formulas]
        out.append("")
    if suspects:
        out.append("## Suspect math: TeX shown as text (its `$` lost, and not plainly a formula)\n")
        out += [f"- {cell(s)}" for s in suspects]
        out.append("")
    warnings = [(a.name, w) for a in accounts for w in a.warnings]
    unaccounted = [(a.name, a.unaccounted) for a in accounts if a.unaccounted]
    if warnings or unaccounted or build_warnings:
        out.append("## Warnings\n")
        out += [f"- {cell(w)}" for w in build_warnings or []]
        out += [f"- {cell(name)}: {w}" for name, w in warnings]
        out += [f"- {cell(name)}: lines not accounted for: {lines[:20]}" for name, lines in unaccounted]
        out.append("")
    return "\n".join(out)


def diff_cards(previous: list[dict], current: list[dict]) -> Diff:
    before = {c["id"]: c for c in previous}
    after = {c["id"]: c for c in current}
    diff = Diff()
    for cid, card in after.items():
        if cid not in before:
            diff.added.append((cid, card["question"]))
            continue
        fields = [k for k in ("type", "question", "answer", "choices", "correct", "blanks", "status", "topic", "aliases")
                  if before[cid].get(k) != card.get(k)]
        if fields:
            diff.changed.append((cid, card["question"], fields))
    diff.removed = [(cid, c["question"]) for cid, c in before.items() if cid not in after]
    return diff
