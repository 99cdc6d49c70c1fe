"""Command line: `python -m pipeline build|diff|edit`. Only wiring; each stage is a module.

    source files ─ ingest ─ clean ─ extract ─ choices ─ status ─┐  (per source)
    all cards ─ dedup ─ status ─ edits ─ ids ─ place ─ cards.yaml, report.md, deck.apkg, study sheets
"""
from __future__ import annotations

import sys

if __name__ == "__main__":  # before any stage is imported: a build with nothing to do takes milliseconds
    from .stamps import exit_if_unchanged
    exit_if_unchanged(sys.argv[1:])

import hashlib
import json
import ctypes
import os
import signal
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from tqdm import tqdm

from . import choices, dedup, edits, report, review, status
from .cache import Fragments, SourceCache, code_version
from .clean import clean
from .export.anki import write_deck
from .export.sheets import start_sheets, warm_up
from .extract import extract
from .ids import Registry, assign_ids
from .ingest import SOURCE_SUFFIXES, NotASource, check_source, ingest, printable
from .manifest import MANIFEST, read_manifest
from .model import PipelineError, SourceResult
from .output import card_record, cards_yaml, place, read_cards
from .render import FIELD_CACHE, FieldCache, Media, image_digests
from .stamps import RECORD, Options, Stamps, forget, parser, registry_path, stamp, summary
from .workers import Stopped, release_stops, run_jobs, stops_held
from .yamlio import write_atomic

HUMAN_FILES = {MANIFEST, "card_ids.yaml", "edits.yaml"}
# documents a user may drop into source/ that no front end reads (images and data beside the
# sources are no documents): each is named as skipped, never passed over in silence
UNREAD_DOCUMENTS = {".rst", ".adoc", ".asciidoc", ".org", ".tex", ".ipynb", ".rtf", ".doc", ".docx", ".odt",
                    ".pdf", ".epub"}
CURRENT = ".cards.json"  # the cards of this build, as JSON: fast to read back for diffs
PREVIOUS = ".previous-cards.json"  # the cards of the last build that differed
OUTPUTS = ".outputs.json"  # per output: the digest of the cards it was made from, its stamps
SHEETS = ("study.pdf", "quiz.pdf")  # what start_sheets' futures write, in their order
# in build/cache/ (not *.pickle: the sources' cache prunes those)
REVIEW_SECTIONS = "review-sections.pkl"
CARDS_YAML_RUNS = "cards-yaml.pkl"
PER_WORKER = 8  # sources a worker process must have to be worth starting
# a scraped page takes well under a second; a source still running after this has hit a
# pathological case in some stage and is reported by name instead of hanging the build
SOURCE_SECONDS = 60.0


def read_source(path: Path, title: str = "", layout: str = "") -> SourceResult:
    """The per-source stages: ingest, clean, extract, choices, status. The cards' fallback
    topic is `title` (from sources.yaml), else the document's own (front matter), else the
    file's stem."""
    doc = clean(ingest(path))
    extraction = extract(doc, title or doc.title or path.stem, layout)
    cards = status.assess_document(choices.classify_document(extraction.cards, doc.lines), doc.lines)
    return SourceResult(doc, extraction, cards)


def die_with_parent() -> None:
    """Pool workers end when the build is killed, instead of lingering as orphans (Linux)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _read_or_error(job: tuple[Path, str, str]) -> SourceResult | str:
    try:
        return read_source(*job)
    except PipelineError as exc:
        return str(exc)


def source_seconds() -> float:
    """The time one source may take (SOURCE_SECONDS, or the PIPELINE_SOURCE_SECONDS variable)."""
    given = os.environ.get("PIPELINE_SOURCE_SECONDS", "")
    try:
        seconds = float(given) if given else SOURCE_SECONDS
    except ValueError:
        seconds = 0
    if not seconds > 0:
        raise PipelineError("PIPELINE_SOURCE_SECONDS", f"must be a number of seconds above 0, not {given!r}")
    return seconds


def read_sources(jobs: list[tuple[Path, str, str]], cache: SourceCache, quiet: bool) -> list[SourceResult | str]:
    """The per-source stages for the sources the cache does not hold, in worker processes
    (on every core when there are enough sources to pay for them). A source that takes
    longer than `source_seconds()` is stopped and becomes an error naming it."""
    keys = [cache.key(path, f"{title}\0{layout}") for path, title, layout in jobs]
    outcomes: list[SourceResult | str | None] = [cache.get(k) for k in keys]
    missing = [i for i, o in enumerate(outcomes) if o is None]
    workers = max(1, min(os.cpu_count() or 1, len(missing) // PER_WORKER))
    seconds = source_seconds()
    # a stop that lands inside tqdm's constructor leaves its monitor thread made but not
    # started, and tqdm's __del__ then prints a traceback: the stop waits until the bar is whole
    with stops_held():
        bar = tqdm(total=len(missing), desc="reading sources", unit="source", leave=False,
                   disable=quiet or not sys.stderr.isatty() or len(missing) < PER_WORKER)
    for k, outcome in run_jobs(_read_or_error, [jobs[i] for i in missing], workers, seconds, die_with_parent):
        i = missing[k]
        if isinstance(outcome, Stopped):
            outcome = f"{jobs[i][0].name}: {outcome.reason} (the limit per source; PIPELINE_SOURCE_SECONDS sets it)"
        outcomes[i] = outcome
        if not isinstance(outcome, str):
            cache.put(keys[i], outcome)
        bar.update()
    bar.close()
    return [o for o in outcomes if o is not None]


@dataclass
class SourceListing:
    """The documents of a source folder, and the entries that are not read, as `name: reason`."""

    files: list[Path] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # bad sources: they stop a build without --keep-going
    skipped: list[str] = field(default_factory=list)  # dangling links and link loops: only reported


def source_files(source_dir: Path) -> SourceListing:
    """The documents in `source_dir` (by suffix; not hidden, not the human YAML files).
    Raises PipelineError when the folder does not exist."""
    if not source_dir.is_dir():
        raise PipelineError(str(source_dir), "no such source directory")
    listing = SourceListing()
    for path in sorted(source_dir.iterdir()):
        if path.suffix.lower() in UNREAD_DOCUMENTS and not path.name.startswith("."):
            listing.skipped.append(f"{path}: a {path.suffix} document is not read (sources are "
                                   f"{', '.join(SOURCE_SUFFIXES)})")
            continue
        if path.suffix.lower() not in SOURCE_SUFFIXES or path.name in HUMAN_FILES or path.name.startswith("."):
            continue
        try:
            if check_source(path):
                listing.files.append(path)
        except NotASource as exc:
            listing.skipped.append(str(exc))
        except PipelineError as exc:
            listing.refused.append(str(exc))
    return listing


def digest(data: object) -> str:
    return hashlib.blake2b(json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8"),
                           digest_size=16).hexdigest()


class Outputs:
    """What each output in the build folder was made from: the digest of the cards it
    shows (and of the code and of the images they draw), the output's own stamp, with what
    the report needs from it (the deck's images, the formulas a sheet printed as source),
    kept in build/.outputs.json. An output's entry is removed before the output is
    rewritten and put back once it is whole, so whatever stops a build (Ctrl-C, a kill, a
    full disk), the next one rewrites every output that does not match its cards; so does
    an output changed since it was written."""

    def __init__(self, build_dir: Path, digests: dict[str, str]):
        self.build_dir = build_dir
        self.digests = digests  # per output: the digest of what it is made from
        try:
            entries = json.loads((build_dir / OUTPUTS).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            entries = {}
        self.entries: dict[str, dict] = ({k: v for k, v in entries.items() if isinstance(v, dict)}
                                         if isinstance(entries, dict) else {})

    def stale(self, *names: str) -> list[str]:
        """Those of `names` that are missing, were changed since they were written, or were
        made from other cards."""
        def fresh(name: str) -> bool:
            entry = self.entries.get(name, {})
            return entry.get("digest") == self.digests[name] and entry.get("stamp") == stamp(str(self.build_dir / name))
        return [n for n in names if not fresh(n)]

    def forget(self, names: list[str]) -> None:
        """Before `names` are rewritten: until they are whole again, they are stale."""
        for name in names:
            self.entries.pop(name, None)
        self._save()

    def done(self, name: str, **about: object) -> None:
        """`name` is written, from these cards; `about` is kept for later reports."""
        self.entries[name] = {"digest": self.digests[name], "stamp": stamp(str(self.build_dir / name)), **about}
        self._save()

    def about(self, name: str, key: str) -> object:
        """What was kept under `key` when `name` was written (None if nothing was)."""
        return self.entries.get(name, {}).get(key)

    def kept(self, name: str, key: str) -> object:
        """What was kept under `key` when `name` was written, if `name` is still as it was
        then (else None)."""
        entry = self.entries.get(name, {})
        return entry.get(key) if entry.get("stamp") == stamp(str(self.build_dir / name)) else None

    def _save(self) -> None:
        write_atomic(self.build_dir / OUTPUTS, json.dumps(self.entries, ensure_ascii=False))


def keep_previous(build_dir: Path, records: list[dict]) -> None:
    """Before cards.yaml is rewritten, the cards it held become the previous build's (for
    diffs), unless they are these cards already (a build stopped after writing them)."""
    current = read_cards(build_dir / CURRENT)
    if current is not None and current != records:
        write_atomic(build_dir / PREVIOUS, json.dumps(current, ensure_ascii=False))


def _media_record(media: Media) -> dict:
    return {"files": {k: str(v) for k, v in media.files.items()}, "remote": media.remote, "missing": media.missing}


def _media(source_dir: Path, record: object) -> Media | None:
    if not isinstance(record, dict):
        return None
    return Media(source_dir, {k: Path(v) for k, v in record.get("files", {}).items()},
                 list(record.get("remote", [])), list(record.get("missing", [])))


def write_review(page: review.Review, build_dir: Path, outputs: Outputs) -> None:
    """The review page, unless the one in the build folder shows the same content; the
    sections of the sources kept in build/cache are not rendered again."""
    if outputs.stale(review.INDEX) or outputs.about(review.INDEX, "content") != page.digest:
        outputs.forget([review.INDEX])
        sections = Fragments(build_dir / "cache" / REVIEW_SECTIONS, "review page sections")
        review.write(page, build_dir, sections)
        warn(sections.warning)
        sections.save()
        outputs.done(review.INDEX, content=page.digest)


def warn(warning: str) -> None:
    if warning:
        print(f"warning: {warning}", file=sys.stderr)


def _sheet_worker() -> None:
    """A process of the sheets' pool: it ends with the build, and finds the fonts and loads
    the PDF library while the build makes the cards (0.1 s the sheets would wait for)."""
    release_stops()
    die_with_parent()
    warm_up()


def build(source_dir: Path, build_dir: Path, keep_going: bool = False, registry_file: str | None = None,
          quiet: bool = False) -> int:
    """Build the outputs of the sources in `source_dir` into `build_dir` (see the module).
    Raises PipelineError for bad input, naming the file (and line)."""
    pool = ProcessPoolExecutor(len(SHEETS), initializer=_sheet_worker)
    try:
        # a pool of forked processes starts them at its first job: now, to warm up meanwhile
        with stops_held():
            pool.submit(os.getpid)
        return _build(source_dir, build_dir, keep_going, registry_file, quiet, pool)
    finally:
        # a stop that lands inside the pool's shutdown left its workers waiting for the word to
        # leave and the build waiting for them, for ever: the shutdown is not to be interrupted
        with stops_held():
            pool.shutdown(wait=True, cancel_futures=True)


def _build(source_dir: Path, build_dir: Path, keep_going: bool, registry_file: str | None, quiet: bool,
           pool: Executor) -> int:
    started = time.perf_counter()
    build_time = time.time()
    generated = datetime.fromtimestamp(build_time, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    registry_at = registry_path(source_dir, build_dir, registry_file)
    # what this build reads, stamped before it reads it: a file changed meanwhile differs next time
    forget(build_dir)
    stamps = Stamps.take(Options.of(source_dir, build_dir, registry_at, keep_going))
    manifest = read_manifest(source_dir, build_dir)
    results: list[SourceResult] = []
    listing = source_files(source_dir)
    errors = list(listing.refused)
    jobs = [(path, manifest.titles.get(path.name, ""), manifest.layouts.get(path.name, ""))
            for path in listing.files]
    # every file a person writes is checked before any work, so that a bad one leaves nothing behind
    registry = Registry.read(registry_at, build_dir)
    for warning in registry.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    wanted, edits_file = edits.read_edits(source_dir, build_dir)
    cache = SourceCache(build_dir / "cache")
    for outcome in read_sources(jobs, cache, quiet):
        (errors if isinstance(outcome, str) else results).append(outcome)
    if errors and not keep_going:
        raise PipelineError(str(source_dir), "bad sources (nothing was written; --keep-going builds the rest):\n  "
                            + "\n  ".join(errors))
    read = [c for r in results for c in r.cards]
    assessed = {id(c) for c in read}
    cards, merges = dedup.deduplicate(read)
    # a card that dedup hands back as it was is assessed already (read_source): only merged ones again
    cards = [c if id(c) in assessed else status.assess(c) for c in cards]
    registry_before = digest(registry.ids)
    cards, gone = assign_ids(cards, registry)
    cards = [replace(c, fingerprint=edits.fingerprint(c)) for c in cards]
    cards, edit_notes = edits.apply_edits(cards, wanted, edits_file, registry, {r.doc.name for r in results})
    made = {c.id for c in cards}
    gone = [g for g in gone if g[0] not in made]  # a card made by an edit (edits.yaml `new`) is not gone
    cards = [place(c, manifest.deck_root, manifest.titles) for c in cards]

    records = [card_record(c) for c in cards]
    # an output that matches its cards is not written again: the deck keeps its
    # modification times, the sheets are not laid out again. The deck and the sheets show
    # the ok cards only (and the images they draw): an edit to another card leaves them be;
    # cards.yaml and the review page show every card.
    shown_texts = [text for c in cards if c.status == "ok" for text in (c.question, c.answer, *(x.text for x in c.choices))]
    every = digest([code_version(), manifest.deck_root, records])
    shown = digest([code_version(), manifest.deck_root, str(source_dir.resolve()),
                    [r for r in records if r["status"] == "ok"], image_digests(shown_texts, source_dir)])
    outputs = Outputs(build_dir, {"cards.yaml": every, review.INDEX: every,
                                  **dict.fromkeys(["deck.apkg", "study.md", *SHEETS], shown)})
    cards_stale = outputs.stale("cards.yaml")
    if cards_stale:
        outputs.forget(["cards.yaml"])
        runs = Fragments(build_dir / "cache" / CARDS_YAML_RUNS, "cards.yaml runs")
        write_atomic(build_dir / "cards.yaml", cards_yaml(records, manifest.deck_root, generated, runs))
        warn(runs.warning)
        runs.save()
    deck_stale = outputs.stale("deck.apkg")
    sheets_stale = outputs.stale("study.md", *SHEETS)
    joined = {name: outputs.kept(name, "joined") for name in SHEETS}  # a sheet whose parts are the same is not joined again
    if deck_stale or sheets_stale:
        # the three sheets are written together
        outputs.forget(deck_stale + (["study.md", *SHEETS] if sheets_stale else []))
    pdfs = {}
    if sheets_stale:
        jobs, warning = start_sheets(cards, manifest.deck_root, manifest.titles, build_dir, pool, source_dir, joined)
        pdfs = dict(zip(SHEETS, jobs, strict=True))
        warn(warning)
        outputs.done("study.md")
    # while the PDFs are laid out: cards.yaml's JSON copy, and the last build's become the previous
    if cards_stale:
        keep_previous(build_dir, records)
        write_atomic(build_dir / CURRENT, json.dumps(records, ensure_ascii=False))
        outputs.done("cards.yaml")
    before = read_cards(build_dir / PREVIOUS)
    diff = report.diff_cards(before, records) if before is not None else None
    spans = report.spans_by_file(cards)
    accounts = [report.account(r.doc, r.extraction, spans) for r in results]
    if deck_stale:
        fields = FieldCache(build_dir / "cache" / FIELD_CACHE)
        bundled = write_deck(cards, manifest.deck_root, source_dir, build_dir / "deck.apkg", build_time,
                             manifest.titles, lambda cid, content: registry.note_time(cid, content, build_time),
                             fields)
        warn(fields.warning)
        outputs.done("deck.apkg", media=_media_record(bundled))
    write_review(review.collect(results, cards, accounts, edit_notes, records), build_dir, outputs)
    if digest(registry.ids) != registry_before or not registry_at.exists():
        registry.write(registry_at, build_dir)
        stamps.again(registry_at)
    for name, job in pdfs.items():
        written = job.result()
        outputs.done(name, formulas=written.formulas, parts=[written.laid_out, written.parts], joined=written.joined)
    media = _media(source_dir, outputs.about("deck.apkg", "media"))
    formulas = sorted({tex for name in SHEETS for tex in outputs.about(name, "formulas") or []})
    write_atomic(build_dir / "report.md", report.render(accounts, cards, merges, gone, diff,
                                                       errors + listing.skipped, generated, media, formulas,
                                                       edit_notes, registry.warnings,
                                                       report.suspect_spans(cards, {r.doc.name: r.doc for r in results})))
    ok = sum(c.status == "ok" for c in cards)
    write_atomic(build_dir / RECORD, stamps.record(len(cards), ok, len(results), errors + listing.skipped,
                                                  registry.warnings))
    cache.prune()
    if not quiet:
        print(summary(len(cards), ok, len(results), time.perf_counter() - started, build_dir,
                      errors + listing.skipped), file=sys.stderr)
        print(f"  review every card beside its source: {build_dir / review.INDEX}", file=sys.stderr)
    return 0


def _built_cards(build_dir: Path) -> list[dict]:
    cards = read_cards(build_dir / "cards.yaml")
    if cards is None:
        raise PipelineError(str(build_dir / "cards.yaml"), "no build yet: run `make` or `python -m pipeline build`")
    return cards


def print_edit_stub(build_dir: Path, card_id: str) -> int:
    card = next((c for c in _built_cards(build_dir) if c["id"] == card_id or card_id in c.get("alias_ids", [])), None)
    if card is None:
        raise PipelineError(str(build_dir / "cards.yaml"), f"no card has the id {card_id}")
    print(edits.stub(card), end="")
    return 0


def print_diff(build_dir: Path) -> int:
    current = _built_cards(build_dir)
    before = read_cards(build_dir / PREVIOUS)
    if before is None:
        print("no previous build to compare with")
        return 0
    diff = report.diff_cards(before, current)
    for cid, question in diff.added:
        print(f"+ {cid}  {question.splitlines()[0]}")
    for cid, question in diff.removed:
        print(f"- {cid}  {question.splitlines()[0]}")
    for cid, question, fields in diff.changed:
        print(f"~ {cid}  ({', '.join(fields)})  {question.splitlines()[0]}")
    print(f"{len(diff.added)} added, {len(diff.removed)} removed, {len(diff.changed)} changed")
    return 0


def _stop(signum: int, _frame: object) -> None:
    # unwind through the `finally` blocks so that no temporary file is left behind
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop)
    args = parser().parse_args(argv)
    try:
        if args.command == "build":
            return build(Path(args.source), Path(args.build), args.keep_going, args.registry, args.quiet)
        if args.command == "edit":
            return print_edit_stub(Path(args.build), args.id)
        if args.command == "diff":
            return print_diff(Path(args.build))
    except PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # what write_atomic does not see: genanki's files, the cache folder, a vanished file
        where = printable(os.fsdecode(exc.filename)) if exc.filename else getattr(args, "build", "")
        print(f"error: {PipelineError(where, exc.strerror or str(exc))}", file=sys.stderr)
        return 2
    finally:
        # the work is done or undone: a stop from here on ends the process as the system does,
        # not as an exception inside the interpreter's exit (a thread's join there printed one)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    return 1


if __name__ == "__main__":
    sys.exit(main())
