"""The gold annotations are the acceptance spec: the seeds and the practice set score 0 problems."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import GOLD, PRACTICE, ROOT, SCORER, SHARED, build_dir, need_shared

from pipeline.__main__ import read_source, source_files
from pipeline.dedup import deduplicate
from pipeline.report import account, spans_by_file


def score(cards: Path, gold: Path) -> subprocess.CompletedProcess:
    need_shared(SCORER, gold)
    return subprocess.run([sys.executable, str(SCORER), str(cards), str(gold), "--verbose"],
                          capture_output=True, text=True, timeout=60)


def test_seed_sources_score_zero_problems(seeds_build):
    out, _ = seeds_build
    result = score(out / "cards.yaml", GOLD)
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip().endswith("problems 0")


def test_practice_set_scores_zero_problems(practice_build):
    out, _ = practice_build
    result = score(out / "cards.yaml", PRACTICE / "gold")
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip().endswith("problems 0")


@pytest.mark.parametrize("folder", [ROOT / "source", PRACTICE / "docs"], ids=["seeds", "practice"])
def test_every_nonblank_line_is_accounted_for_exactly_once(folder):
    """Each non-blank line is in a card, a topic line or dropped by a named rule."""
    need_shared(folder)
    results = [read_source(p, p.stem) for p in source_files(folder).files]
    cards, _ = deduplicate([c for r in results for c in r.cards])
    assert len(results) >= 4
    for r in results:
        acc = account(r.doc, r.extraction, spans_by_file(cards))
        assert acc.unaccounted == [], (acc.name, acc.unaccounted)
        assert acc.in_cards + acc.topics + acc.dropped_lines == acc.nonblank, acc
        assert acc.nonblank == sum(1 for line in (folder / acc.name).read_text(encoding="utf-8").split("\n")
                                   if line.strip(" \t\r")) or r.doc.kind == "html"


WILD = SHARED / "wild"


@pytest.mark.skipif(not WILD.is_dir(), reason="../shared/wild is not beside the project")
def test_wild_corpus_builds_cleanly(tmp_path):
    started = time.perf_counter()
    data = build_dir(WILD, tmp_path)
    elapsed = time.perf_counter() - started
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    files = sorted(p.name for p in WILD.iterdir() if p.suffix in {".md", ".txt", ".html"})
    for name in files:
        assert f"| {name} |" in report, name
    assert "| 06_interview-prepare-mianjing-gbk.txt | text | gb18030 |" in report
    assert "lines not accounted for" not in report
    assert elapsed < 45, f"wild build took {elapsed:.1f} s"  # about 8 s alone; the bound allows a busy CI
    by_file: dict[str, list[dict]] = {}
    for card in data["cards"]:
        by_file.setdefault(card["sources"][0]["file"], []).append(card)
    # lecture notes and an interview transcript are not Q&A: few or no cards reach the deck
    for name in ("29_andrewng-notes-week5-typora.html", "30_andrewng-notes-week7-svm.md",
                 "32_dlai-books-interview-transcript.html", "34_andrewng-notes-week4-typora.html"):
        assert sum(c["status"] == "ok" for c in by_file.get(name, [])) <= 3, name
    # chapters of questions yield them, with answers
    assert sum(c["status"] == "ok" for c in by_file["20_surya-cnn-qheadings-en.md"]) >= 90
    assert sum(c["status"] == "ok" for c in by_file["28_wethinkin-llm-basics-large.md"]) >= 80
    # placeholders are not answers
    assert not any(c["status"] == "ok" and c["answer"].strip() in {"- [ ] TODO", "TODO"} for c in data["cards"])
