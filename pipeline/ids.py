"""Stable card ids and their registry (`source/card_ids.yaml`).

The registry maps each id to the folded questions it has carried. A rebuilt card takes
the id whose questions match its own or one of its aliases exactly, else the id of a
near match (the rule that merges duplicates: typo fixes and small rewordings keep the id).
A new question gets a new id derived from its text; an id is never given to another
question. Ids not seen in a build stay in the registry, marked with their last question."""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field, replace
from itertools import count
from pathlib import Path

from .dedup import candidate_pairs, why_same
from .model import Card
from .text import fold
from .yamlio import dump, load, write_atomic

REGISTRY_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "ids": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["questions"],
                "properties": {
                    "questions": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                    "topic": {"type": "string"},
                    "alias_of": {"type": "string"},
                    "seen": {"type": "boolean"},
                },
            },
        },
    },
}


@dataclass
class Registry:
    ids: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path, cache_dir: Path | None = None) -> "Registry":
        """The registry; a JSON copy in the cache, keyed by the file's content, saves the
        YAML parse and the schema check when the file has not changed."""
        if not path.exists():
            return cls()
        raw = path.read_bytes()
        cached = cache_dir / f"registry-{hashlib.blake2b(raw, digest_size=16).hexdigest()}.json" if cache_dir else None
        if cached is not None and cached.exists():
            return cls(json.loads(cached.read_text(encoding="utf-8")))
        data = load(path, REGISTRY_SCHEMA, shown=str(path), machine_written=True) or {}
        registry = cls(dict(data.get("ids") or {}))
        if cached is not None:
            for old in cache_dir.glob("registry-*.json"):
                old.unlink(missing_ok=True)
            write_atomic(cached, json.dumps(registry.ids, ensure_ascii=False))
        return registry

    def write(self, path: Path) -> None:
        header = "# Card id registry: written by the build, committed with the sources. Do not reuse ids.\n"
        write_atomic(path, header + dump({"ids": dict(sorted(self.ids.items()))}))


    def record(self, cards: list[Card]) -> None:
        """Register ids made after assignment (cards split by an edit)."""
        for card in cards:
            if card.id not in self.ids:
                self.ids[card.id] = {"questions": [card.question], "topic": card.topic, "seen": True}


def new_id(question: str, taken: set[str]) -> str:
    """A short id from the question's text; longer, then numbered, when already taken."""
    digest = base64.b32encode(hashlib.blake2b(fold(question).encode("utf-8"), digest_size=10).digest()).decode().lower()
    for size in range(6, len(digest) + 1):
        candidate = f"c-{digest[:size]}"
        if candidate not in taken:
            return candidate
    return next(f"c-{digest[:6]}-{n}" for n in count(2) if f"c-{digest[:6]}-{n}" not in taken)


def _near_matches(known: list[tuple[str, str, str]], cards: list[Card]) -> dict[int, list[str]]:
    """For each card (by position), the registry ids whose questions match it closely,
    found through the same candidate index that dedup uses."""
    if not cards or not known:
        return {}
    questions = [q for _, q, _ in known] + [c.question for c in cards]
    found: dict[int, list[str]] = {}
    for a, b in sorted(candidate_pairs(questions)):
        if a >= len(known) or b < len(known):
            continue  # only pairs of a registry question and a new card
        cid, q, topic = known[a]
        card = cards[b - len(known)]
        if why_same(q, topic, card.question, card.topic) and cid not in found.get(b - len(known), []):
            found.setdefault(b - len(known), []).append(cid)
    return found


def assign_ids(cards: list[Card], registry: Registry) -> tuple[list[Card], list[tuple[str, str]]]:
    """Give every card its id; return the cards and the (id, last question) of ids not seen."""
    by_fold: dict[str, str] = {}
    for card_id, entry in registry.ids.items():
        for q in entry["questions"]:
            by_fold.setdefault(fold(q), entry.get("alias_of") or card_id)
    used: set[str] = set()
    out: list[Card] = []
    pending: list[int] = []
    for card in cards:
        exact = [by_fold[f] for f in (fold(q) for q in [card.question, *card.aliases]) if f in by_fold]
        exact = [i for i in exact if i not in used]
        out.append(replace(card, id=exact[0], alias_ids=[i for i in dict.fromkeys(exact[1:]) if i != exact[0]]) if exact else card)
        if exact:
            used.update(exact)
        else:
            pending.append(len(out) - 1)
    known = [(cid, q, entry.get("topic", "")) for cid, entry in registry.ids.items()
             if not entry.get("alias_of") for q in entry["questions"]]
    near = _near_matches(known, [out[pos] for pos in pending])
    taken = set(registry.ids) | used
    for k, pos in enumerate(pending):
        card = out[pos]
        card_id = next((cid for cid in near.get(k, []) if cid not in used), None) or new_id(card.question, taken)
        used.add(card_id)
        taken.add(card_id)
        out[pos] = replace(card, id=card_id)
    for card in out:
        entry = registry.ids.setdefault(card.id, {"questions": []})
        for q in [card.question, *card.aliases]:
            if q not in entry["questions"]:
                entry["questions"].append(q)
        entry["topic"] = card.topic
        entry["seen"] = True
        for alias in card.alias_ids:
            registry.ids.setdefault(alias, {"questions": [card.question]})["alias_of"] = card.id
    gone = []
    seen_ids = {c.id for c in out} | {a for c in out for a in c.alias_ids}
    for card_id, entry in registry.ids.items():
        if card_id not in seen_ids:
            entry["seen"] = False
            if not entry.get("alias_of"):
                gone.append((card_id, entry["questions"][-1]))
    return out, gone
