"""`source/edits.yaml`: corrections a person makes to cards, keyed by card id, applied after
extraction, dedup and id assignment so that they survive every rebuild.

    c-7f3a2c:
      written_against: 3f9a1c2b   # fingerprint of the card when the edit was written
      answer: "…"                 # also: question, choices, correct, blanks, topic, tags, status
      merge: [c-11aa22]           # fold these cards into this one
      split:                      # or replace this card by several
        - {question: "…", answer: "…"}
    new:                          # cards made from source lines no card took
      - {file: a.md, lines: [12, 15], topic: "…", question: "…", answer: "…"}

An edit whose card has changed in the source since it was written still applies, and
the report flags it as stale. `python -m pipeline edit ID` prints a stub to start from."""
from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass, replace
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from .choices import INFERRED_KEY
from .dedup import combine
from .ids import Registry
from .model import Card, Choice, PipelineError, SourceSpan, shorten
from .stamps import CACHE
from .status import EMPTY_ANSWER, LABEL_FRONT, TEMPLATE_BLANK, assess
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
    "blanks": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
    "topic": {"type": "string", "minLength": 1},
    "tags": {"type": "array", "items": {"type": "string", "pattern": r"^\S+$"}},
    "status": {"enum": ["ok", "needs_answer", "needs_review", "dropped"]},
}
NEW = "new"  # the key of the list of new cards (no card id has this form)
SCHEMA = {
    "type": ["object", "null"],
    "propertyNames": {"pattern": f"^(c-[a-z0-9-]+|{NEW})$"},
    "properties": {NEW: {"type": "array", "items": {
        "type": "object", "additionalProperties": False, "required": ["file", "lines", "topic", "question"],
        "properties": {**_FIELDS, "file": {"type": "string", "minLength": 1},
                       "lines": {"type": "array", "items": {"type": "integer", "minimum": 1},
                                 "minItems": 2, "maxItems": 2}}}}},
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
    what: str  # "applied", "stale", "merged", "split", "new"
    detail: str = ""


def fingerprint(card: Card) -> str:
    """What an edit was written against: the card's question and answer as extracted."""
    return hashlib.blake2b(fold(card.question + "\n" + card.answer).encode("utf-8"), digest_size=4).hexdigest()


def read_edits(source_dir: Path, build_dir: Path | None = None) -> tuple[dict, Path]:
    """The entries of `source_dir`/edits.yaml (none when there is none) and its path; with
    `build_dir`, an unchanged file is taken from the copy its last read left in the build's
    cache (yamlio.load). PipelineError with file and line for bad YAML or a bad entry."""
    path = source_dir / EDITS
    if not path.exists():
        return {}, path
    return load(path, SCHEMA, shown=str(path), kept=build_dir / CACHE if build_dir else None) or {}, path


def _patched(card: Card, edit: dict) -> Card:
    fields = {k: edit[k] for k in ("question", "answer", "topic", "tags", "correct", "blanks") if k in edit}
    if "choices" in edit:
        fields["choices"] = [Choice(c["label"], c["text"]) for c in edit["choices"]]
        fields["type"] = card.type if card.type != "basic" else "choice"
    if "blanks" in edit:  # the keys of a sentence with blanks: a cloze card
        fields["type"] = "cloze"
    if "correct" in edit:  # a person stated the key: it is no longer the build's guess
        fields["notes"] = [n for n in card.notes if n != INFERRED_KEY]
    if "answer" in edit:  # a person wrote the answer: it is no template's blank
        fields["notes"] = [n for n in fields.get("notes", card.notes) if n not in (TEMPLATE_BLANK, EMPTY_ANSWER)]
    if "question" in edit:  # a person wrote the question: it is no label
        fields["notes"] = [n for n in fields.get("notes", card.notes) if n != LABEL_FRONT]
    patched = replace(card, **fields)
    patched = assess(replace(patched, status="ok"))
    if "status" in edit:
        patched = replace(patched, status=edit["status"])
    return patched


def _order(edits: dict, by_id: dict[str, Card], aliases: dict[str, str], path: Path) -> list[tuple[str, str]]:
    """The edited cards as (card id, key of its entry), each after the cards merged into
    it (so that a card's own edit is in what it brings); PipelineError with the line of the entry at fault
    for an unknown id, two entries for one card, a card merged into itself, into two
    cards or in a cycle, and a split of a card that is merged away."""
    def card_of(card_id: str, keys: list) -> str:
        if card_id not in by_id and card_id not in aliases:
            raise PipelineError(str(path), f"no card has the id {shorten(card_id)}", line_of(path, keys))
        return aliases.get(card_id, card_id)

    entry_of: dict[str, str] = {}  # card id -> the key of its entry
    merged_into: dict[str, tuple[str, int]] = {}  # card id -> (entry it is merged by, index in that merge list)
    graph: dict[str, list[str]] = {}  # card id -> cards merged into it
    for key, edit in edits.items():
        card_id = card_of(key, [key])
        if card_id in entry_of:
            raise PipelineError(str(path), f"{key} and {entry_of[card_id]} are the same card: give it one entry",
                                line_of(path, [key]))
        entry_of[card_id] = key
        graph[card_id] = []
        for k, other_key in enumerate((edit or {}).get("merge", [])):
            other = card_of(other_key, [key, "merge", k])
            if other == card_id:
                raise PipelineError(str(path), f"{key} cannot be merged into itself"
                                    + (f" ({other_key} is its alias)" if other_key != key else ""),
                                    line_of(path, [key, "merge", k]))
            if other in merged_into:
                first, _ = merged_into[other]
                raise PipelineError(str(path), f"{other_key} is merged twice ({first} merges it too)",
                                    line_of(path, [key, "merge", k]))
            merged_into[other] = (key, k)
            graph[card_id].append(other)
    for card_id, (key, _) in merged_into.items():
        split = (edits.get(entry_of.get(card_id, "")) or {}).get("split")
        if split:
            raise PipelineError(str(path), f"{entry_of[card_id]} is merged into {key}, so it cannot be split "
                                "(split the card it is merged into, or do not merge it)",
                                line_of(path, [entry_of[card_id], "split"]))
    try:
        return [(c, entry_of[c]) for c in TopologicalSorter(graph).static_order() if c in entry_of]
    except CycleError as exc:
        cycle = exc.args[1][:-1]  # each card merged into one card, so the cycle runs through merged_into
        key, k = merged_into[cycle[0]]
        raise PipelineError(str(path), "merges form a cycle, which would delete every card in it: "
                            + "; ".join(f"{merged_into[c][0]} merges {entry_of[c]}" for c in cycle),
                            line_of(path, [key, "merge", k])) from None


def apply_edits(cards: list[Card], edits: dict, path: Path, registry: Registry,
                sources: Collection[str] | None = None) -> tuple[list[Card], list[EditNote]]:
    """Apply every edit of `edits` (read from `path`) to `cards`, and add its `new` cards;
    the cards a split or `new` makes get their ids from `registry` (the same ids build
    after build). `sources` are the build's source names: when given, a new card must
    name one of them. Return the cards and what each edit did. Bad edits stop the build
    with file and line (see _order): no edit loses a card."""
    added = edits.get(NEW) or []
    edits = {k: v for k, v in edits.items() if k != NEW}
    by_id = {c.id: c for c in cards}
    aliases = {a: c.id for c in cards for a in c.alias_ids}
    order = _order(edits, by_id, aliases, path)
    entry_of = dict(order)
    notes: list[EditNote] = []
    gone: set[str] = set()
    in_use = set(by_id) | set(aliases)
    for card_id, key in order:
        edit = edits[key] or {}
        card = by_id[card_id]
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
        parts = (edits.get(entry_of.get(card.id, "")) or {}).get("split")
        if not parts:
            out.append(card)
            continue
        for part in parts:
            piece = _patched(replace(card, aliases=[], alias_ids=[]), part)
            piece = replace(piece, id=registry.piece_id(card.id, piece, in_use))
            in_use.add(piece.id)
            out.append(piece)
        out.append(replace(card, status="dropped", notes=[*card.notes, "split by an edit"]))
        notes.append(EditNote(card.id, "split", ", ".join(p.id for p in out[-len(parts) - 1:-1])))
    for k, entry in enumerate(added):
        card = _new_card(entry, path, k, sources)
        card = replace(card, id=registry.piece_id(NEW, card, in_use))
        in_use.add(card.id)
        out.insert(_place_of(out, card.sources[0]), card)
        notes.append(EditNote(card.id, "new", f"{entry['file']}:{entry['lines'][0]}–{entry['lines'][1]}"))
    return out, notes


def _new_card(entry: dict, path: Path, k: int, sources: Collection[str] | None) -> Card:
    """The card a `new` entry makes (the k-th); PipelineError with its line for a source
    the build does not have or lines that run backwards."""
    first, last = entry["lines"]
    if sources is not None and entry["file"] not in sources:
        raise PipelineError(str(path), f"new card: no source is named {shorten(entry['file'])}",
                            line_of(path, [NEW, k, "file"]))
    if first > last:
        raise PipelineError(str(path), f"new card: lines [{first}, {last}] run backwards", line_of(path, [NEW, k, "lines"]))
    card = Card(question=entry["question"], answer="", topic=entry["topic"],
                sources=[SourceSpan(entry["file"], first, last)], layout="edit", notes=["made by an edit"])
    return _patched(card, {key: v for key, v in entry.items() if key not in ("file", "lines")})


def _place_of(cards: list[Card], span: SourceSpan) -> int:
    """Where a new card goes so that cards stay in source order: after the last card of its
    file that starts above it, else before the first card of its file, else at the end."""
    same = [i for i, c in enumerate(cards) if c.sources[0].file == span.file]
    above = [i for i in same if cards[i].sources[0].first <= span.first]
    return above[-1] + 1 if above else same[0] if same else len(cards)


def stub(card: dict) -> str:
    """A ready-to-edit entry for one card of cards.yaml."""
    entry = {"written_against": card["fingerprint"] if "fingerprint" in card else "",
             "question": card["question"], "answer": card["answer"], "topic": card["topic"],
             "tags": card["tags"], "status": card["status"]}
    if card["choices"]:
        entry["choices"] = card["choices"]
        entry["correct"] = card["correct"]
    if card.get("blanks"):
        entry["blanks"] = card["blanks"]
    return "# Keep only the keys you change; see pipeline/edits.py for merge and split.\n" + dump({card["id"]: entry})


def new_card_stub(file: str, first: int, last: int, lines: list[str], topic: str) -> str:
    """A ready-to-edit `new` entry making a card of source lines `first`–`last` of `file`
    (their texts `lines`): the first line as the question, the others as the answer."""
    entry = {"file": file, "lines": [first, last], "topic": topic,
             "question": (lines[0] if lines else "").strip() or "…", "answer": "\n".join(lines[1:]).strip()}
    return (f"# A card from {shorten(file, 60)}:{first}–{last}, text no card took. Edit the question and answer;\n"
            f"# put the item under the one `{NEW}:` list of source/edits.yaml.\n" + dump({NEW: [entry]}))
