"""Command line: `python -m pipeline build|diff|edit`. Only wiring; each stage is a module.

    source files ─ ingest ─ clean ─ extract ─ choices ─ status ─┐  (per source)
    all cards ─ dedup ─ status ─ edits ─ ids ─ place ─ cards.yaml, report.md, deck.apkg, study sheets
"""
from __future__ import annotations

import argparse
import os
import stat
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import yaml

from . import choices, dedup, report, status
from .clean import clean
from .export.anki import write_deck
from .export.sheets import start_sheets
from .extract import extract
from .ids import Registry, assign_ids
from .ingest import SOURCE_SUFFIXES, ingest
from .manifest import MANIFEST, read_manifest
from .model import Card, CleanDocument, Extraction, PipelineError
from .output import cards_yaml, place
from .yamlio import FastLoader, write_atomic

HUMAN_FILES = {MANIFEST, "card_ids.yaml", "edits.yaml"}
PER_WORKER = 8  # sources a worker process must have to be worth starting


@dataclass
class SourceResult:
    doc: CleanDocument
    extraction: Extraction
    cards: list[Card]


def read_source(path: Path, title: str) -> SourceResult:
    """The per-source stages: ingest, clean, extract, choices, status."""
    doc = clean(ingest(path))
    extraction = extract(doc, title)
    cards = [status.assess(choices.classify(c)) for c in extraction.cards]
    return SourceResult(doc, extraction, cards)


def _read_or_error(job: tuple[Path, str]) -> SourceResult | str:
    try:
        return read_source(*job)
    except PipelineError as exc:
        return str(exc)


def read_sources(jobs: list[tuple[Path, str]], quiet: bool) -> list[SourceResult | str]:
    """The per-source stages, on every core when there are enough sources to pay for it."""
    workers = min(os.cpu_count() or 1, len(jobs) // PER_WORKER)
    if workers < 2:
        return [_read_or_error(job) for job in jobs]
    with ProcessPoolExecutor(workers) as pool:
        outcomes = []
        for outcome in pool.map(_read_or_error, jobs, chunksize=2):
            outcomes.append(outcome)
            if not quiet and sys.stderr.isatty():
                print(f"\r  read {len(outcomes)}/{len(jobs)} sources", end="", file=sys.stderr)
        return outcomes


def source_files(source_dir: Path) -> list[Path]:
    if not source_dir.is_dir():
        raise PipelineError(str(source_dir), "no such source directory")
    return sorted(p for p in source_dir.iterdir()
                  if p.is_file() and p.suffix.lower() in SOURCE_SUFFIXES and p.name not in HUMAN_FILES
                  and not p.name.startswith("."))


def registry_path(source_dir: Path, build_dir: Path, given: str | None) -> Path:
    if given:
        return Path(given)
    # a read-only source folder (a shared corpus) keeps its registry with the build; the
    # mode bits decide, because root may write anywhere
    own = source_dir / "card_ids.yaml"
    writable = own.exists() or source_dir.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    return own if writable else build_dir / "card_ids.yaml"


def previous_cards(path: Path) -> list[dict] | None:
    try:
        return (yaml.load(path.read_text(encoding="utf-8"), Loader=FastLoader) or {}).get("cards") or []
    except (OSError, yaml.YAMLError, AttributeError):
        return None


def write_if_changed(path: Path, text: str) -> bool:
    """Write cards.yaml unless only its build time would change; say whether it changed."""
    def body(t: str) -> str:
        return "\n".join(line for line in t.split("\n") if not line.startswith("generated:"))
    try:
        if body(path.read_text(encoding="utf-8")) == body(text):
            return False
    except OSError:
        pass
    write_atomic(path, text)
    return True


def build(source_dir: Path, build_dir: Path, keep_going: bool = False, registry_file: str | None = None,
          quiet: bool = False) -> int:
    started = time.perf_counter()
    build_time = time.time()
    generated = datetime.fromtimestamp(build_time, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    manifest = read_manifest(source_dir)
    results: list[SourceResult] = []
    errors: list[str] = []
    jobs = [(path, manifest.titles.get(path.name, path.stem)) for path in source_files(source_dir)]
    for outcome in read_sources(jobs, quiet):
        (errors if isinstance(outcome, str) else results).append(outcome)
    if errors and not keep_going:
        raise PipelineError(str(source_dir), "bad sources (nothing was written; --keep-going builds the rest):\n  "
                            + "\n  ".join(errors))
    cards, merges = dedup.deduplicate([c for r in results for c in r.cards])
    cards = [status.assess(c) for c in cards]
    registry_at = registry_path(source_dir, build_dir, registry_file)
    registry = Registry.read(registry_at)
    cards, gone = assign_ids(cards, registry)
    cards = [place(c, manifest.deck_root) for c in cards]

    cards_text = cards_yaml(cards, manifest.deck_root, generated)
    before = previous_cards(build_dir / "cards.yaml")
    diff = report.diff_cards(before, yaml.load(cards_text, Loader=FastLoader)["cards"]) if before is not None else None
    accounts = [report.account(r.doc, r.extraction, cards) for r in results]
    outputs = [build_dir / n for n in ("deck.apkg", "study.md", "study.pdf", "quiz.pdf")]
    changed = write_if_changed(build_dir / "cards.yaml", cards_text) or not all(p.exists() for p in outputs)
    media, formulas = None, []
    if changed:  # the deck keeps its modification times, the sheets are not laid out again
        with ProcessPoolExecutor(2) as pool:
            pdfs = start_sheets(cards, manifest.deck_root, build_dir, pool)
            media = write_deck(cards, manifest.deck_root, source_dir, build_dir / "deck.apkg", build_time)
            formulas = sorted({tex for job in pdfs for tex in job.result()})
    write_atomic(build_dir / "report.md", report.render(accounts, cards, merges, gone, diff, errors, generated,
                                                       media, formulas))
    registry.write(registry_at)
    if not quiet:
        ok = sum(c.status == "ok" for c in cards)
        print(f"built {len(cards)} cards ({ok} ok) from {len(results)} sources in "
              f"{time.perf_counter() - started:.2f} s → {build_dir}/"
              + (f"; skipped {len(errors)} bad sources" if errors else ""), file=sys.stderr)
        for e in errors:
            print(f"  skipped: {e}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build cards.yaml, report.md, the deck and the study sheets")
    b.add_argument("--source", default="source", help="folder of .txt, .md and .html documents")
    b.add_argument("--build", default="build", help="output folder")
    b.add_argument("--keep-going", action="store_true", help="skip unreadable sources instead of stopping")
    b.add_argument("--registry", help="card id registry (default: SOURCE/card_ids.yaml)")
    b.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            return build(Path(args.source), Path(args.build), args.keep_going, args.registry, args.quiet)
    except PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main())
