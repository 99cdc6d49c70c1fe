"""`make bench`: every figure of issue 19 next to its floor, in one table, measured side by
side in one run. Not part of `make test` (marked slow). BENCH_DOCUMENTS sets the size of the
large corpus (about 49 cards a document); the ~10,000-card corpus and the 1,000-card edit
loop are always measured. BENCH_ONLY=dedup measures the dedup rows alone, on the large
corpus's cards read and deduplicated in this process (no builds: a minute instead of many).

    measure                          floor beside it
    full build, fresh build folder   bare genanki (same notes, text as is) + Typst on plain sheets
    no-op rebuild                    the interpreter starting (python -c pass)
    per-source stages (one core)     —
    cards.yaml written               json.dumps of the same records
    deck export (a new process)      bare genanki
    study.pdf / quiz.pdf             Typst on a plain sheet of the same text
    edit loop (1,000 cards)          aim < 1 s
    peak memory                      aim ≤ 2 GB at 50,000 cards
    dedup 10% / all cards            aim ≤ 12x for 10x the cards (best of DEDUP_ROUNDS each)
"""
from __future__ import annotations

import gc
import json
import math
import multiprocessing
import os
import select
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import genanki
import pytest
import typst
import yaml

ROOT = Path(__file__).resolve().parents[2]
# this checkout's pipeline, not the one an editable install points to: the builds run it too
sys.path.insert(0, str(ROOT))

from pipeline.__main__ import read_source
from pipeline.dedup import deduplicate
from pipeline.export.anki import write_deck
from pipeline.export.sheets import FONTS, Sheet, escape, part_document, quiz_key, write_pdf
from pipeline.ids import Registry
from pipeline.manifest import read_manifest
from pipeline.model import Card, Choice, SourceSpan
from pipeline.output import cards_yaml
from pipeline.render import FIELD_CACHE, FieldCache
from pipeline.stamps import registry_path
from pipeline.text import fold
from pipeline.yamlio import write_atomic

from synth import generate

DOCUMENTS = int(os.environ.get("BENCH_DOCUMENTS", "1000"))
SMALL = int(os.environ.get("BENCH_SMALL", "200"))  # documents: about 10,000 cards
PLAIN_PAGE = 100  # cards between page breaks of a plain sheet
EDIT_LOOP = int(os.environ.get("BENCH_EDIT_LOOP", "20"))  # documents: about 1,000 cards
ONLY = os.environ.get("BENCH_ONLY", "")  # "dedup": the dedup rows alone
DEDUP_ROUNDS = 7
# builds run as a user's Python runs them, keeping the pipeline's bytecode (pipeline/__pycache__):
# PYTHONDONTWRITEBYTECODE, which this workplace sets, would make each build compile the
# pipeline's modules again (0.08 s)
BUILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


@dataclass
class Row:
    """One line of the table: a measure of the pipeline beside its floor (or its aim)."""

    measure: str
    cards: int
    value: float
    floor: float | None = None
    aim: str = ""
    unit: str = "s"
    decimals: int = 2

    def cells(self) -> list[str]:
        shown = (lambda x: f"{x:,.0f} MB") if self.unit == "MB" else (lambda x: f"{x:.{self.decimals}f} s")
        ratio = f"{self.value / self.floor:.1f}x" if self.floor else "—"
        return [self.measure, f"{self.cards:,}", shown(self.value), shown(self.floor) if self.floor else "—",
                ratio, self.aim]


def _tree_rss_kb(root: int) -> int:
    """Resident memory of `root` and all its descendants, in kB (from /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            status = Path(entry.path, "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        parents[int(entry.name)] = int(fields.get("PPid", "0"))
        rss[int(entry.name)] = int(fields.get("VmRSS", "0 kB").split()[0])
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return sum(rss.get(pid, 0) for pid in tree)


@dataclass
class Run:
    seconds: float
    largest_mb: float  # the largest single process (the kernel's peak)
    together_mb: float  # the build's processes together (sampled every 0.2 s)


def run_build(src: Path, out: Path) -> Run:
    """`python -m pipeline build` on `src` into `out`: wall time and peak memory."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "build", "--source", str(src), "--build", str(out),
                             "--quiet"], cwd=ROOT, env=BUILD_ENV)
    together = 0
    ended = os.pidfd_open(proc.pid)  # readable once the build has ended: its wall time is not rounded up to a sample
    try:
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            together = max(together, _tree_rss_kb(proc.pid))
            select.select([ended], [], [], 0.2)
    finally:
        os.close(ended)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, f"build of {src} failed"
    return Run(seconds, usage.ru_maxrss / 1024, together / 1024)


def timed(work, clock=time.perf_counter) -> float:
    started = clock()
    work()
    return clock() - started


def _timed_call(function, *args) -> tuple[float, object]:
    started = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - started, result


def timed_apart(function, *args) -> tuple[float, object]:
    """Seconds `function(*args)` takes in a process of its own (forked from this one), as
    the build lays out each sheet: Typst keeps its caches for the life of a process, and
    a few sheets of 50,000 cards in one process run out of memory. With what it returned."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        return pool.submit(_timed_call, function, *args).result()


def as_cards(records: list[dict]) -> list[Card]:
    return [Card(question=c["question"], answer=c["answer"], topic=c["topic"], type=c["type"], status=c["status"],
                 sources=[SourceSpan(s["file"], *s["lines"]) for s in c["sources"]], layout=c["layout"],
                 choices=[Choice(**x) for x in c["choices"]], correct=c["correct"], blanks=c.get("blanks", []),
                 notes=c.get("notes", []), tags=c["tags"], aliases=c["aliases"], id=c["id"], deck=c["deck"])
            for c in records]


def _deck_seconds(cards: list[Card], src: Path, out: Path, tmp: Path) -> float:
    """Seconds the build's deck export takes: every field rendered (on every core where the
    build uses them), each note's time from the id registry, the package written, the
    fields kept for the next build (in an empty cache: none is taken from it)."""
    manifest = read_manifest(src)
    registry = Registry.read(registry_path(src, out, None))
    cache = FieldCache(tmp / f"deck-cache-{time.time_ns()}" / FIELD_CACHE)
    now = time.time()
    started = time.perf_counter()
    write_deck(cards, manifest.deck_root, src, tmp / "bench-deck.apkg", now, manifest.titles,
               lambda card_id, content: registry.note_time(card_id, content, now), cache)
    return time.perf_counter() - started


def deck_export(cards: list[Card], src: Path, out: Path, tmp: Path) -> float:
    """_deck_seconds in a new interpreter (spawned, not forked): no field met before, no
    cache warmed by the stages measured in this process."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_deck_seconds, cards, src, out, tmp).result()


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


def plain_sheet(cards: list[Card], quiz: bool) -> bytes:
    """The text of a sheet (questions, options, keys, answers) as plain Typst paragraphs:
    no outline, no page numbers, no headings, no math, no lists; a page break every
    PLAIN_PAGE cards (Typst sets one long flow of pages a third slower than short ones)."""
    lines = [f"#set text(font: ({', '.join(json.dumps(f) for f in FONTS)}), size: 10.5pt, lang: \"zh\")",
             "#set page(paper: \"a4\", margin: (x: 2cm, y: 2.2cm))", ""]
    for k, card in enumerate(cards, start=1):
        lines += [f"{k}. {escape(card.question)}", "", *(f"{escape(c.label)}. {escape(c.text)}" for c in card.choices)]
        if not quiz:
            key, explanation = quiz_key(card)
            lines += ["", escape(key), "", escape(explanation)]
        lines.append("#pagebreak(weak: true)" if k % PLAIN_PAGE == 0 else "")
    if quiz:
        for k, card in enumerate(cards, start=1):
            key, explanation = quiz_key(card)
            lines += [f"{k}. {escape(card.question)}", "", escape(key), "", escape(explanation),
                      "#pagebreak(weak: true)" if k % PLAIN_PAGE == 0 else ""]
    return "\n".join(lines).encode("utf-8")


def _compile(source: bytes) -> None:
    typst.compile(source, format="pdf")


def plain_typst(cards: list[Card], quiz: bool) -> float:
    return timed_apart(_compile, plain_sheet(cards, quiz))[0]


def typst_sources(cards: list[Card]) -> None:
    """The Typst source of every part of the study sheet, as the build writes it."""
    sheet = Sheet.of(cards, "bench", "today", False)
    for part in sheet.parts():
        part_document(sheet.source(part, 1, [0] * len(sheet.entries()) if part.start == 0 else []), set(), set())


def sheet_rows(ok: list[Card], tmp: Path, n: int) -> list[Row]:
    """Each sheet laid out whole (its parts in one process, as the build does), then
    again after one card's answer changed, with the parts of the first in the cache."""
    changed = list(ok)
    changed[len(ok) // 2] = replace(changed[len(ok) // 2], answer="改过的答案。")
    rows = []
    for quiz, name in ((False, "study.pdf"), (True, "quiz.pdf")):
        parts = tmp / f"parts-{n}-{name}"
        floor = plain_typst(ok, quiz)
        seconds, _ = timed_apart(write_pdf, ok, "bench", "today", quiz, tmp / name, None, None, parts)
        again, written = timed_apart(write_pdf, changed, "bench", "today", quiz, tmp / name, None, None, parts)
        source = f"{timed(lambda: typst_sources(ok)):.2f} s of it making the Typst source; " if not quiz else ""
        rows += [Row(f"{name} ({source}floor: Typst on a plain sheet)", n, seconds, floor),
                 Row(f"{name} again, one card's answer changed ({written.laid_out} of its {written.parts} parts "
                     "laid out again)", n, again)]
    return rows


def planted_found(cards: list[Card], planted: list[tuple[str, str]]) -> int:
    """How many planted pairs (original, copy) ended on one card, as its question or an alias."""
    where: dict[str, int] = {}
    for k, c in enumerate(cards):
        for q in [c.question, *c.aliases]:
            where.setdefault(fold(q), k)
    return sum(where.get(fold(a), -1) == where.get(fold(b), -2) for a, b in planted)


def read_corpus(tmp: Path, documents: int) -> tuple[list[Card], list[tuple[str, str]]]:
    """The cards of a generated corpus as a build makes them before ids (per-source stages and
    dedup, in this process), and its planted duplicates."""
    src = tmp / f"corpus{documents}"
    planted = generate(src, documents)
    cards, _ = deduplicate([c for p in sorted(src.iterdir()) for c in read_source(p, p.stem).cards])
    return cards, planted


def dedup_scaling(cards: list[Card]) -> Row:
    """Dedup of all cards beside dedup of their first 10%: the best of DEDUP_ROUNDS runs of
    each, taken in turns in this process, each after a full garbage collection, in CPU time
    (dedup runs on one core). The 10% base takes a few hundredths of a second: in wall time
    a busy machine's other processes made the ratio anything from 6x to 15x in one hour."""
    base = cards[: len(cards) // 10]
    small = large = math.inf
    for _ in range(DEDUP_ROUNDS):
        gc.collect()
        small = min(small, timed(lambda: deduplicate(base), time.process_time))
        gc.collect()
        large = min(large, timed(lambda: deduplicate(cards), time.process_time))
    return Row(f"dedup of all cards, CPU time, best of {DEDUP_ROUNDS} (floor: of 10% of them, {len(base):,} cards)",
               len(cards), large, small, "≤ 12x", decimals=3)


def measure(tmp: Path, documents: int, large: bool) -> tuple[list[Row], dict]:
    """The rows for a corpus of `documents`; the extra figures (dedup, planted) for the large one."""
    src, out = tmp / f"corpus{documents}", tmp / f"build{documents}"
    planted = generate(src, documents)
    full = run_build(src, out)
    records = yaml.safe_load((out / "cards.yaml").read_text(encoding="utf-8"))["cards"]
    n = len(records)
    noop = run_build(src, out)
    start = timed(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True))
    cards = as_cards(records)
    ok = [c for c in cards if c.status == "ok"]

    # the floors, then each stage in this process (one core), on the same cards
    anki_floor = bare_genanki(records, tmp)
    sheets = sheet_rows(ok, tmp, n)
    files = sorted(p for p in src.iterdir() if p.suffix in (".md", ".txt"))
    per_source = timed(lambda: [read_source(p, p.stem) for p in files])
    yaml_seconds = timed(lambda: write_atomic(tmp / "cards.yaml", cards_yaml(records, "bench", "now")))
    json_seconds = timed(lambda: json.dumps(records, ensure_ascii=False))
    deck = deck_export(cards, src, out, tmp)

    rows = [
        Row("full build, fresh build folder (floor: bare genanki + Typst on plain study and quiz sheets)", n,
            full.seconds, anki_floor + sheets[0].floor + sheets[2].floor, "≤ 3x"),
        Row("no-op rebuild, `python -m pipeline build` (floor: `python -c pass`)", n, noop.seconds, start, "< 0.5 s"),
        Row("per-source stages, all sources, one core", n, per_source),
        Row("cards.yaml written (floor: json.dumps of the same records)", n, yaml_seconds, json_seconds),
        Row("deck export, a new process, fields rendered as the build does (floor: bare genanki)", n, deck,
            anki_floor),
        *sheets,
        Row("peak memory of a full build, largest process", n, full.largest_mb, unit="MB",
            aim="≤ 2 GB at 50k" if large else ""),
        Row("peak memory of a full build, its processes together", n, full.together_mb, unit="MB"),
    ]
    if large:
        changed = next(p for p in files if p.suffix == ".md")  # a headings document: the new heading is a card
        changed.write_text(changed.read_text(encoding="utf-8") + "\n### 新加的问题是什么？\n\n新的答案。\n",
                           encoding="utf-8")
        rows.append(Row("rebuild after one source changed", n + 1, run_build(src, out).seconds))
    extra = {"cards": cards, "planted": planted}
    return rows, extra


def edit_loop(tmp: Path) -> list[Row]:
    """The loop a user repeats at 1,000 cards: change one edit, or one source, and build."""
    src, out = tmp / "loop", tmp / "loop-build"
    generate(src, EDIT_LOOP)
    run_build(src, out)
    records = yaml.safe_load((out / "cards.yaml").read_text(encoding="utf-8"))["cards"]
    card = records[len(records) // 2]
    (src / "edits.yaml").write_text(yaml.safe_dump({card["id"]: {"answer": "改过的答案。"}}, allow_unicode=True),
                                    encoding="utf-8")
    edit = run_build(src, out)
    edit_parts = laid_out(out)
    one = src / "doc0001.md"
    one.write_text(one.read_text(encoding="utf-8").replace("实验中收敛更快", "实验中收敛明显更快", 1), encoding="utf-8")
    source = run_build(src, out)
    return [Row(f"edit loop: one edits.yaml entry changed, build ({edit_parts})", len(records), edit.seconds,
                aim="< 1 s"),
            Row(f"edit loop: one source changed, build ({laid_out(out)})", len(records), source.seconds, aim="< 1 s")]


def laid_out(out: Path) -> str:
    """The sheets' parts the last build laid out, from what it recorded in the build folder."""
    outputs = json.loads((out / ".outputs.json").read_text(encoding="utf-8"))
    return "; ".join(f"{name}: {outputs[name]['parts'][0]} of {outputs[name]['parts'][1]} parts laid out"
                     for name in ("study.pdf", "quiz.pdf"))


@pytest.mark.slow
def test_benchmark(tmp_path):
    assert ONLY in ("", "dedup"), f"BENCH_ONLY={ONLY}: only dedup can be measured alone"
    if ONLY:
        rows, (cards, planted) = [], read_corpus(tmp_path, DOCUMENTS)
    else:
        rows, extra = measure(tmp_path, SMALL, large=DOCUMENTS <= SMALL)
        if DOCUMENTS > SMALL:
            large_rows, extra = measure(tmp_path, DOCUMENTS, large=True)
            rows += large_rows
        rows += edit_loop(tmp_path)
        cards, planted = extra["cards"], extra["planted"]

    rows.append(dedup_scaling(cards))
    found = planted_found(cards, planted)

    load = os.getloadavg()
    print(f"\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, load average "
          f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min), BENCH_DOCUMENTS={DOCUMENTS}"
          f"{f', BENCH_ONLY={ONLY}' if ONLY else ''}\n")
    table = [["measure", "cards", "pipeline", "floor", "ratio", "aim"],
             ["---", "---:", "---:", "---:", "---:", "---"], *(row.cells() for row in rows),
             ["planted duplicates found", f"{len(cards):,}", f"{found:,} / {len(planted):,}", "—", "—", "all"]]
    print("\n".join("| " + " | ".join(cells) + " |" for cells in table))
    assert found == len(planted)


@pytest.mark.slow
def test_the_stages_measured_are_this_checkouts():
    import pipeline

    assert Path(pipeline.__file__).resolve().parent == ROOT / "pipeline"
