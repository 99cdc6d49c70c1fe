"""build/cards.yaml: every card with its deck, tags and provenance, in source order."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import yaml

from .model import PIPELINE_VERSION, Card
from .yamlio import FastLoader, dump

_TAG_UNSAFE = re.compile(r"[\s\"'`]+")


def tag(text: str) -> str:
    return _TAG_UNSAFE.sub("_", text.strip()).strip("_:") or "untitled"


def place(card: Card, deck_root: str) -> Card:
    """Deck path and hierarchical tags from the card's topic and sources."""
    topic = card.topic.replace("::", "：").strip() or "未分类"
    sources = dict.fromkeys(Path(s.file).stem for s in card.sources)
    tags = [f"topic::{tag(topic)}", *(f"source::{tag(s)}" for s in sources)]
    tags += [t for t in card.tags if not t.startswith(("topic::", "source::")) and t not in tags]  # from edits
    return replace(card, deck=f"{deck_root}::{topic}", tags=tags)


def card_record(card: Card) -> dict:
    record = {
        "id": card.id,
        "type": card.type,
        "status": card.status,
        "question": card.question,
        "answer": card.answer,
        "choices": [{"label": c.label, "text": c.text} for c in card.choices],
        "correct": list(card.correct),
        "topic": card.topic,
        "tags": list(card.tags),
        "aliases": list(card.aliases),
        "sources": [{"file": s.file, "lines": [s.first, s.last]} for s in card.sources],
        "deck": card.deck,
        "layout": card.layout,
        "fingerprint": card.fingerprint,
    }
    if card.blanks:
        record["blanks"] = list(card.blanks)
    if card.alias_ids:
        record["alias_ids"] = list(card.alias_ids)
    if card.notes:
        record["notes"] = list(card.notes)
    return record


def cards_yaml(records: list[dict], deck_root: str, generated: str) -> str:
    return dump({"pipeline_version": PIPELINE_VERSION, "generated": generated, "deck_root": deck_root,
                 "cards": records})



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
