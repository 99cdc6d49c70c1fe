"""`source/edits.yaml`: corrections a person makes to cards, keyed by card id, applied after
extraction, dedup and id assignment so that they survive every rebuild.

    c-7f3a2c:
      written_against: 3f9a1c2b   # fingerprint of the card when the edit was written
      answer: "…"                 # also: question, choices, correct, topic, tags, status
      merge: [c-11aa22]           # fold these cards into this one
      split:                      # or replace this card by several
        - {question: "…", answer: "…"}

An edit whose card has changed in the source since it was written still applies, and
the report flags it as stale. `python -m pipeline edit ID` prints a stub to start from."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

from .dedup import combine
from .ids import new_id
from .model import Card, Choice, PipelineError
from .status import assess
from .text import fold
from .yamlio import dump, line_of, load

EDITS = "edits.yaml"
_CHOICE = {"type": "object", "additionalProperties": False, "required": ["label", "text"],
           "properties": {"label": {"type": "string", "pattern": "^[A-H]$"}, "text": {"type": "string"}}}
_FIELDS = {
    "question": {"type": "string", "minLength": 1},
    "answer": {"type": "string"},
    "choices": {"type": "array", "items": _CHOICE},
    "correct": {"type": "array", "items": {"type": "string", "pattern": "^[A-H]$"}},
    "topic": {"type": "string", "minLength": 1},
    "tags": {"type": "array", "items": {"type": "string", "pattern": r"^\S+$"}},
    "status": {"enum": ["ok", "needs_answer", "needs_review", "dropped"]},
}
SCHEMA = {
    "type": ["object", "null"],
    "propertyNames": {"pattern": "^c-[a-z0-9-]+$"},
    "additionalProperties": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            **_FIELDS,
            "written_against": {"type": "string"},
            "note": {"type": "string"},
            "merge": {"type": "array", "items": {"type": "string", "pattern": "^c-[a-z0-9-]+$"}, "minItems": 1},
            "split": {"type": "array", "minItems": 2, "items": {
                "type": "object", "additionalProperties": False, "required": ["question"],
                "properties": _FIELDS}},
        },
    },
}


@dataclass(frozen=True)
class EditNote:
    card_id: str
    what: str  # "applied", "stale", "merged", "split"
    detail: str = ""


def fingerprint(card: Card) -> str:
    """What an edit was written against: the card's question and answer as extracted."""
    return hashlib.blake2b(fold(card.question + "\n" + card.answer).encode("utf-8"), digest_size=4).hexdigest()


def read_edits(source_dir: Path) -> tuple[dict, Path]:
    path = source_dir / EDITS
    if not path.exists():
        return {}, path
    return load(path, SCHEMA, shown=str(path)) or {}, path


def _patched(card: Card, edit: dict) -> Card:
    fields = {k: edit[k] for k in ("question", "answer", "topic", "tags", "correct") if k in edit}
    if "choices" in edit:
        fields["choices"] = [Choice(c["label"], c["text"]) for c in edit["choices"]]
        fields["type"] = card.type if card.type != "basic" else "choice"
    patched = replace(card, **fields)
    patched = assess(replace(patched, status="ok"))
    if "status" in edit:
        patched = replace(patched, status=edit["status"])
    return patched


def apply_edits(cards: list[Card], edits: dict, path: Path, taken: set[str]) -> tuple[list[Card], list[EditNote]]:
    """Apply every edit; an id that names no card stops the build with file and line."""
    by_id = {c.id: c for c in cards}
    aliases = {a: c.id for c in cards for a in c.alias_ids}
    for card_id in edits:
        targets = [card_id, *(edits[card_id] or {}).get("merge", [])]
        for k, target in enumerate(targets):
            if target not in by_id and target not in aliases:
                keys = [card_id] if k == 0 else [card_id, "merge", k - 1]
                raise PipelineError(str(path), f"no card has the id {target}", line_of(path, keys))
    notes: list[EditNote] = []
    gone: set[str] = set()
    for card_id, edit in edits.items():
        edit = edit or {}
        card = by_id[aliases.get(card_id, card_id)]
        if edit.get("written_against") and edit["written_against"] != fingerprint(card):
            notes.append(EditNote(card.id, "stale", "the source text changed since the edit was written"))
        for other_id in edit.get("merge", []):
            other = by_id[aliases.get(other_id, other_id)]
            card = combine(card, other)
            gone.add(other.id)
            notes.append(EditNote(card.id, "merged", other.id))
        card = _patched(card, edit)
        by_id[card.id] = card
        notes.append(EditNote(card.id, "applied", ", ".join(k for k in edit if k != "written_against")))
    out: list[Card] = []
    for card in cards:
        if card.id in gone:
            continue
        card = by_id[card.id]
        parts = (edits.get(card.id) or {}).get("split")
        if not parts:
            out.append(card)
            continue
        for part in parts:
            piece = _patched(replace(card, aliases=[], alias_ids=[]), part)
            piece = replace(piece, id=new_id(piece.question, taken))
            taken.add(piece.id)
            out.append(piece)
        out.append(replace(card, status="dropped", notes=[*card.notes, "split by an edit"]))
        notes.append(EditNote(card.id, "split", ", ".join(p.id for p in out[-len(parts) - 1:-1])))
    return out, notes


def stub(card: dict) -> str:
    """A ready-to-edit entry for one card of cards.yaml."""
    entry = {"written_against": card["fingerprint"] if "fingerprint" in card else "",
             "question": card["question"], "answer": card["answer"], "topic": card["topic"],
             "tags": card["tags"], "status": card["status"]}
    if card["choices"]:
        entry["choices"] = card["choices"]
        entry["correct"] = card["correct"]
    return "# Keep only the keys you change; see pipeline/edits.py for merge and split.\n" + dump({card["id"]: entry})
