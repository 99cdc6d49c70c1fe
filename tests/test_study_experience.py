"""What a user meets every day (issue 17): the user's own edits survive a rebuild in the real
Anki backend, new cards come in study order through Anki's scheduler, fronts carry their
topic, provenance reads as titles and lines, guessed keys and merged answers are marked,
the sheets are compact, and cards.yaml reads (and diffs) line by line."""
from __future__ import annotations

import difflib
import re
import time

import pytest
import yaml
from anki.collection import Collection
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from anki_helpers import import_deck, render
from conftest import build_dir, source_folder
from pipeline.model import CARD_KEYS, CARD_SCHEMA, OPTIONAL_KEYS
from pipeline.text import fold
from pipeline.yamlio import dump

NOTES_A = """## 优化器

### 动量法解决了什么问题？

它平滑了梯度方向的来回摆动。

### 学习率预热有什么用？

开头几步用小学习率，
避免一开始就把参数推得太远。

## 归一化

### 层归一化按什么维度统计？

按单个样本的特征维度。
"""
NOTES_B = """## 激活函数

### 门控线性单元是怎样计算的？

一半通道过 sigmoid 当作门，乘以另一半。

## 优化器

### 权重衰减和 L2 正则一样吗？

在 SGD 下等价，在 Adam 下不等价。
"""


@pytest.fixture
def col(tmp_path):
    collection = Collection(str(tmp_path / "collection.anki2"))
    yield collection
    collection.close()


def note_of(col: Collection, card_id: str):
    return col.get_note(col.find_notes(f'"Id:{card_id}"')[0])


def visible(html: str) -> str:
    return re.sub(r"<[^>]+>", "", re.sub(r"<style>.*?</style>", "", html, flags=re.S))


# --- 1. the user's edits in Anki survive a rebuild -------------------------------------

def test_rebuild_updates_changed_notes_and_leaves_the_users_edits_alone(tmp_path, col):
    src = source_folder(tmp_path, {"a.md": NOTES_A, "b.md": NOTES_B})
    out = tmp_path / "b"
    cards = {c["question"]: c for c in build_dir(src, out)["cards"]}
    edited, changed = cards["动量法解决了什么问题？"], cards["层归一化按什么维度统计？"]
    log = import_deck(col, out / "deck.apkg")
    assert len(log.new) == 5
    registry = yaml.safe_load((out / "card_ids.yaml").read_text(encoding="utf-8"))["ids"]
    first_times = {cid: entry["modified"] for cid, entry in registry.items()}

    note = note_of(col, edited["id"])
    note["Answer"] += "<p>我的笔记：指数滑动平均。</p>"
    col.update_note(note)
    reviewed = col.get_card(note.card_ids()[0])
    reviewed.start_timer()
    col.sched.answerCard(reviewed, 3)
    reviewed = col.get_card(reviewed.id)

    time.sleep(1.1)  # Anki compares modification times in whole seconds
    (src / "a.md").write_text(NOTES_A.replace("按单个样本的特征维度。", "按单个样本的全部特征。"), encoding="utf-8")
    build_dir(src, out)
    log = import_deck(col, out / "deck.apkg")

    assert [u.fields[-1] for u in log.updated] == [changed["id"]]  # only the changed card
    assert len(log.duplicate) == 4  # Anki's word for a note it found and left as it was
    assert not log.new and col.note_count() == 5
    assert col.db.scalar("select count() from (select guid from notes group by guid having count() > 1)") == 0
    assert "我的笔记：指数滑动平均。" in note_of(col, edited["id"])["Answer"]
    assert "按单个样本的全部特征。" in note_of(col, changed["id"])["Answer"]
    after = col.get_card(reviewed.id)
    assert (after.ivl, after.type, after.due) == (reviewed.ivl, reviewed.type, reviewed.due)
    assert col.db.scalar("select count() from revlog where cid = ?", reviewed.id) == 1
    registry = yaml.safe_load((out / "card_ids.yaml").read_text(encoding="utf-8"))["ids"]
    assert registry[edited["id"]]["modified"] == first_times[edited["id"]]
    assert registry[changed["id"]]["modified"] > first_times[changed["id"]]


# --- 2. new cards come in the order of the documents and the sheets ---------------------

def test_new_cards_come_in_study_order_through_the_scheduler(tmp_path, col):
    """Topic names that sort against the documents' order (激活函数 before 优化器 before 归一化
    in code points) and a topic that returns in the second document: the queue follows
    the study sheet, not deck names."""
    src = source_folder(tmp_path, {"a.md": NOTES_A, "b.md": NOTES_B})
    out = tmp_path / "b"
    data = build_dir(src, out)
    assert {c["deck"] for c in data["cards"]} == {"src"}  # no sources.yaml: named after the folder
    import_deck(col, out / "deck.apkg")
    deck_id = col.decks.id_for_name("src")
    config = col.decks.config_dict_for_deck_id(deck_id)
    config["new"]["perDay"] = 100
    col.decks.update_config(config)
    col.decks.select(deck_id)
    queue = [col.get_card(q.card.id).note()["Id"] for q in col.sched.get_queued_cards(fetch_limit=100).cards]
    by_id = {c["id"]: c["question"] for c in data["cards"]}
    sheet = re.findall(r"^### \d+\. (.+)$", (out / "study.md").read_text(encoding="utf-8"), re.M)
    assert [by_id[i] for i in queue] == sheet == [
        "动量法解决了什么问题？", "学习率预热有什么用？", "权重衰减和 L2 正则一样吗？",  # 优化器, from both documents
        "层归一化按什么维度统计？", "门控线性单元是怎样计算的？"]


# --- 3, 4, 5, 6. what a card shows -------------------------------------------------------

def test_front_shows_its_topic_and_back_its_sources_by_title(tmp_path, col):
    src = source_folder(tmp_path, {"a.md": NOTES_A, "b.md": NOTES_B, "sources.yaml": (
        "deck_root: 面试复习\ndocuments:\n  - file: a.md\n    title: 优化与归一化笔记\n")})
    data = build_dir(src, tmp_path / "b")
    import_deck(col, tmp_path / "b" / "deck.apkg")
    cards = {c["question"]: c for c in data["cards"]}
    one_line = cards["门控线性单元是怎样计算的？"]
    assert one_line["sources"] == [{"file": "b.md", "lines": [3, 5]}]
    front, back = render(col, note_of(col, one_line["id"]).card_ids()[0])
    assert re.search(r'<div class="topic-header">激活函数</div>', front)
    assert visible(front).strip().startswith("激活函数")
    assert "b.md:3-5" in visible(back)
    span = cards["动量法解决了什么问题？"]
    front, back = render(col, note_of(col, span["id"]).card_ids()[0])
    assert "优化与归一化笔记:3-5" in visible(back) and "a.md" not in visible(back)
    assert "source::优化与归一化笔记" in note_of(col, span["id"]).tags
    assert "source::b.md" in note_of(col, one_line["id"]).tags
    assert {d.name for d in col.decks.all_names_and_ids()} == {"Default", "面试复习"}


def test_a_one_line_span_prints_as_one_number(tmp_path, col):
    src = source_folder(tmp_path, {"t.md": "## 训练技巧\n\n| 问题 | 答案 |\n| --- | --- |\n| 什么是早停？ | 验证损失不降就停 |\n"
                                           "| 什么是丢弃法？ | 随机关掉一部分神经元 |\n"})
    data = build_dir(src, tmp_path / "b")
    early = data["cards"][0]
    assert early["sources"] == [{"file": "t.md", "lines": [5, 5]}]
    import_deck(col, tmp_path / "b" / "deck.apkg")
    _, back = render(col, note_of(col, early["id"]).card_ids()[0])
    assert '<div class="sources">t.md:5 · ' in back and "5-5" not in back
    study = (tmp_path / "b" / "study.md").read_text(encoding="utf-8")
    assert "<sub>t.md:5</sub>" in study and "<sub>t.md:6</sub>" in study
    text = "\n".join(p.extract_text() for p in PdfReader(str(tmp_path / "b" / "study.pdf")).pages)
    assert "t.md:5" in text and "5-5" not in text


TF_AND_DUPLICATE = {
    "a.md": "## 归一化\n\n### 批归一化能让训练更稳定，这个说法对吗？\n\nA.对 B.不对\n\n解析：可以，它减小了层间分布漂移的影响。\n\n"
            "### 为什么要做权重衰减？\n\n它限制权重的大小，从而减轻过拟合。\n",
    "b.md": "## 正则化\n\n### 为什么要做权重衰减？\n\n相当于给损失加上平方惩罚项。\n",
}


def test_inferred_key_and_merged_answers_are_marked_on_the_card(tmp_path, col):
    src = source_folder(tmp_path, TF_AND_DUPLICATE)
    data = build_dir(src, tmp_path / "b")
    tf, merged = data["cards"]
    assert tf["correct"] == ["A"] and tf["notes"] and len(merged["sources"]) == 2
    import_deck(col, tmp_path / "b" / "deck.apkg")
    front, back = render(col, note_of(col, tf["id"]).card_ids()[0])
    assert "答案：A（推断）" in visible(back) and "推断" not in visible(front)
    _, back = render(col, note_of(col, merged["id"]).card_ids()[0])
    body = re.sub(r"<style>.*?</style>", "", back, flags=re.S)
    first, second = body.index("从而减轻过拟合"), body.index("平方惩罚项")
    divider = body.index('<div class="other-source">另一来源：</div>')
    assert first < divider < second
    assert body.count("<hr") == 1  # only the front/back divider is a bare rule


def test_inferred_key_and_merged_answers_are_marked_in_the_sheets(tmp_path):
    src = source_folder(tmp_path, TF_AND_DUPLICATE)
    build_dir(src, tmp_path / "b")
    for name in ("study.pdf", "quiz.pdf"):
        text = fold("\n".join(p.extract_text() for p in PdfReader(str(tmp_path / "b" / name)).pages))
        assert fold("答案：A（推断）") in text, name
        assert text.index(fold("从而减轻过拟合")) < text.index(fold("另一来源：")) < text.index(fold("平方惩罚项"))
    study = (tmp_path / "b" / "study.md").read_text(encoding="utf-8")
    assert "**答案：A（推断）**" in study and "另一来源：" in study


def test_a_key_stated_in_edits_is_no_longer_marked_as_inferred(tmp_path):
    src = source_folder(tmp_path, TF_AND_DUPLICATE)
    tf = build_dir(src, tmp_path / "b")["cards"][0]
    (src / "edits.yaml").write_text(f"{tf['id']}:\n  correct: [A]\n", encoding="utf-8")
    tf = build_dir(src, tmp_path / "b")["cards"][0]
    assert tf["correct"] == ["A"] and "notes" not in tf
    study = (tmp_path / "b" / "study.md").read_text(encoding="utf-8")
    assert "**答案：A**" in study and "推断" not in study


def test_card_css_keeps_a_side_margin(tmp_path, col):
    src = source_folder(tmp_path, {"a.md": NOTES_A})
    build_dir(src, tmp_path / "b")
    import_deck(col, tmp_path / "b" / "deck.apkg")
    front, _ = render(col, col.find_cards("")[0])
    css = re.search(r"<style>(.*?)</style>", front, re.S).group(1)
    rule = re.search(r"(?:^|\})\s*\.card\s*\{([^}]*)\}", css).group(1)
    padding = re.search(r"(?:^|;)\s*padding\s*:\s*([^;]+)", rule).group(1).split()
    horizontal = re.fullmatch(r"(\d+(?:\.\d+)?)(px|em)", padding[1] if len(padding) > 1 else padding[0])
    assert horizontal and float(horizontal.group(1)) * (16 if horizontal.group(2) == "em" else 1) >= 8, padding
    assert "box-sizing: border-box" in rule  # the padding stays inside max-width on a phone


# --- 7, 8. compact sheets, a findable answer key ---------------------------------------

MARGIN = 2 / 2.54 * 72  # the sheets' vertical page margin, 2 cm in points


def page_fills(path) -> list[float]:
    """How far down each page its lowest text line reaches, as a share of the text area
    (the page number in the footer aside), read back from the PDF."""
    fills = []
    for page in PdfReader(str(path)).pages:
        height = float(page.mediabox.height)
        lows: list[float] = []

        def visit(text, cm, tm, _font, _size, lows=lows):
            if text.strip() and not re.fullmatch(r"\s*\d+\s*", text):  # the footer: the page number
                lows.append(cm[5] + tm[5] * cm[3])
        page.extract_text(visitor_text=visit)
        fills.append((height - MARGIN - min(lows)) / (height - 2 * MARGIN) if lows else 0.0)
    return fills


def test_seed_sheets_have_few_pages_under_a_third_full(seeds_build):
    out, data = seeds_build
    for name in ("study.pdf", "quiz.pdf"):
        fills = page_fills(out / name)[:-1]  # the last page may be short
        sparse = [n + 1 for n, f in enumerate(fills) if f < 1 / 3]
        assert len(sparse) <= len(fills) / 10, (name, sparse, [round(f, 2) for f in fills])
    first_page = PdfReader(str(out / "study.pdf")).pages[0].extract_text()
    assert "深度学习面试" in first_page and "目录" in first_page  # contents on the title page
    assert "1. " in first_page  # and the cards begin under them


def test_a_question_is_never_split_from_its_options(tmp_path):
    items = []
    for n in range(1, 41):
        items.append(f"{n}. 第{n}题的题干比较长，需要读完这一整行才能看到选项，下面哪一项是正确的说法？\n"
                     + "".join(f"{label}. 第{n}题的选项{label}，写得也略长一些以便占满一行的大部分\n" for label in "ABCD")
                     + f"答案：{'ABCD'[n % 4]}\n")
    src = source_folder(tmp_path, {"quiz.txt": "".join(items)})
    data = build_dir(src, tmp_path / "b")
    assert sum(c["type"] == "choice" for c in data["cards"]) == 40
    for name in ("study.pdf", "quiz.pdf"):
        pages = [fold(p.extract_text()) for p in PdfReader(str(tmp_path / "b" / name)).pages]
        assert len(pages) > 3
        for n in range(1, 41):
            where = [k for k, text in enumerate(pages) if fold(f"第{n}题的题干") in text]
            assert where, n
            assert all(fold(f"第{n}题的选项{label}") in pages[where[0]] for label in "ABCD"), (name, n)


def test_quiz_answer_key_cites_number_and_first_words(tmp_path):
    """A topic that returns in a later document moves its card up in the sheet: the key
    follows the questions' numbers, each with the opening words of its question."""
    long_question = "在一个很深的卷积网络里，为什么残差连接能够让梯度顺利地传回到最前面的几层？"
    src = source_folder(tmp_path, {
        "a.md": f"## 卷积\n\n### {long_question}\n\n恒等捷径让梯度直接相加。\n\n## 循环网络\n\n### 门控循环单元有几个门？\n\n两个。\n",
        "b.md": "## 卷积\n\n### 空洞卷积扩大了什么？\n\n感受野。\n"})
    build_dir(src, tmp_path / "b")
    text = "\n".join(p.extract_text() for p in PdfReader(str(tmp_path / "b" / "quiz.pdf")).pages)
    questions, answers = text[:text.rfind("答案\n")], text[text.rfind("答案\n"):]
    flat_q, flat_a = fold(questions), fold(answers)
    assert flat_q.index(fold("1. 在一个很深")) < flat_q.index(fold("2. 空洞卷积扩大了什么")) \
        < flat_q.index(fold("3. 门控循环单元有几个门"))
    assert fold("1. 在一个很深的卷积网络里，为什么残差连接能够…") in flat_a
    assert flat_a.index(fold("2. 空洞卷积扩大了什么？")) < flat_a.index(fold("感受野"))
    assert flat_a.index(fold("3. 门控循环单元有几个门？")) < flat_a.index(fold("两个"))
    assert fold(long_question) not in flat_a  # first words, not the whole question again


# --- 9. cards.yaml ----------------------------------------------------------------------

def test_cards_yaml_writes_text_in_block_style_in_a_fixed_key_order(tmp_path):
    src = source_folder(tmp_path, {"a.md": NOTES_A, "b.md": NOTES_B})
    out = tmp_path / "b"
    build_dir(src, out)
    before = (out / "cards.yaml").read_text(encoding="utf-8")
    assert "  answer: |-\n    开头几步用小学习率，\n    避免一开始就把参数推得太远。\n" in before
    assert "\\n" not in before
    data = yaml.safe_load(before)
    assert set(CARD_KEYS) == set(CARD_SCHEMA["properties"]["cards"]["items"]["properties"])
    for card in data["cards"]:
        assert list(card) == [k for k in CARD_KEYS if k in card]
        assert set(CARD_KEYS) - set(card) <= OPTIONAL_KEYS

    (src / "a.md").write_text(NOTES_A.replace("避免一开始就把参数推得太远。", "避免一开始就让参数走得太远。"),
                              encoding="utf-8")
    build_dir(src, out)
    after = (out / "cards.yaml").read_text(encoding="utf-8")
    changed = [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    removed = [line for line in changed if line.startswith("-")]
    assert "-    避免一开始就把参数推得太远。" in removed and "+    避免一开始就让参数走得太远。" in changed
    assert {re.sub(r":.*", "", line[1:]).strip() for line in changed} <= {
        "避免一开始就把参数推得太远。", "避免一开始就让参数走得太远。", "generated", "fingerprint"}


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=12))
def test_yaml_writer_reads_back_whatever_it_wrote(data):
    assert yaml.load(dump(data), Loader=yaml.SafeLoader) == data


def test_yaml_writer_is_faster_than_pyyamls_own():
    """CPU time, interleaved, best of five: the machine is shared, and wall time under load
    says more about the neighbours than about the writer."""
    def card(n: int) -> dict:
        return {"id": f"c-{n:06d}", "type": "basic", "status": "ok", "topic": f"主题{n % 40}",
                "question": f"第{n}个问题：动量法为什么能加快收敛？", "choices": [], "correct": [],
                "answer": f"它平滑了梯度方向的来回摆动（第{n}条），\n并加快了在平坦方向上的前进。\n\n- 要点一\n- 要点二",
                "aliases": [f"动量有什么用？{n}"], "tags": [f"topic::主题{n % 40}", "source::a.md"], "deck": "面试",
                "sources": [{"file": "a.md", "lines": [n, n + 3]}], "layout": "heading", "fingerprint": f"{n:08x}"}
    data = {"cards": [card(n) for n in range(2000)]}
    fast = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    ours, theirs = [], []
    for _ in range(5):
        for times, write in ((ours, lambda: dump(data)),
                             (theirs, lambda: yaml.dump(data, Dumper=fast, allow_unicode=True, sort_keys=False))):
            started = time.process_time()
            write()
            times.append(time.process_time() - started)
    assert min(ours) * 2 < min(theirs), (min(ours), min(theirs))  # 3x here, 3.5x on the wild corpus's cards
