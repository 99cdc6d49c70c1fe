"""build/deck.apkg with genanki: fixed note types, GUIDs from card ids, subdecks per topic.

The note types' ids and field lists are frozen: changing them makes Anki copy the note
type on import. GUIDs come from the stable card id, never from the text, so a rebuilt
deck updates the user's notes in place; notes carry the build time as their modification
time, because Anki applies an update only when the package's note is newer."""
from __future__ import annotations

import hashlib
import html
import shutil
import tempfile
from pathlib import Path

import genanki

from ..model import Card
from ..render import Media, to_html, to_inline_html

CSS = """
.card { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Hiragino Sans GB",
  "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif; font-size: 19px; line-height: 1.6;
  text-align: left; color: #1d1d1f; background: #fdfdfd; max-width: 44em; margin: 0 auto; }
.question { font-weight: 600; }
.choices { list-style: none; padding-left: 0; }
.choices li { margin: .3em 0; padding: .2em .5em; border-radius: 4px; }
.choices li.correct { background: #d8f5d0; font-weight: 600; }
.label { font-weight: 700; margin-right: .4em; }
.sources, .topic { font-size: 12px; color: #777; margin-top: 1.2em; }
code, pre { font-family: "JetBrains Mono", "DejaVu Sans Mono", monospace; font-size: 15px; }
pre { background: #f3f3f3; padding: .6em; overflow-x: auto; border-radius: 4px; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .2em .5em; }
img { max-width: 100%; }
.nightMode .card, .night_mode .card, .card.nightMode { color: #e6e6e6; background: #1e1e1e; }
.nightMode pre, .night_mode pre { background: #2b2b2b; }
.nightMode .choices li.correct, .night_mode .choices li.correct { background: #2f5a2a; }
.nightMode .sources, .night_mode .sources, .nightMode .topic, .night_mode .topic { color: #9a9a9a; }
"""
_FOOTER = '<div class="topic">{{Topic}}</div><div class="sources">{{Sources}} · {{Id}}</div>'

BASIC_MODEL = genanki.Model(
    1736207441, "Deck pipeline: question",
    fields=[{"name": n} for n in ("Question", "Answer", "Aliases", "Topic", "Sources", "Id")],
    templates=[{
        "name": "Card 1",
        "qfmt": '<div class="question">{{Question}}</div>',
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
        "qfmt": '<div class="question">{{Question}}</div>{{Choices}}',
        "afmt": '<div class="question">{{Question}}</div>{{ChoicesMarked}}<hr id="answer">'
                '<div class="answer"><b>答案：{{Correct}}</b>{{#Explanation}}<br>{{Explanation}}{{/Explanation}}</div>'
                + _FOOTER,
    }],
    css=CSS, sort_field_index=0)


def stable_id(text: str) -> int:
    """A deck id that stays the same across builds (genanki ids must be positive 63-bit ints)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big") >> 2


def _choices_html(card: Card, marked: bool, media: Media) -> str:
    items = []
    for choice in card.choices:
        cls = ' class="correct"' if marked and choice.label in card.correct else ""
        items.append(f'<li{cls}><span class="label">{choice.label}.</span>{to_inline_html(choice.text, media)}</li>')
    return '<ul class="choices">' + "".join(items) + "</ul>"


def _sources_text(card: Card) -> str:
    return html.escape("; ".join(f"{s.file}:{s.first}-{s.last}" for s in card.sources))


def note_for(card: Card, media: Media, due: int) -> genanki.Note:
    common = dict(guid=genanki.guid_for(card.id), tags=card.tags, due=due)
    topic = html.escape(card.topic)
    if card.type == "basic":
        aliases = "<br>".join(html.escape(a) for a in card.aliases)
        return genanki.Note(model=BASIC_MODEL, fields=[to_html(card.question, media), to_html(card.answer, media),
                                                       aliases, topic, _sources_text(card), card.id], **common)
    correct = "、".join(card.correct)
    return genanki.Note(model=CHOICE_MODEL, fields=[
        to_html(card.question, media), _choices_html(card, False, media), _choices_html(card, True, media), correct,
        to_html(card.answer, media), topic, _sources_text(card), card.id], **common)


def write_deck(cards: list[Card], deck_root: str, source_dir: Path, path: Path, timestamp: float) -> Media:
    """Write the deck of `ok` cards; return the media it bundled, linked or missed."""
    media = Media(source_dir)
    decks: dict[str, genanki.Deck] = {}
    for due, card in enumerate(c for c in cards if c.status == "ok"):
        deck = decks.get(card.deck)
        if deck is None:
            deck = decks[card.deck] = genanki.Deck(stable_id(card.deck), card.deck)
        deck.add_note(note_for(card, media, due))
    if not decks:
        decks[deck_root] = genanki.Deck(stable_id(deck_root), deck_root)
    package = genanki.Package(list(decks.values()), media_files=[str(p) for p in media.files.values()])
    _write_package(package, media, path, timestamp)
    return media


def _write_package(package: genanki.Package, media: Media, path: Path, timestamp: float) -> None:
    """genanki names media by their file name; bundle each under its package name."""
    with tempfile.TemporaryDirectory() as tmp:
        staged = []
        for name, source in media.files.items():
            target = Path(tmp) / name
            shutil.copyfile(source, target)
            staged.append(str(target))
        package.media_files = staged
        out = path.parent / f".{path.name}.tmp"
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            package.write_to_file(str(out), timestamp=timestamp)
            out.replace(path)
        finally:
            out.unlink(missing_ok=True)
