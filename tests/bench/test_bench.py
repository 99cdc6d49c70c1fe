"""`make bench`: the build at scale next to its floor (bare genanki + Typst on the same
notes and sheets). Not part of `make test`. BENCH_DOCUMENTS sets the corpus size."""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import genanki
import pytest
import typst
import yaml

from pipeline.dedup import deduplicate
from pipeline.export.anki import write_deck
from pipeline.export.sheets import typst_document
from pipeline.model import Card, Choice, SourceSpan
from pipeline.text import fold

from synth import generate

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = int(os.environ.get("BENCH_DOCUMENTS", "1000"))


def run_build(src: Path, out: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pipeline", "build", "--source", str(src), "--build", str(out), "--quiet"],
                   cwd=ROOT, check=True)
    return time.perf_counter() - started


def as_cards(records: list[dict]) -> list[Card]:
    return [Card(question=c["question"], answer=c["answer"], topic=c["topic"], type=c["type"], status=c["status"],
                 sources=[SourceSpan(s["file"], *s["lines"]) for s in c["sources"]], layout=c["layout"],
                 choices=[Choice(**x) for x in c["choices"]], correct=c["correct"], id=c["id"]) for c in records]


def bare_genanki(records: list[dict], tmp: Path) -> float:
    """Seconds bare genanki takes to write the same notes, text as it is."""
    model = genanki.Model(1, "bare", fields=[{"name": "Q"}, {"name": "A"}],
                          templates=[{"name": "c", "qfmt": "{{Q}}", "afmt": "{{A}}"}])
    started = time.perf_counter()
    deck = genanki.Deck(2, "bare")
    for c in records:
        if c["status"] == "ok":
            deck.add_note(genanki.Note(model=model, fields=[c["question"], c["answer"]], guid=genanki.guid_for(c["id"])))
    genanki.Package(deck).write_to_file(str(tmp / "bare.apkg"))
    return time.perf_counter() - started


def floor(records: list[dict], tmp: Path) -> tuple[float, float]:
    """Seconds bare genanki takes to write the same notes, and Typst to lay out the same sheets."""
    anki_seconds = bare_genanki(records, tmp)
    cards = [c for c in as_cards(records) if c.status == "ok"]
    sources = ["\n".join(typst_document(cards, "t", "d", quiz, set(), set()).lines).encode() for quiz in (False, True)]
    started = time.perf_counter()
    for source in sources:
        typst.compile(source, format="pdf")
    return anki_seconds, time.perf_counter() - started


@pytest.mark.slow
def test_benchmark(tmp_path):
    src, out = tmp_path / "corpus", tmp_path / "build"
    planted = generate(src, DOCUMENTS)
    full = run_build(src, out)
    records = yaml.safe_load((out / "cards.yaml").read_text(encoding="utf-8"))["cards"]
    noop = run_build(src, out)
    changed = src / "doc0001.md"  # a headings document: the new heading is a new card
    changed.write_text(changed.read_text(encoding="utf-8") + "\n### 新加的问题是什么？\n\n新的答案。\n", encoding="utf-8")
    one = run_build(src, out)
    anki_floor, typst_floor = floor(records, tmp_path)
    deck_cards = [replace(c, deck=f"bench::{c.topic}", tags=["bench"]) for c in as_cards(records)][:10_000]
    deck_seconds, bare_deck = float("inf"), float("inf")
    for _ in range(3):  # best of three, side by side: the machine is shared
        started = time.perf_counter()
        write_deck(deck_cards, "bench", src, tmp_path / "deck.apkg", time.time())
        deck_seconds = min(deck_seconds, time.perf_counter() - started)
        bare_deck = min(bare_deck, bare_genanki([{"question": c.question, "answer": c.answer, "id": c.id,
                                                  "status": c.status} for c in deck_cards], tmp_path))
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    # every planted duplicate ended on one card
    where = {}
    for c in records:
        for q in [c["question"], *c["aliases"]]:
            where.setdefault(fold(q), c["id"])
    missed = [(a, b) for a, b in planted if where.get(fold(a)) != where.get(fold(b))]

    cards = as_cards(records)
    base = [c for c in cards][: len(cards) // 10]
    started = time.perf_counter()
    deduplicate(base)
    small = time.perf_counter() - started
    started = time.perf_counter()
    deduplicate(cards)
    large = time.perf_counter() - started

    rows = [
        ("documents / cards", f"{DOCUMENTS} / {len(records)}"),
        ("full build", f"{full:.1f} s"),
        ("floor: bare genanki + Typst", f"{anki_floor:.1f} s + {typst_floor:.1f} s = {anki_floor + typst_floor:.1f} s"),
        ("ratio full / floor", f"{full / (anki_floor + typst_floor):.2f}"),
        (f"deck export of {len(deck_cards)} cards / bare genanki", f"{deck_seconds:.1f} s / {bare_deck:.1f} s "
                                                                  f"({deck_seconds / bare_deck:.1f}x)"),
        ("no-op rebuild (python -m pipeline build)", f"{noop:.2f} s"),
        ("one source changed", f"{one:.1f} s"),
        (f"dedup {len(base)} cards / {len(cards)} cards", f"{small:.2f} s / {large:.2f} s ({large / small:.1f}x)"),
        ("peak memory (largest build process)", f"{peak_mb:.0f} MB"),
        ("planted duplicates found", f"{len(planted) - len(missed)} / {len(planted)}"),
    ]
    print("\n| measure | value |\n| --- | --- |\n" + "\n".join(f"| {k} | {v} |" for k, v in rows))
    assert not missed, missed[:5]
