"""`make bench`: the review page of a 13,000-card corpus: its index stays under 2 MB (each
source on a page of its own, opened on demand) and how long the page takes. REVIEW_DOCUMENTS
sets the corpus size (about 49 cards a document)."""
from __future__ import annotations

import os
import time
from dataclasses import replace

import pytest

from pipeline import dedup, edits, report, review, status
from pipeline.__main__ import read_source
from pipeline.ids import Registry, assign_ids
from pipeline.output import place

from synth import generate

DOCUMENTS = int(os.environ.get("REVIEW_DOCUMENTS", "270"))
INDEX_LIMIT = 2 * 2**20


@pytest.mark.slow
def test_review_page_of_a_large_corpus(tmp_path):
    src, out = tmp_path / "corpus", tmp_path / "build"
    generate(src, DOCUMENTS)
    results = [read_source(path, path.stem) for path in sorted(src.iterdir())]
    cards, _ = dedup.deduplicate([c for r in results for c in r.cards])
    cards, _ = assign_ids([status.assess(c) for c in cards], Registry())
    cards = [place(replace(c, fingerprint=edits.fingerprint(c)), "bench", {}) for c in cards]
    spans = report.spans_by_file(cards)
    accounts = [report.account(r.doc, r.extraction, spans) for r in results]
    started = time.perf_counter()
    page = review.collect(results, cards, accounts, [])
    collected = time.perf_counter() - started
    index = review.write(page, out)
    written = time.perf_counter() - started - collected
    pages = [p for p in index.parent.iterdir() if p != index]
    size = index.stat().st_size
    print(f"\n| measure | value |\n| --- | --- |\n| documents / cards | {DOCUMENTS} / {len(cards)} |\n"
          f"| review: content / pages written | {collected:.1f} s / {written:.1f} s |\n"
          f"| index / largest source page | {size / 2**20:.2f} MB / "
          f"{max(p.stat().st_size for p in pages) / 2**20:.2f} MB ({len(pages)} pages) |")
    assert len(cards) >= 13_000 or DOCUMENTS != 270
    assert size < INDEX_LIMIT and len(pages) == DOCUMENTS
