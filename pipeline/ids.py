"""Stable card ids and their registry (`source/card_ids.yaml`).

The registry maps each id to the questions it has carried. A question is told apart as
dedup tells exact repeats apart: by its folded text, its card type and, for a short
question, its topic; each such question belongs to one id (an alias id points to the id
it was merged into). A rebuilt card takes the id that holds one of its questions, else the
id holding the same text under another topic or type (a renamed heading), else the id of
a near match (the rule that merges duplicates: typo fixes and small rewordings keep the
id). A new question gets a new id derived from its text; an id is never given to another
question. Ids not seen in a build stay in the registry, marked with their last question.

A registry that gives one question to two ids, or names an id twice, is refused: the
build would give one of those ids to another card and overwrite its Anki note. A missing
registry is rebuilt from the last build's cards, so that reworded cards keep their ids.

Each id also keeps the fingerprint of its Anki note's content and the time that content
last changed (`note_time`): the deck gives a note that time as its modification time, so
that Anki, which updates a note only from a newer one, leaves unchanged notes (and what
the user wrote in them) alone."""
from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field, replace
from itertools import count
from pathlib import Path

from .dedup import SHORT, candidate_pairs, why_same
from .model import CARD_TYPES, Card, PipelineError, shorten
from .output import read_cards
from .text import fold
from .stamps import CACHE
from .yamlio import REGISTRY_LIMIT, dump, keep_parsed, kept_parsed, line_in, parse, read_text, write_atomic

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
                    "type": {"enum": [t for t in CARD_TYPES if t != "basic"]},  # absent for a basic card
                    "alias_of": {"type": "string"},
                    "split_of": {"type": "string"},  # a piece of that card, made by a split in edits.yaml
                    "seen": {"type": "boolean"},
                    "content": {"type": "string"},  # fingerprint of the Anki note's fields and tags
                    "modified": {"type": "integer", "minimum": 0},  # when that content first appeared (Unix s)
                },
            },
        },
    },
}
LAST_BUILD = (".cards.json", "cards.yaml")  # in the build folder, written by every build: ids to recover
_STRINGS = {"type": "array", "items": {"type": "string"}}
_RECOVERABLE = {"type": "array", "items": {  # what recovery reads of those cards
    "type": "object", "required": ["id", "question"],
    "properties": {"id": {"type": "string"}, "question": {"type": "string"}, "aliases": _STRINGS, "alias_ids": _STRINGS,
                   "topic": {"type": "string"}, "type": {"enum": list(CARD_TYPES)}}}}
REGISTRY = "registry"  # the name of its parsed copy in build/cache (yamlio.keep_parsed)


def _recoverable(cards: list) -> bool:
    import jsonschema  # here: only a build whose registry is missing needs it (50 ms of imports)

    return jsonschema.Draft202012Validator(_RECOVERABLE).is_valid(cards)

Key = tuple[str, str, str]  # card type, folded question, folded topic of a short question


def question_key(question: str, topic: str, kind: str) -> Key:
    """What tells one question from another, as dedup groups exact repeats."""
    folded = fold(question)
    return kind, folded, fold(topic) if len(folded) < SHORT else ""


def _keys(entry: dict) -> list[Key]:
    """The keys of an entry's questions; none for a piece of a split, which is found by its
    card and its edit, never by its text (a piece may repeat the question it was split from)."""
    if entry.get("split_of"):
        return []
    return [question_key(q, entry.get("topic", ""), entry.get("type", "basic")) for q in entry["questions"]]


def _carry(entry: dict, card: Card) -> None:
    """Record in a registry entry that `card` carries its id in this build."""
    entry.pop("alias_of", None)  # the id of a card is nobody's alias
    entry["questions"] += [q for q in dict.fromkeys([card.question, *card.aliases]) if q not in entry["questions"]]
    entry["topic"] = card.topic
    if card.type != "basic":
        entry["type"] = card.type
    else:
        entry.pop("type", None)
    entry["seen"] = True


def _owner(ids: dict[str, dict], card_id: str) -> str:
    """The id that `card_id` stands for: itself, or the end of its chain of `alias_of`."""
    seen = {card_id}
    while (target := ids.get(card_id, {}).get("alias_of")) and target not in seen:
        seen.add(target)
        card_id = target
    return card_id


@dataclass
class Registry:
    ids: dict[str, dict] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # for stderr and the report

    @classmethod
    def read(cls, path: Path, build_dir: Path | None = None) -> "Registry":
        """The registry at `path`, checked (PipelineError with file and line: bad YAML, a
        duplicate id, one question under two ids, over REGISTRY_LIMIT). A JSON copy in
        `build_dir`/cache, keyed by the file's content and the code, saves the parse and
        the checks when the file has not changed. When `path` is missing and `build_dir`
        holds a build, the ids are recovered from its cards, with a warning."""
        if not path.exists():
            return cls._recovered(path, build_dir) if build_dir is not None else cls()
        text = read_text(path, REGISTRY_LIMIT)
        # a damaged copy is no copy: the file itself is read
        if build_dir is not None and isinstance(ids := kept_parsed(build_dir / CACHE, REGISTRY, text), dict):
            return cls(ids)
        data = parse(text, str(path), REGISTRY_SCHEMA) or {}
        registry = cls(dict(data.get("ids") or {}))
        registry._check(text, str(path))
        if build_dir is not None:
            keep_parsed(build_dir / CACHE, REGISTRY, text, registry.ids)
        return registry

    @classmethod
    def _recovered(cls, path: Path, build_dir: Path) -> "Registry":
        """Ids from the last build's cards: each card's id with its question and aliases,
        and the ids merged into it."""
        for name in LAST_BUILD:
            cards = read_cards(build_dir / name)
            if cards and _recoverable(cards):
                break
        else:
            return cls()
        registry = cls()
        for card in cards:
            entry = registry.ids.setdefault(card["id"], {"questions": []})
            entry["questions"] += [q for q in [card["question"], *card.get("aliases", [])] if q not in entry["questions"]]
            entry["topic"] = card.get("topic", "")
            if card.get("type", "basic") != "basic":
                entry["type"] = card["type"]
            for alias in card.get("alias_ids", []):
                registry.ids.setdefault(alias, {"questions": [card["question"]], "alias_of": card["id"]})
        registry.warnings.append(f"{path} is missing: the ids of {len(cards)} cards were recovered from the last "
                                 f"build ({build_dir / name}); the registry is written again")
        return registry

    def _check(self, text: str, name: str) -> None:
        """Refuse one question under two ids that are not aliases of each other."""
        first: dict[Key, tuple[str, str]] = {}
        for card_id, entry in self.ids.items():
            owner = _owner(self.ids, card_id)
            for n, key in enumerate(_keys(entry)):
                other_owner, other_id = first.setdefault(key, (owner, card_id))
                if other_owner != owner:
                    raise PipelineError(
                        name, f"the question {shorten(entry['questions'][n])!r} is under two ids, "
                        f"{shorten(other_id)} and {shorten(card_id)}: keep it under one (or mark one `alias_of` the other)",
                        line_in(text, ["ids", card_id, "questions", n]))

    def _settle(self, claims: dict[Key, str]) -> None:
        """Leave each question under one id, so that the registry written passes _check:
        a question goes to the id of the card that carries it now (`claims`), else stays
        with an id that has no other question, else with the first id holding it. An id
        left with no question of its own becomes an alias of the id that took them."""
        holders: dict[Key, list[str]] = {}
        for card_id, entry in self.ids.items():
            for key in _keys(entry):
                holders.setdefault(key, []).append(card_id)
        keeper: dict[Key, str] = {}
        for key, ids in holders.items():
            owners = list(dict.fromkeys(_owner(self.ids, i) for i in ids))
            if len(owners) > 1:
                alone = [_owner(self.ids, i) for i in ids if len(self.ids[i]["questions"]) == 1]
                keeper[key] = claims.get(key) or (alone or owners)[0]
        for card_id, entry in self.ids.items():
            if entry.get("split_of"):
                continue
            owner = _owner(self.ids, card_id)
            kept = [q for q, key in zip(entry["questions"], _keys(entry), strict=True) if keeper.get(key, owner) == owner]
            if kept:
                entry["questions"] = kept
            else:
                entry["alias_of"] = keeper[_keys(entry)[0]]

    def write(self, path: Path, build_dir: Path | None = None) -> None:
        """Write the registry to `path`; with `build_dir`, keep in its cache what reading
        the file back gives, so that the next build does not parse it (a registry changes
        with every edit: the note times)."""
        header = "# Card id registry: written by the build, committed with the sources. Do not reuse ids.\n"
        fields = REGISTRY_SCHEMA["properties"]["ids"]["additionalProperties"]["properties"]
        ids = {card_id: {k: entry[k] for k in fields if k in entry} for card_id, entry in sorted(self.ids.items())}
        text = header + dump({"ids": ids})
        write_atomic(path, text)
        if build_dir is not None:
            try:
                Registry(ids)._check(text, str(path))
            except PipelineError:
                return  # the next build reads the file, and says what is wrong with it
            keep_parsed(build_dir / CACHE, REGISTRY, text, ids)

    def note_time(self, card_id: str, content: str, now: float) -> int:
        """The modification time of the note of `card_id` whose content has the fingerprint
        `content`: the time recorded with that fingerprint, else `now` (recorded with it).
        Whole seconds, as Anki compares them. An id the registry does not hold gets `now`."""
        entry = self.ids.get(card_id)
        if entry is None:
            return int(now)
        if entry.get("content") != content or "modified" not in entry:
            entry["content"], entry["modified"] = content, int(now)
        return entry["modified"]

    def piece_id(self, parent: str, piece: Card, in_use: set[str]) -> str:
        """The id of `piece`, a card split from card `parent` by an edit, registered: the id
        the same piece had in an earlier build (same card, same question), else a new one."""
        folded = fold(piece.question)
        earlier = (i for i, entry in self.ids.items() if entry.get("split_of") == parent and i not in in_use
                   and folded in map(fold, entry["questions"]))
        piece_id = next(earlier, None) or new_id(piece.question, set(self.ids) | in_use)
        entry = self.ids.setdefault(piece_id, {"questions": []})
        _carry(entry, piece)
        entry["split_of"] = parent
        return piece_id


def new_id(question: str, taken: set[str]) -> str:
    """A short id from the question's text; longer, then numbered, when already taken."""
    digest = base64.b32encode(hashlib.blake2b(fold(question).encode("utf-8"), digest_size=10).digest()).decode().lower()
    for size in range(6, len(digest) + 1):
        candidate = f"c-{digest[:size]}"
        if candidate not in taken:
            return candidate
    return next(f"c-{digest[:6]}-{n}" for n in count(2) if f"c-{digest[:6]}-{n}" not in taken)


# a question's number or label that an older front kept ("1: ", "Q2 ", "2.1、", "问题3："); the text
# after it is the question
_OLD_LABEL = re.compile(r"^\s*+(?:(?:Q(?:uestion)?|问题|题目|第)?\s*+\d{1,3}(?:\.\d{1,3})*+\s*+题?\s*+[:：.．、)）]"
                        r"|Q\d{1,3}\s)\s*+(?=\S)", re.I)


def _unlabelled(question: str) -> str | None:
    """The folded text of a registry question after a number or label it kept, or None when
    it has none: so that a front that lost it ("1: Explain backprop…" → "Explain backprop…")
    keeps its card's id."""
    m = _OLD_LABEL.match(question)
    return fold(question[m.end():]) if m and len(fold(question[m.end():])) >= 4 else None


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
    ids = registry.ids
    holder: dict[Key, str] = {}
    by_text: dict[str, list[str]] = {}
    for card_id, entry in ids.items():
        owner = _owner(ids, card_id)
        for key in _keys(entry):
            holder.setdefault(key, owner)
            by_text.setdefault(key[1], []).append(owner)
        if not entry.get("split_of"):
            for question in entry["questions"]:
                if (bare := _unlabelled(question)) is not None:
                    by_text.setdefault(bare, []).append(owner)
    keys = [[question_key(q, c.topic, c.type) for q in [c.question, *c.aliases]] for c in cards]
    used: set[str] = set()
    out: list[Card | None] = [None] * len(cards)
    for pos, card in enumerate(cards):  # the id holding one of the card's questions; the others merged into it
        exact = [i for i in dict.fromkeys(holder[k] for k in keys[pos] if k in holder) if i not in used]
        if exact:
            out[pos] = replace(card, id=exact[0], alias_ids=exact[1:])
            used.update(exact)
    for pos, card in enumerate(cards):  # the same text under another topic or type: a renamed heading
        if out[pos] is None:
            # (or the text an older front had after a number or label: "1: Explain …" is "Explain …" now)
            same_text = next((i for k in keys[pos] for i in by_text.get(k[1], []) if i not in used), None)
            if same_text is not None:
                out[pos] = replace(card, id=same_text)
                used.add(same_text)
    pending = [pos for pos, card in enumerate(out) if card is None]
    known = [(cid, q, entry.get("topic", "")) for cid, entry in ids.items()
             if not entry.get("alias_of") and not entry.get("split_of") for q in entry["questions"]]
    near = _near_matches(known, [cards[pos] for pos in pending])
    taken = set(ids) | used
    for k, pos in enumerate(pending):
        card = cards[pos]
        card_id = next((cid for cid in near.get(k, []) if cid not in used), None) or new_id(card.question, taken)
        used.add(card_id)
        taken.add(card_id)
        out[pos] = replace(card, id=card_id)
    assigned: list[Card] = [c for c in out if c is not None]
    for card in assigned:
        _carry(ids.setdefault(card.id, {"questions": []}), card)
        for alias in card.alias_ids:
            ids.setdefault(alias, {"questions": [card.question]})["alias_of"] = card.id
    registry._settle({k: card.id for card, card_keys in zip(assigned, keys, strict=True) for k in card_keys})
    gone = []
    seen_ids = {c.id for c in assigned} | {a for c in assigned for a in c.alias_ids}
    for card_id, entry in ids.items():
        if card_id not in seen_ids:
            entry["seen"] = False  # a piece of a split is seen again when its edit applies (piece_id)
            if not entry.get("alias_of") and entry.get("split_of") not in seen_ids:
                gone.append((card_id, entry["questions"][-1]))
    return assigned, gone
