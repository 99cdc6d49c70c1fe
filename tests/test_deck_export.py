"""The deck export: linear in the number of subdecks, the collection genanki would write,
and a clear error when the build folder does not take it."""
from __future__ import annotations

import json
import pickle
import re
import sqlite3
import time
import zipfile

import genanki
import pytest

from pipeline.export.anki import BASIC_MODEL, CHOICE_MODEL, CLOZE_MODEL, DeckNote, OnePassPackage, guid, write_deck
from pipeline.model import Card, PipelineError, SourceSpan


def one_card_per_topic(topics: int) -> list[Card]:
    return [Card(question=f"第{i}个主题的问题是什么？", answer=f"答案{i}。", topic=f"主题{i}",
                 sources=[SourceSpan("notes.md", 2 * i + 1, 2 * i + 2)], layout="heading",
                 id=f"c-{i:06d}", deck=f"根::主题{i}") for i in range(topics)]


def export_seconds(tmp_path, topics: int) -> float:
    """CPU seconds of this process writing the deck: the tests share the cores, so wall
    time would measure the machine's load as much as the export."""
    cards = one_card_per_topic(topics)
    started = time.process_time()
    write_deck(cards, "根", tmp_path, tmp_path / f"deck-{topics}.apkg", 1_700_000_000.0)
    return time.process_time() - started


def test_deck_export_is_linear_in_the_number_of_subdecks(tmp_path):
    export_seconds(tmp_path, 20)  # imports and first-call costs out of the measure
    small = min(export_seconds(tmp_path, 150) for _ in range(2))
    large = min(export_seconds(tmp_path, 1200) for _ in range(2))
    # 8x the subdecks: about 5x here; genanki's rewrite of the deck list once per deck took 18x
    assert large / small < 12, (small, large)
    with zipfile.ZipFile(tmp_path / "deck-1200.apkg") as z:
        (tmp_path / "c.anki2").write_bytes(z.read("collection.anki2"))
    with sqlite3.connect(tmp_path / "c.anki2") as con:
        assert len(json.loads(con.execute("select decks from col").fetchone()[0])) == 1 + 1200  # and Default
        assert con.execute("select count(distinct did) from cards").fetchone()[0] == 1200


def collection(package: genanki.Package, path) -> dict:
    package.write_to_file(str(path), timestamp=1_700_000_000.0)
    with zipfile.ZipFile(path) as z:
        (path.parent / "c.anki2").write_bytes(z.read("collection.anki2"))
    with sqlite3.connect(path.parent / "c.anki2") as con:
        decks, models = con.execute("select decks, models from col").fetchone()
        return {"decks": json.loads(decks), "models": json.loads(models),
                "schema": con.execute("select type, name, tbl_name, sql from sqlite_master order by name").fetchall(),
                "notes": con.execute("select * from notes order by id").fetchall(),
                "cards": con.execute("select * from cards order by id").fetchall()}


def test_one_pass_package_writes_the_collection_genanki_writes(tmp_path):
    """Notes written together (DeckNote, OnePassPackage) are the rows genanki's own notes
    write one by one: ids, GUIDs, fields, sort fields, tags, and a card per cloze blank."""
    def decks(note) -> list[genanki.Deck]:
        made = []
        for k, model in enumerate([BASIC_MODEL, CHOICE_MODEL, CLOZE_MODEL, BASIC_MODEL]):
            deck = genanki.Deck(100 + k, f"根::主题{k}")
            for n in range(2):
                fields = [f"问{k}{n}", f"答{k}{n}", "", "主题", "notes.md:1-2", f"c-{k}{n}"]
                if model is CHOICE_MODEL:
                    fields = [f"问{k}{n}", "<ul></ul>", "<ul></ul>", "A", "", "主题", "notes.md:1-2", f"c-{k}{n}"]
                if model is CLOZE_MODEL:
                    fields = [f"{{{{c1::甲{n}}}}} 与 {{{{c2::乙}}}}", "", "主题", "notes.md:1-2", f"c-{k}{n}"]
                deck.add_note(note(model, fields, genanki.guid_for(k, n), [f"topic::主题{k}", "source::笔记"], n))
            made.append(deck)
        return made

    def ours(model, fields, guid, tags, due):
        return DeckNote(model, fields, guid, tags, due, 1_700_000_000.0)

    def genankis(model, fields, guid, tags, due):
        return genanki.Note(model=model, fields=fields, guid=guid, tags=tags, due=due)

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    written = collection(OnePassPackage(decks(ours)), tmp_path / "a" / "d.apkg")
    assert written == collection(genanki.Package(decks(genankis)), tmp_path / "b" / "d.apkg")
    assert sorted(c[3] for c in written["cards"] if c[2] == 102) == [0, 0, 1, 1]  # two blanks, two cards


def test_a_deck_the_build_folder_does_not_take_is_a_named_error(tmp_path):
    (tmp_path / "a-file").write_text("not a folder\n", encoding="utf-8")
    target = tmp_path / "a-file" / "deck.apkg"
    with pytest.raises(PipelineError, match=f"^{re.escape(str(target))}: cannot write: Not a directory"):
        write_deck(one_card_per_topic(2), "根", tmp_path, target, 1_700_000_000.0)


def test_an_error_raised_in_a_sheet_worker_comes_back_whole():
    error = pickle.loads(pickle.dumps(PipelineError("study.pdf", "cannot write: No space left on device")))
    assert (error.path, error.line, str(error)) == ("study.pdf", None, "study.pdf: cannot write: No space left on device")


def test_note_guids_are_genankis():
    ids = [f"c-{k:06x}" for k in range(3000)] + ["", "c-批归一化", "c-abc-2", "x" * 500, "c-\u0000\U0001f525"]
    assert [guid(i) for i in ids] == [genanki.guid_for(i) for i in ids]
