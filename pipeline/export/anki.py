"""build/deck.apkg with genanki: fixed note types (question, choice, cloze), GUIDs from card
ids, one deck with the cards in study order.

The note types' ids and field lists are frozen: changing them makes Anki copy the note
type on import (their templates and CSS may change: Anki takes them from a newer note
type). GUIDs come from the stable card id, never from the text, so a rebuilt deck updates
the user's notes in place. Anki applies an update only when the package's note is newer
than the collection's, so a note carries the time its own content last changed (kept in
the registry, `Registry.note_time`): an unchanged card leaves the user's note, and any
edit made to it in Anki, alone; a changed card replaces it.

The cards go into one deck, due in the study sheets' order (`output.study_order`): Anki
gathers new cards deck by deck in the order of the decks' names, so subdecks per topic
would bring the first document's cards last. Topics are hierarchical tags."""
from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import genanki
from genanki.apkg_col import APKG_COL
from genanki.apkg_schema import APKG_SCHEMA
from genanki.util import BASE91_TABLE

from ..choices import INFERRED_KEY, cloze_explanation
from ..model import OTHER_SOURCE, Card, PipelineError
from ..output import provenance, study_order
from ..render import FieldCache, Media, collector_paused, prerender, to_html, to_inline_html
from ..text import blank_marks

CSS = """
.card { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Hiragino Sans GB",
  "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif; font-size: 19px; line-height: 1.6;
  text-align: left; color: #1d1d1f; background: #fdfdfd; max-width: 44em; margin: 0 auto;
  padding: 0 16px; box-sizing: border-box; overflow-wrap: anywhere; }
.topic-header { font-size: 12px; color: #8a8a8a; letter-spacing: .04em; margin: .2em 0 .6em;
  padding-bottom: .2em; border-bottom: 1px solid #eee; }
.question { font-weight: 600; }
.choices { list-style: none; padding-left: 0; }
.choices li { margin: .3em 0; padding: .2em .5em; border-radius: 4px; }
.choices li.correct { background: #d8f5d0; font-weight: 600; }
.label { font-weight: 700; margin-right: .4em; }
.inferred { font-weight: 400; font-size: 14px; color: #b26a00; margin-left: .3em; }
.cloze { font-weight: 700; color: #1565c0; }
.other-source { font-size: 12px; color: #777; margin: 1em 0 .4em; padding-top: .3em;
  border-top: 1px dashed #bbb; }
.sources { font-size: 12px; color: #777; margin-top: 1.2em; }
code, pre { font-family: "JetBrains Mono", "DejaVu Sans Mono", monospace; font-size: 15px; }
pre { background: #f3f3f3; padding: .6em; overflow-x: auto; border-radius: 4px; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .2em .5em; }
img { max-width: 100%; }
.nightMode .card, .night_mode .card, .card.nightMode { color: #e6e6e6; background: #1e1e1e; }
.nightMode pre, .night_mode pre { background: #2b2b2b; }
.nightMode .choices li.correct, .night_mode .choices li.correct { background: #2f5a2a; }
.nightMode .cloze, .night_mode .cloze { color: #7cb8ff; }
.nightMode .inferred, .night_mode .inferred { color: #e0a040; }
.nightMode .topic-header, .night_mode .topic-header { color: #9a9a9a; border-bottom-color: #333; }
.nightMode .sources, .night_mode .sources, .nightMode .other-source, .night_mode .other-source { color: #9a9a9a; }
"""
# every front opens with its topic, so that "一句话定义？" stands alone
_HEADER = '{{#Topic}}<div class="topic-header">{{Topic}}</div>{{/Topic}}'
_FOOTER = '<div class="sources">{{Sources}} · {{Id}}</div>'

BASIC_MODEL = genanki.Model(
    1736207441, "Deck pipeline: question",
    fields=[{"name": n} for n in ("Question", "Answer", "Aliases", "Topic", "Sources", "Id")],
    templates=[{
        "name": "Card 1",
        "qfmt": _HEADER + '<div class="question">{{Question}}</div>',
        "afmt": '{{FrontSide}}<hr id="answer"><div class="answer">{{Answer}}</div>'
                '{{#Aliases}}<div class="sources">也问作：{{Aliases}}</div>{{/Aliases}}' + _FOOTER,
    }],
    css=CSS, sort_field_index=0)

CHOICE_MODEL = genanki.Model(
    1736207442, "Deck pipeline: choice",
    fields=[{"name": n} for n in ("Question", "Choices", "ChoicesMarked", "Correct", "Explanation",
                                  "Topic", "Sources", "Id")],
    templates=[{
        "name": "Card 1",
        "qfmt": _HEADER + '<div class="question">{{Question}}</div>{{Choices}}',
        "afmt": _HEADER + '<div class="question">{{Question}}</div>{{ChoicesMarked}}<hr id="answer">'
                '<div class="answer"><b>答案：{{Correct}}</b>{{#Explanation}}<br>{{Explanation}}{{/Explanation}}</div>'
                + _FOOTER,
    }],
    css=CSS, sort_field_index=0)


CLOZE_MODEL = genanki.Model(
    1736207443, "Deck pipeline: cloze",
    fields=[{"name": n} for n in ("Text", "Extra", "Topic", "Sources", "Id")],
    templates=[{
        "name": "Cloze",
        "qfmt": _HEADER + '<div class="question">{{cloze:Text}}</div>',
        "afmt": _HEADER + '<div class="question">{{cloze:Text}}</div>'
                '<hr id="answer">{{#Extra}}<div class="answer">{{Extra}}</div>{{/Extra}}' + _FOOTER,
    }],
    css=CSS, model_type=genanki.Model.CLOZE, sort_field_index=0)
# the Correct field of a card whose key the build inferred: "答案：A（推断）"
INFERRED_MARK = '<span class="inferred">（推断）</span>'
_OTHER_SOURCE_HTML = f'<div class="other-source">{OTHER_SOURCE}</div>'
_OTHER_SOURCE_MARK = f"\n\n{OTHER_SOURCE}\n\n"  # between the answers of merged duplicates (dedup)
_BLANK_TOKEN = "CLOZEBLANK{}END"  # stands for a blank while the question goes through Markdown
_BLANK_BACK = re.compile(r"CLOZEBLANK(\d+)END")
_JSON = json.JSONEncoder(ensure_ascii=False, check_circular=False)  # json.dumps(…, ensure_ascii=False), one encoder


_BASE91 = "".join(BASE91_TABLE)


def guid(card_id: str) -> str:
    """genanki.guid_for(card_id), the note's GUID (the first 8 bytes of the id's SHA-256 in
    Anki's base 91), in a third less time: genanki reads the bytes one by one."""
    n = int.from_bytes(hashlib.sha256(card_id.encode("utf-8")).digest()[:8], "big")
    out = ""
    while n:
        n, digit = divmod(n, 91)
        out = _BASE91[digit] + out
    return out


def stable_id(text: str) -> int:
    """A deck id that stays the same across builds (genanki ids must be positive 63-bit ints)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big") >> 2


def _choices_html(card: Card, marked: bool, media: Media) -> str:
    items = []
    for choice in card.choices:
        cls = ' class="correct"' if marked and choice.label in card.correct else ""
        items.append(f'<li{cls}><span class="label">{choice.label}.</span>{to_inline_html(choice.text, media)}</li>')
    return '<ul class="choices">' + "".join(items) + "</ul>"


def _cloze_source(card: Card) -> str:
    """The question with a placeholder for each blank, as it goes through Markdown."""
    marks = blank_marks(card.question)
    pieces, pos = [], 0
    for k, m in enumerate(marks):
        pieces += [card.question[pos:m.start()], _BLANK_TOKEN.format(k)]
        pos = m.end()
    return "".join(pieces) + card.question[pos:]


def _cloze_text(card: Card, media: Media) -> str:
    """The question as HTML with its blanks as Anki cloze deletions, c1, c2 … in order. A key
    is escaped so that its own `::` or braces cannot end the deletion early."""
    def deletion(m: re.Match) -> str:
        k = int(m.group(1))
        key = to_inline_html(card.blanks[k]) if k < len(card.blanks) else ""
        key = key.replace("::", ":&#58;").replace("{", "&#123;").replace("}", "&#125;")
        return f"{{{{c{k + 1}::{key}}}}}"
    return _BLANK_BACK.sub(deletion, to_html(_cloze_source(card), media))


def _answer_parts(answer: str) -> list[str]:
    """The answers of merged duplicates, each rendered on its own."""
    return answer.split(_OTHER_SOURCE_MARK)


def _answer_html(answer: str, media: Media) -> str:
    """The answer as HTML; the answers of merged duplicates apart, under a labelled divider."""
    return _OTHER_SOURCE_HTML.join(to_html(part, media) for part in _answer_parts(answer))


def note_texts(card: Card) -> list[str]:
    """The Markdown texts note_fields renders for `card` with the deck's media."""
    if card.type == "cloze":
        return [_cloze_source(card), *_answer_parts(cloze_explanation(card))]
    return [card.question, *[c.text for c in card.choices], *_answer_parts(card.answer)]


class DeckNote(genanki.Note):
    """genanki's Note with its own modification time (genanki gives every note the
    package's), made without genanki's per-tag and per-field checks: tags hold no
    whitespace (`output.tag`, and the edits schema), fields are nh3's HTML."""

    def __init__(self, model: genanki.Model, fields: list[str], guid: str, tags: list[str], due: int,
                 modified: float):
        self.model, self.fields, self.due, self.modified = model, fields, due, modified
        self._guid, self._tags, self._sort_field = guid, tags, None

    @property
    def cards(self) -> list[genanki.Card]:
        """genanki's cards of the note (one per template, or per cloze blank), read once:
        without the coroutine check genanki's cached property makes on every read."""
        return self._cloze_cards() if self.model.model_type == genanki.Model.CLOZE else self._front_back_cards()


def note_fields(card: Card, media: Media, titles: dict[str, str]) -> tuple[genanki.Model, list[str]]:
    """The note type and the fields of `card`'s note (`titles`: file name -> document title)."""
    topic = html.escape(card.topic)
    sources = html.escape(provenance(card, titles))
    if card.type == "basic":
        aliases = "<br>".join(html.escape(a) for a in card.aliases)
        return BASIC_MODEL, [to_html(card.question, media), _answer_html(card.answer, media), aliases, topic,
                             sources, card.id]
    if card.type == "cloze":
        return CLOZE_MODEL, [_cloze_text(card, media), _answer_html(cloze_explanation(card), media), topic,
                             sources, card.id]
    correct = "、".join(card.correct) + (INFERRED_MARK if INFERRED_KEY in card.notes else "")
    return CHOICE_MODEL, [to_html(card.question, media), _choices_html(card, False, media),
                          _choices_html(card, True, media), correct, _answer_html(card.answer, media), topic,
                          sources, card.id]


def content_fingerprint(model: genanki.Model, fields: list[str], tags: list[str]) -> str:
    """What a note shows and is filed under: its note type, fields and tags."""
    data = _JSON.encode([model.model_id, fields, tags])
    return hashlib.blake2b(data.encode("utf-8"), digest_size=8).hexdigest()


# genanki's schema, its indexes made once the rows are in (a fifth faster than keeping them up to date)
_TABLES, _INDEXES = APKG_SCHEMA[:APKG_SCHEMA.index("CREATE INDEX")], APKG_SCHEMA[APKG_SCHEMA.index("CREATE INDEX"):]


class OnePassPackage(genanki.Package):
    """genanki's Package with every deck written in one pass. genanki's own Deck.write_to_db
    reads, extends and rewrites the collection's whole deck and note-type JSON once per
    deck, so a deck of N subdecks costs N² (5,000 topics took minutes); this writes the
    same collection (deck and note-type entries, then the notes in deck order) once."""

    def write_to_db(self, cursor, timestamp: float, id_gen) -> None:
        """Fill the empty collection database behind `cursor` (genanki's signature)."""
        # a scratch file, zipped and deleted: no sync to the disk after each statement (a dozen
        # fsyncs took a tenth of a second on a busy disk) and no rollback journal
        cursor.execute("PRAGMA synchronous = OFF")
        cursor.execute("PRAGMA journal_mode = OFF")
        cursor.executescript(_TABLES)
        cursor.executescript(APKG_COL)
        decks_json, models_json = cursor.execute("SELECT decks, models FROM col").fetchone()
        decks, models = json.loads(decks_json), json.loads(models_json)
        for deck in self.decks:
            decks[str(deck.deck_id)] = deck.to_json()
            # as in genanki, a note type names the last deck that uses it
            for model in {note.model.model_id: note.model for note in deck.notes}.values():
                models[str(model.model_id)] = model.to_json(timestamp, deck.deck_id)
        cursor.execute("UPDATE col SET decks = ?, models = ?", (json.dumps(decks), json.dumps(models)))
        # the rows genanki's Note.write_to_db and Card.write_to_db insert one by one, ids
        # drawn in the same order, inserted together
        notes, cards = [], []
        for deck in self.decks:
            for note in deck.notes:
                # a note's own time (DeckNote), so that Anki leaves unchanged notes alone
                note_id, modified = next(id_gen), int(getattr(note, "modified", timestamp))
                notes.append((note_id, note.guid, note.model.model_id, modified, -1, note._format_tags(),
                              note._format_fields(), note.sort_field, 0, 0, ""))
                cards += [(next(id_gen), note_id, deck.deck_id, card.ord, modified, -1, 0, -1 if card.suspend else 0,
                           note.due, 0, 0, 0, 0, 0, 0, 0, 0, "") for card in note.cards]
        cursor.executemany("INSERT INTO notes VALUES(?,?,?,?,?,?,?,?,?,?,?);", notes)
        cursor.executemany("INSERT INTO cards VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?);", cards)
        cursor.executescript(_INDEXES)


def write_deck(cards: list[Card], deck_root: str, source_dir: Path, path: Path, timestamp: float,
               titles: dict[str, str] | None = None,
               note_time: Callable[[str, str], float] | None = None, cache: FieldCache | None = None) -> Media:
    """Write the deck of `ok` cards, due in study order; return the media it bundled, linked
    or missed. `titles` maps file names to document titles for the sources line;
    `note_time(card id, content fingerprint)` gives a note's modification time (default:
    `timestamp`, the build's); `cache` holds the fields earlier builds rendered (only the
    others are rendered), and this build's afterwards. Raises PipelineError naming `path`
    (or the cache file) when the build folder does not take them."""
    media = Media(source_dir)
    shown = [c for c in cards if c.status == "ok"]
    with collector_paused():  # a deck is many small objects: the collector would walk every card for each burst
        texts = [t for c in shown for t in note_texts(c)]
        if cache is not None:
            cache.fill(texts, media)
        prerender(texts, media)
        decks: dict[str, genanki.Deck] = {}
        for due, card in enumerate(study_order(shown)):
            deck = decks.get(card.deck)
            if deck is None:
                deck = decks[card.deck] = genanki.Deck(stable_id(card.deck), card.deck)
            model, fields = note_fields(card, media, titles or {})
            modified = note_time(card.id, content_fingerprint(model, fields, card.tags)) if note_time else timestamp
            deck.add_note(DeckNote(model, fields, guid(card.id), card.tags, due, modified))
        if not decks:
            decks[deck_root] = genanki.Deck(stable_id(deck_root), deck_root)
        package = OnePassPackage(list(decks.values()), media_files=[str(p) for p in media.files.values()])
        _write_package(package, media, path, timestamp)
        if cache is not None:
            cache.save(media)
    return media


def _write_package(package: OnePassPackage, media: Media, path: Path, timestamp: float) -> None:
    """genanki names media by their file name; bundle each under its package name.
    Raises PipelineError naming `path` when the build folder does not take it."""
    with tempfile.TemporaryDirectory() as tmp:
        staged = []
        for name, source in media.files.items():
            target = Path(tmp) / name
            shutil.copyfile(source, target)
            staged.append(str(target))
        package.media_files = staged
        out = path.parent / f".{path.name}.tmp"
        try:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                package.write_to_file(str(out), timestamp=timestamp)
                out.replace(path)
            finally:
                out.unlink(missing_ok=True)
        except OSError as exc:  # a read-only or full build folder
            raise PipelineError(str(path), f"cannot write: {exc.strerror or exc}") from None
