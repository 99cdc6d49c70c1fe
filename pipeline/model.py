"""The records every stage passes on, and the JSON Schema of build/cards.yaml."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

PIPELINE_VERSION = "1"

# basic: question and answer; choice and truefalse: options with a key; cloze: a sentence
# with blanks, filled by `blanks` in order
CardType = Literal["basic", "choice", "truefalse", "cloze"]
CARD_TYPES: tuple[str, ...] = get_args(CardType)


class PipelineError(Exception):
    """Bad input: the message names the file (and line) and what is wrong."""

    def __init__(self, path: str, message: str, line: int | None = None):
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple:
        # raised in a pool worker (a sheet's writer), it is pickled back to the build
        return type(self), (self.path, self.message, self.line)


def shorten(text: str, size: int = 80) -> str:
    """`text` on one line and at most `size` characters, cut with an ellipsis: what an
    error message or the report may quote of a value that could be any length."""
    text = " ".join(text.split())
    return text if len(text) <= size else text[:size - 1] + "…"


@dataclass(frozen=True)
class SourceLine:
    """One line of text with the number it had in its source file."""

    number: int
    text: str


@dataclass
class Document:
    """A decoded source file: its lines, as text or as Markdown rendered from HTML."""

    name: str
    kind: str  # "text", "markdown" or "html"
    lines: list[SourceLine]
    raw_line_count: int
    encoding: str
    base_dir: str = ""
    # lines of the raw file that carry no text of their own (HTML markup, chrome)
    markup_drops: list[Drop] = field(default_factory=list)


@dataclass(frozen=True)
class Drop:
    """A source line a named rule removed, kept so that the report can account for it."""

    rule: str
    file: str
    line: int
    text: str


@dataclass
class CleanDocument:
    name: str
    kind: str
    lines: list[SourceLine]  # the kept lines, possibly rewritten
    drops: list[Drop]
    rewrites: dict[str, int]  # rule name -> lines it rewrote
    raw_line_count: int
    nonblank_lines: set[int]
    encoding: str = "utf-8"
    warnings: list[str] = field(default_factory=list)
    code_lines: frozenset[int] = frozenset()  # positions in `lines` of code blocks and display math
    title: str = ""  # the document's own title (its front matter's), or ""
    breaks: frozenset[int] = frozenset()  # positions in `lines` right after a thematic break (dropped)


@dataclass(frozen=True)
class SourceSpan:
    file: str
    first: int
    last: int


@dataclass(frozen=True)
class Choice:
    label: str
    text: str


@dataclass
class Card:
    question: str
    answer: str
    topic: str
    sources: list[SourceSpan]
    layout: str  # the detector that found the question
    type: CardType = "basic"
    status: str = "ok"
    choices: list[Choice] = field(default_factory=list)
    correct: list[str] = field(default_factory=list)
    blanks: list[str] = field(default_factory=list)  # a cloze card's fill texts, one per blank in order
    tags: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    alias_ids: list[str] = field(default_factory=list)
    id: str = ""
    deck: str = ""
    notes: list[str] = field(default_factory=list)
    section: str = ""  # the quiz section label above the card ("二、判断题"): what kind its items are
    fingerprint: str = ""  # of the extracted question and answer, before human edits


@dataclass
class Extraction:
    """What extraction made of one document."""

    name: str
    cards: list[Card]
    topic_lines: list[int]
    drops: list[Drop]
    layouts: dict[str, int]  # detector name -> questions it found


@dataclass
class SourceResult:
    """What the per-source stages make of one file (cached between builds)."""

    doc: CleanDocument
    extraction: Extraction
    cards: list[Card]


# The keys of a card in cards.yaml, in the order they are written: what the card asks and
# answers first, then where it goes, then where it came from. OPTIONAL_KEYS are left out
# when empty; the others are always written.
CARD_KEYS = ("id", "type", "status", "topic", "question", "choices", "correct", "blanks", "answer", "notes",
             "aliases", "alias_ids", "tags", "deck", "sources", "layout", "fingerprint")
OPTIONAL_KEYS = frozenset({"blanks", "notes", "alias_ids"})
# the label that separates the answers of merged duplicates (dedup), shown as a divider
OTHER_SOURCE = "另一来源："

CARD_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["pipeline_version", "generated", "cards"],
    "additionalProperties": False,
    "properties": {
        "pipeline_version": {"type": "string"},
        "generated": {"type": "string"},
        "deck_root": {"type": "string"},
        "cards": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "type", "status", "question", "answer", "choices", "correct",
                             "topic", "tags", "aliases", "sources", "deck", "layout"],
                "properties": {
                    "id": {"type": "string", "pattern": "^[a-z0-9-]+$"},
                    "type": {"enum": list(CARD_TYPES)},
                    "status": {"enum": ["ok", "needs_answer", "needs_review", "dropped"]},
                    "question": {"type": "string", "minLength": 1},
                    "answer": {"type": "string"},
                    "choices": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["label", "text"],
                            "properties": {"label": {"type": "string", "pattern": "^[A-Z]$"},
                                           "text": {"type": "string"}},
                        },
                    },
                    "correct": {"type": "array", "items": {"type": "string", "pattern": "^[A-Z]$"}},
                    "blanks": {"type": "array", "items": {"type": "string", "minLength": 1}},
                    "topic": {"type": "string"},
                    "tags": {"type": "array", "items": {"type": "string", "pattern": r"^\S+$"}},
                    "aliases": {"type": "array", "items": {"type": "string"}},
                    "alias_ids": {"type": "array", "items": {"type": "string"}},
                    "sources": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["file", "lines"],
                            "properties": {
                                "file": {"type": "string"},
                                "lines": {"type": "array", "items": {"type": "integer", "minimum": 1},
                                          "minItems": 2, "maxItems": 2},
                            },
                        },
                    },
                    "deck": {"type": "string"},
                    "layout": {"type": "string"},
                    "notes": {"type": "array", "items": {"type": "string"}},
                    "fingerprint": {"type": "string"},
                },
            },
        },
    },
}
