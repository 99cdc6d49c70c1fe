"""The deck in the real Anki backend: clean import, update in place, safe rendering."""
from __future__ import annotations

import html
import re
import shutil
import time

import pytest
import yaml
from anki.collection import Collection

from anki_helpers import import_deck, render
from conftest import ROOT, run_cli, source_folder

TEMPLATE_ERRORS = ("template has a problem", "there is no field called", "templates/errors.html")


def build(src, out):
    result = run_cli("build", "--source", str(src), "--build", str(out))
    assert result.returncode == 0, result.stderr
    return yaml.safe_load((out / "cards.yaml").read_text(encoding="utf-8"))["cards"]


@pytest.fixture
def sources(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(ROOT / "source", src, ignore=shutil.ignore_patterns("card_ids.yaml"))
    return src


@pytest.fixture
def col(tmp_path):
    collection = Collection(str(tmp_path / "collection.anki2"))
    yield collection
    collection.close()


def test_fresh_import_is_clean(sources, tmp_path, col):
    cards = build(sources, tmp_path / "b")
    ok = [c for c in cards if c["status"] == "ok"]
    log = import_deck(col, tmp_path / "b" / "deck.apkg")
    assert len(log.new) == len(ok) == col.note_count() == col.card_count()
    assert not (log.duplicate or log.conflicting or log.missing_notetype or log.empty_first_field)
    assert not col.get_empty_cards().notes
    assert col.db.scalar("select count() from (select guid from notes group by guid having count() > 1)") == 0
    message, healthy = col.fix_integrity()
    assert healthy, message
    assert col.note_count() == len(ok)
    for cid in col.find_cards(""):
        front, back = render(col, cid)
        assert not any(e in front + back for e in TEMPLATE_ERRORS)
    choice = next(c for c in ok if c["type"] == "choice")
    nid = col.find_notes(f'"Id:{choice["id"]}"')[0]
    front, back = render(col, col.get_note(nid).card_ids()[0])
    assert f"答案：{choice['correct'][0]}" in back and 'class="correct"' in back
    assert 'class="correct"' not in front
    decks = {d.name for d in col.decks.all_names_and_ids()}
    assert {c["deck"] for c in ok} <= decks


def test_update_in_place_keeps_review_history(sources, tmp_path, col):
    cards = build(sources, tmp_path / "b")
    import_deck(col, tmp_path / "b" / "deck.apkg")
    target = next(c for c in cards if c["status"] == "ok" and "假币制造商" in c["answer"])
    nid = col.find_notes(f'"Id:{target["id"]}"')[0]
    card = col.get_card(col.get_note(nid).card_ids()[0])
    card.start_timer()
    col.sched.answerCard(card, 3)  # "Good"
    reviewed = col.get_card(card.id)
    assert col.db.scalar("select count() from revlog where cid = ?", card.id) == 1
    notes_before = col.note_count()

    path = sources / "000_493e6a27935986c3.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("假币制造商", "伪钞制造者"), encoding="utf-8")
    time.sleep(1.1)  # Anki compares modification times in seconds
    cards2 = build(sources, tmp_path / "b")
    assert next(c for c in cards2 if c["id"] == target["id"])["answer"].count("伪钞制造者") == 1
    log = import_deck(col, tmp_path / "b" / "deck.apkg")
    assert len(log.updated) >= 1 and not log.new
    assert col.note_count() == notes_before
    note = col.get_note(nid)
    assert "伪钞制造者" in note["Answer"] and "假币制造商" not in note["Answer"]
    after = col.get_card(card.id)
    assert after.ivl == reviewed.ivl and after.type == reviewed.type
    assert col.db.scalar("select count() from revlog where cid = ?", card.id) == 1
    assert not [m["name"] for m in col.models.all() if "+" in m["name"]]


def test_adding_a_document_adds_only_its_cards(sources, tmp_path, col):
    build(sources, tmp_path / "b")
    import_deck(col, tmp_path / "b" / "deck.apkg")
    before = col.note_count()
    (sources / "extra.md").write_text("## 额外\n\n### 什么是知识蒸馏？\n\n用大模型的输出训练小模型。\n", encoding="utf-8")
    time.sleep(1.1)
    build(sources, tmp_path / "b")
    log = import_deck(col, tmp_path / "b" / "deck.apkg")
    assert len(log.new) == 1 and col.note_count() == before + 1


def test_hostile_text_imports_and_renders_as_text(tmp_path, col):
    src = tmp_path / "src"
    src.mkdir()
    (src / "evil.md").write_text(
        "### 为什么 <script>alert(1)</script> 不执行？\n\n<img src=x onerror=alert(1)> 以及 {{c1::x}} 和 }} 还有 <手推>"
        " [链接](javascript:alert(1)) 公式 $a<b$\n\n### 第二个问题是什么？\n\n普通答案。\n", encoding="utf-8")
    build(src, tmp_path / "b")
    import_deck(col, tmp_path / "b" / "deck.apkg")
    assert col.note_count() == 2
    nid = col.find_notes("第二个问题")[0]
    other = [n for n in col.find_notes("") if n != nid][0]
    front, back = render(col, col.get_note(other).card_ids()[0])
    html = re.sub(r"<style>.*?</style>", "", front + back, flags=re.S)
    assert not re.search(r"<script", html, re.I)
    assert not re.search(r"<[a-z]+[^>]*\son\w+\s*=", html, re.I)  # no event handler attributes
    assert not re.search(r"href\s*=\s*[\"']?\s*javascript:", html, re.I)
    assert "为什么 alert(1) 不执行" in html  # the tag is gone, the text is kept
    assert "&lt;手推&gt;" in html
    assert "{{c1::" not in html and not any(e in html for e in TEMPLATE_ERRORS)
    assert r"\(a&lt;b\)" in html


def test_local_images_are_bundled_and_remote_or_missing_ones_are_not_broken(tmp_path, col):
    src = tmp_path / "src"
    (src / "img").mkdir(parents=True)
    png = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63"
                        "6000010000050001a5f645400000000049454e44ae426082")
    (src / "img" / "lstm.png").write_bytes(png)
    (src / "img.md").write_text("### LSTM 的结构是什么？\n\n三个门。\n![结构](img/lstm.png)\n"
                                "![远程](https://example.com/a.png)\n![缺失](img/none.png)\n", encoding="utf-8")
    build(src, tmp_path / "b")
    report = (tmp_path / "b" / "report.md").read_text(encoding="utf-8")
    assert "1 bundled in the deck, 1 remote" in report and "img/none.png" in report
    import_deck(col, tmp_path / "b" / "deck.apkg")
    media = col.media.dir()
    bundled = [p.name for p in __import__("pathlib").Path(media).iterdir()]
    assert any(name.endswith("lstm.png") for name in bundled)
    front, back = render(col, col.find_cards("")[0])
    assert re.search(r'<img[^>]+src="[0-9a-f]{8}_lstm\.png"', back)
    assert re.search(r'<a [^>]*href="https://example.com/a.png"', back)  # a link, never a broken <img>
    assert back.count("<img") == 1 and "none.png" not in back


def test_quiz_cards_in_anki(tmp_path, col):
    """A cloze note makes one card per blank, each hiding its blank on the front and showing
    its key on the back; a choice card with several right options marks all of them."""
    src = source_folder(tmp_path, {"quiz.txt": (
        "1. 残差块把输入通过____直接加到____上。\n答案：恒等映射；输出。解析：梯度可以沿捷径回传。\n"
        "2. 以下哪些是序列模型？\nA. GRU\nB. 决策树\nC. LSTM\n答案：A、C\n"
        "3. 哈希表用____解决冲突。\n答案：开放{寻址}::法\n")})
    cards = build(src, tmp_path / "b")
    assert [(c["type"], c["status"]) for c in cards] == [("cloze", "ok"), ("choice", "ok"), ("cloze", "ok")]
    log = import_deck(col, tmp_path / "b" / "deck.apkg")
    assert len(log.new) == 3 and not log.missing_notetype
    cloze = col.get_note(col.find_notes(f'"Id:{cards[0]["id"]}"')[0])
    assert cloze.note_type()["type"] == 1 and cloze.note_type()["name"] == "Deck pipeline: cloze"  # Anki's cloze kind
    assert [f["name"] for f in cloze.note_type()["flds"]] == ["Text", "Extra", "Topic", "Sources", "Id"]
    ords = sorted(col.get_card(cid).ord for cid in cloze.card_ids())
    assert ords == [0, 1]  # one card per blank

    def visible(html: str) -> str:
        html = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
        return re.sub(r"<[^>]+>", "", html)

    for cid in cloze.card_ids():
        front, back = render(col, cid)
        hidden, shown = ("恒等映射", "输出") if col.get_card(cid).ord == 0 else ("输出", "恒等映射")
        assert "[...]" in visible(front) and hidden not in visible(front).replace(shown, "", 1)
        assert re.search(rf'<span class="cloze"[^>]*>{hidden}</span>', back)
        assert "梯度可以沿捷径回传" in back and "梯度可以沿捷径回传" not in front
        assert not any(e in front + back for e in TEMPLATE_ERRORS)
    odd = col.get_note(col.find_notes(f'"Id:{cards[2]["id"]}"')[0])
    _, back = render(col, odd.card_ids()[0])
    assert len(odd.card_ids()) == 1 and "开放{寻址}::法" in html.unescape(visible(back))
    choice = col.get_note(col.find_notes(f'"Id:{cards[1]["id"]}"')[0])
    front, back = render(col, choice.card_ids()[0])
    assert re.findall(r'<li class="correct"><span class="label">([A-H])\.', back) == ["A", "C"]
    assert 'class="correct"' not in front and "答案：A、C" in back
