"""Extraction pinned by fixture files, the way markdown-it-py pins its block rules with spec
examples: each case in tests/fixtures/*.yaml is an input document and the cards a careful
reader would make of it (question, answer, status), in document order, after deduplication.
A quiz card also gives what it must be: `type`, `choices` (label and text), `correct`,
`blanks`; a case that names none of them for a card expects a basic card. A card that gives
its `topic` must carry that topic."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline import status
from pipeline.__main__ import read_source
from pipeline.dedup import deduplicate

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CASES = [(path.stem, case) for path in sorted(FIXTURES.glob("*.yaml"))
         for case in yaml.safe_load(path.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("case", [c for _, c in CASES], ids=[f"{stem}: {c['name']}" for stem, c in CASES])
def test_fixture(case, tmp_path):
    source = tmp_path / case["file"]
    source.write_text(case["input"], encoding="utf-8")
    cards, _ = deduplicate(read_source(source, source.stem).cards)
    cards = [status.assess(c) for c in cards]
    got = [(c.question, c.answer, c.status, c.type, [{"label": o.label, "text": o.text} for o in c.choices],
            c.correct, c.blanks) for c in cards]
    want = [(c["q"], c["a"], c.get("status", "ok"), c.get("type", "basic"), c.get("choices", []), c.get("correct", []),
             c.get("blanks", [])) for c in case["cards"]]
    assert got == want
    for card, expected in zip(cards, case["cards"], strict=True):
        assert card.topic == expected.get("topic", card.topic)
