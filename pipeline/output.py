"""build/cards.yaml: every card with its deck, tags and provenance, in source order; the
order cards are studied in (deck and sheets) and how their provenance reads."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import yaml

from .cache import Fragments
from .model import CARD_KEYS, OPTIONAL_KEYS, PIPELINE_VERSION, Card
from .yamlio import FastLoader, dump

_TAG_UNSAFE = re.compile(r"[\s\"'`]+")


def tag(text: str) -> str:
    return _TAG_UNSAFE.sub("_", text.strip()).strip("_:") or "untitled"


UNSORTED = "未分类"  # the topic of a card that has none


def document_title(file: str, titles: dict[str, str]) -> str:
    """How a person names a source: its title in sources.yaml, else its file name."""
    return titles.get(file) or file


def provenance(card: Card, titles: dict[str, str]) -> str:
    """The card's sources as a person reads them: `title:96` for one line, `title:96-120`
    for a span, joined by "; " (`titles` maps file names to sources.yaml titles)."""
    return "; ".join(f"{document_title(s.file, titles)}:{s.first}" + (f"-{s.last}" if s.last != s.first else "")
                     for s in card.sources)


def place(card: Card, deck_root: str, titles: dict[str, str]) -> Card:
    """The card's deck (the root deck: one deck, so that Anki's new-card queue follows the
    study order, see study_order) and hierarchical tags from its topic and its documents'
    titles (`titles`, file name -> title; the file name when it has none)."""
    topic = card.topic.replace("::", "：").strip() or UNSORTED
    sources = dict.fromkeys(document_title(s.file, titles) for s in card.sources)
    tags = [f"topic::{tag(topic)}", *(f"source::{tag(s)}" for s in sources)]
    tags += [t for t in card.tags if not t.startswith(("topic::", "source::")) and t not in tags]  # from edits
    return replace(card, deck=deck_root, tags=tags)


def by_topic(cards: list[Card]) -> dict[str, list[Card]]:
    """Cards grouped by topic: topics in the order they first appear, each topic's cards in
    source order. The sheets print this order and the deck's new cards come in it."""
    groups: dict[str, list[Card]] = {}
    for card in cards:
        groups.setdefault(card.topic or UNSORTED, []).append(card)
    return groups


def study_order(cards: list[Card]) -> list[Card]:
    """`cards` in the order of by_topic, flat."""
    return [card for group in by_topic(cards).values() for card in group]


def card_record(card: Card) -> dict:
    """A card as cards.yaml writes it: keys in CARD_KEYS order (what a reviewer reads first
    comes first, bookkeeping last), the optional ones only when they hold something."""
    record = {
        "id": card.id,
        "type": card.type,
        "status": card.status,
        "topic": card.topic,
        "question": card.question,
        "choices": [{"label": c.label, "text": c.text} for c in card.choices],
        "correct": list(card.correct),
        "blanks": list(card.blanks),
        "answer": card.answer,
        "notes": list(card.notes),
        "aliases": list(card.aliases),
        "alias_ids": list(card.alias_ids),
        "tags": list(card.tags),
        "deck": card.deck,
        "sources": [{"file": s.file, "lines": [s.first, s.last]} for s in card.sources],
        "layout": card.layout,
        "fingerprint": card.fingerprint,
    }
    return {key: record[key] for key in CARD_KEYS if key not in OPTIONAL_KEYS or record[key]}


YAML_RUN = 100  # records cards.yaml writes, and keeps in build/cache, at a time


def cards_yaml(records: list[dict], deck_root: str, generated: str, kept: Fragments | None = None) -> str:
    """The text of cards.yaml (yamlio.dump: multi-line text in block style), its records
    written in runs of YAML_RUN: a run that `kept` holds (by the digest of its records) is
    not written again."""
    head = {"pipeline_version": PIPELINE_VERSION, "generated": generated, "deck_root": deck_root}
    runs = []
    for start in range(0, len(records), YAML_RUN):
        run = records[start:start + YAML_RUN]
        key = Fragments.key(run)
        found = kept.get(key) if kept is not None else None
        runs.append(found[0] if found is not None else dump(run))
        if kept is not None and found is None:
            kept.put(key, runs[-1])
    # a run is the list's text as the whole file holds it, unless it is empty or ends with the
    # document end marker (after a block scalar that keeps its last line breaks)
    if not runs or any(run.endswith("...\n") for run in runs):
        return dump({**head, "cards": records})
    return dump(head) + "cards:\n" + "".join(runs)


def read_cards(path: Path) -> list[dict] | None:
    """The cards of an earlier build, from its cards.yaml or the JSON copy the build keeps
    next to it (a `.json` path); None when there is none or it does not parse."""
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            return json.loads(text)
        return (yaml.load(text, Loader=FastLoader) or {}).get("cards") or []
    except (OSError, ValueError, yaml.YAMLError, AttributeError):
        return None
