"""The edit loop (issue 19, aim 3): after one edit or one changed source, the build takes
from build/cache what did not change (study.md's cards, the review page's sections, runs
of cards.yaml, the sheets' parts found by what they show, the parsed human files) and its
outputs are still those of a fresh build; a damaged or stale cache is made again, never
trusted."""
from __future__ import annotations

import json
import os
import pickle
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

import pipeline.__main__ as cli
from conftest import ROOT, source_folder
from pipeline import cache as cache_module
from pipeline import review
from pipeline import yamlio
from pipeline.cache import Fragments
from pipeline.export import sheets
from pipeline.model import Card, Choice, SourceSpan
from pipeline.output import cards_yaml
from pipeline.workers import release_stops, stops_held
from test_field_cache import png
from test_noop import comparable
from test_sheet_parts import pages

NOTES = {
    "conv.md": "## 卷积\n\n### 卷积层的参数量怎么算？\n\n核宽乘核高乘输入通道再乘输出通道，另加每个输出通道一个偏置。\n\n"
               "### 步幅变大会怎样？\n\n输出的空间尺寸变小，计算量随之下降。\n\n"
               "### 感受野是什么？\n\n输出上一个点能看到的输入区域。\n\n![感受野示意](field.png)\n",
    "train.txt": "1. 什么是早停？\n\n验证集上的损失不再下降时就停止训练。\n\n"
                 "2. 早停和正则化有什么关系？\n\n它限制了参数离初值的距离，作用近似 L2 正则。\n\n"
                 "3. 下面哪个是优化器？\nA. Adam\nB. Dropout\n答案：A\n",
}


def build(src: Path, out: Path) -> list[dict]:
    assert cli.main(["build", "--source", str(src), "--build", str(out), "--quiet"]) == 0
    return yaml.safe_load((out / "cards.yaml").read_text(encoding="utf-8"))["cards"]


def notes(tmp_path: Path) -> Path:
    src = source_folder(tmp_path, NOTES)
    (src / "field.png").write_bytes(png(90))
    return src


def laid_out(out: Path) -> dict[str, list[int]]:
    recorded = json.loads((out / ".outputs.json").read_text(encoding="utf-8"))
    return {name: recorded[name]["parts"] for name in ("study.pdf", "quiz.pdf")}


def everything(out: Path) -> dict[str, object]:
    """What a fresh build must give byte for byte (the PDFs but for the second they were made)."""
    generated = re.compile(r"^generated: .*$", re.M)
    return {**comparable(out), "cards.yaml": generated.sub("", (out / "cards.yaml").read_text(encoding="utf-8")),
            "review": (out / review.INDEX).read_bytes()}


def card_with(cards: list[dict], words: str) -> dict:
    return next(c for c in cards if words in c["question"])


def test_an_edit_and_a_changed_source_give_what_a_fresh_build_gives(tmp_path):
    src, out = notes(tmp_path), tmp_path / "b"
    cards = build(src, out)
    (src / "edits.yaml").write_text(f"{card_with(cards, '步幅')['id']}:\n  answer: 输出变小，算得更快。\n",
                                    encoding="utf-8")
    build(src, out)
    (src / "train.txt").write_text(NOTES["train.txt"].replace("不再下降", "连续几轮不再下降"), encoding="utf-8")
    build(src, out)
    fresh = tmp_path / "fresh"
    build(src, fresh)  # the same registry: the same ids
    assert everything(out) == everything(fresh)
    assert "算得更快" in (out / "study.md").read_text(encoding="utf-8")
    assert "连续几轮" in (out / review.INDEX).read_text(encoding="utf-8")


def test_an_edit_renders_again_only_the_study_cards_and_review_section_that_show_the_card(tmp_path, monkeypatch):
    src, out = notes(tmp_path), tmp_path / "b"
    cards = build(src, out)
    study, entries = [], []
    monkeypatch.setattr(sheets, "quiz_key", lambda card, key=sheets.quiz_key: study.append(card.id) or key(card))
    monkeypatch.setattr(review, "stub", lambda record, stub=review.stub: entries.append(record["id"]) or stub(record))
    edited = card_with(cards, "早停和正则化")
    (src / "edits.yaml").write_text(f"{edited['id']}:\n  answer: 参数走不远，就像加了 L2 正则。\n", encoding="utf-8")
    build(src, out)
    assert study == [edited["id"]]  # of study.md's cards, the edited one alone is written again
    # the review page: the section of the edited card's source, each of its cards (with its edits.yaml entry)
    assert sorted(entries) == sorted(c["id"] for c in cards if c["sources"][0]["file"] == "train.txt")
    # the study sheet lays out the part that shows the card, the quiz the part of its key
    # (the sheets are one part each: it is laid out once, with the contents' page numbers of the
    # last build, which have not moved)
    assert laid_out(out) == {"study.pdf": [1, 1], "quiz.pdf": [1, 1]}


def test_a_change_the_sheets_do_not_show_lays_out_and_joins_nothing(tmp_path):
    src, out = notes(tmp_path), tmp_path / "b"
    cards = build(src, out)
    made = {name: (out / name).stat().st_mtime_ns for name in ("study.pdf", "quiz.pdf")}
    (src / "edits.yaml").write_text(f"{card_with(cards, '感受野')['id']}:\n  tags: [面试常考]\n", encoding="utf-8")
    build(src, out)
    assert "面试常考" in (out / "cards.yaml").read_text(encoding="utf-8")
    assert laid_out(out) == {"study.pdf": [0, 1], "quiz.pdf": [0, 1]}
    assert {name: (out / name).stat().st_mtime_ns for name in made} == made  # not even joined again


def test_a_replaced_image_lays_out_again_the_part_that_draws_it(tmp_path, monkeypatch):
    monkeypatch.setattr(sheets, "PART_CARDS", 2)  # the pool's processes are forked from this one: they see it
    src, out = notes(tmp_path), tmp_path / "b"
    build(src, out)  # 6 cards: 3 parts of the study sheet; the image is in the third card, the second part
    before = (out / "study.pdf").read_bytes()
    (src / "field.png").write_bytes(png(200))
    build(src, out)
    assert laid_out(out)["study.pdf"] == [1, 3]
    assert (out / "study.pdf").read_bytes() != before


def sheet_cards(answer: str) -> list[Card]:
    span = [SourceSpan("a.md", 1, 2)]
    return [Card("批量大小怎么选？", "显存放得下的前提下尽量大。", "训练", span, "heading", id="c-1"),
            Card("学习率怎么调？", answer, "训练", span, "heading", id="c-2"),
            Card("哪个是归一化？", "", "层", span, "numbered", type="choice",
                 choices=[Choice("A", "LayerNorm"), Choice("B", "ReLU")], correct=["A"], id="c-3"),
            Card("图里画的是什么？", "一条学习率曲线。\n\n![曲线](curve.png)", "训练", span, "heading", id="c-4")]


def test_study_md_from_kept_cards_is_study_md_written_whole(tmp_path, monkeypatch):
    (tmp_path / "curve.png").write_bytes(png(30))
    link = sheets._image_links(tmp_path, tmp_path / "out")

    def whole(answer: str) -> str:
        return sheets.markdown_sheet(sheet_cards(answer), "笔记", "今天", {}, link)

    def kept(answer: str) -> str:
        fragments = Fragments(tmp_path / "cache" / sheets.STUDY_MD, "study.md cards")
        text = sheets.markdown_sheet(sheet_cards(answer), "笔记", "今天", {}, link, fragments)
        fragments.save()
        return text
    assert kept("先大后小。") == whole("先大后小。")
    expected = whole("先用预热，再余弦衰减。")
    written = []
    monkeypatch.setattr(sheets, "quiz_key", lambda card, key=sheets.quiz_key: written.append(card.id) or key(card))
    assert kept("先用预热，再余弦衰减。") == expected
    assert written == ["c-2"]  # the changed card alone
    written.clear()
    (tmp_path / "curve.png").unlink()  # the image its card links is gone: the card is written again, without the link
    gone = kept("先用预热，再余弦衰减。")
    assert written == ["c-4"] and gone != expected
    assert gone == whole("先用预热，再余弦衰减。")
    written.clear()
    monkeypatch.setattr(cache_module, "code_version", lambda: "other code")
    kept("先用预热，再余弦衰减。")
    assert sorted(written) == ["c-1", "c-2", "c-3", "c-4"]  # another version of the code: every card again


@pytest.mark.parametrize("damage", [b"", b"\x00not a pickle", None])
def test_a_damaged_cache_of_fragments_is_made_again_with_a_note(tmp_path, damage, capsys):
    src, out = notes(tmp_path), tmp_path / "b"
    cards = build(src, out)
    path = out / "cache" / sheets.STUDY_MD
    if damage is None:  # a pickle of the right shape whose entries are not fragments
        version, entries = pickle.loads(path.read_bytes())
        path.write_bytes(pickle.dumps((version, {key: ("text", "not a tuple") for key in entries})))
    else:
        path.write_bytes(damage)
    (src / "edits.yaml").write_text(f"{card_with(cards, '参数量')['id']}:\n  answer: 每个核的权重数乘以核数，加偏置。\n",
                                    encoding="utf-8")
    build(src, out)
    assert f"warning: {path}: not a cache of study.md cards" in capsys.readouterr().err
    fresh = tmp_path / "fresh"
    build(src, fresh)
    assert (out / "study.md").read_bytes() == (fresh / "study.md").read_bytes()
    assert Fragments(path, "study.md cards").warning == ""  # made again whole


def records(n: int) -> list[dict]:
    return [{"id": f"c-{k:06d}", "question": f"第{k}题？", "answer": f"第一行\n第二行 {k}", "fingerprint": f"{k:08x}"}
            for k in range(n)]


def test_cards_yaml_in_kept_runs_is_cards_yaml_written_whole(tmp_path, monkeypatch):
    whole = yamlio.dump({"pipeline_version": "x", "generated": "now", "deck_root": "根", "cards": records(250)})
    kept = Fragments(tmp_path / "runs.pkl", "cards.yaml runs")
    monkeypatch.setattr("pipeline.output.PIPELINE_VERSION", "x")
    assert cards_yaml(records(250), "根", "now", kept) == cards_yaml(records(250), "根", "now") == whole
    dumped = []
    monkeypatch.setattr("pipeline.output.dump", lambda data, dump=yamlio.dump: dumped.append(data) or dump(data))
    changed = records(250)
    changed[120]["answer"] = "改过了"
    head = {"pipeline_version": "x", "generated": "now", "deck_root": "根"}
    assert cards_yaml(changed, "根", "now", kept) == yamlio.dump({**head, "cards": changed})
    assert dumped == [changed[100:200], head]  # the run that holds the changed card, and the lines above the cards
    # no card, or a run whose text would end the document (after a block that keeps its line breaks): written whole
    assert cards_yaml([], "根", "now", kept) == yamlio.dump({**head, "cards": []})
    ending = [{"id": "c-1", "fingerprint": "b"}] * 99 + [{"id": "c-2", "fingerprint": "a\n\n"}, {"id": "c-3", "fingerprint": "c"}]
    assert yamlio.dump(ending[:100]).endswith("...\n")
    assert cards_yaml(ending, "根", "now", kept) == yamlio.dump({**head, "cards": ending})


def test_unchanged_human_files_are_not_parsed_again_and_jsonschema_is_not_loaded(tmp_path, monkeypatch):
    src, out = notes(tmp_path), tmp_path / "b"
    cards = build(src, out)
    (src / "edits.yaml").write_text(f"{card_with(cards, '早停？')['id']}:\n  answer: 验证损失一变差就停。\n", encoding="utf-8")
    (src / "sources.yaml").write_text("deck_root: 面试\ndocuments:\n  - file: conv.md\n    title: 卷积笔记\n",
                                      encoding="utf-8")
    build(src, out)  # both parsed, and kept
    (src / "train.txt").write_text(NOTES["train.txt"] + "\n4. 什么是权重衰减？\n\n每步把权重按比例缩小。\n", encoding="utf-8")
    probe = ("import sys, pipeline.__main__ as cli\n"
             f"assert cli.main(['build', '--source', {str(src)!r}, '--build', {str(out)!r}, '--quiet']) == 0\n"
             "print('jsonschema' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "False", result.stderr
    assert "权重衰减" in (out / "cards.yaml").read_text(encoding="utf-8")
    assert "验证损失一变差就停" in (out / "cards.yaml").read_text(encoding="utf-8")
    # a copy that does not read is no copy: the file is parsed again
    for copy in (out / "cache").glob("edits-*.json"):
        copy.write_text("{not json", encoding="utf-8")
    parsed = []
    monkeypatch.setattr(yamlio, "parse", lambda *args, parse=yamlio.parse: parsed.append(args[1]) or parse(*args))
    (src / "train.txt").write_text(NOTES["train.txt"], encoding="utf-8")
    build(src, out)
    assert parsed == [str(src / "edits.yaml")]


def test_a_sheet_process_that_cannot_warm_up_still_lays_out_the_sheets(tmp_path, monkeypatch):
    fonts, calls = sheets.typst.Fonts, []

    def first_fails(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:  # in each of the pool's processes (forked from here), its first search
            raise RuntimeError("no fonts yet")
        return fonts(*args, **kwargs)
    monkeypatch.setattr(sheets.typst, "Fonts", first_fails)
    sheets._fonts.cache_clear()
    src, out = notes(tmp_path), tmp_path / "b"
    build(src, out)
    assert (out / "study.pdf").exists() and (out / "quiz.pdf").exists()


def test_the_contents_follow_a_topic_whose_first_page_moved(tmp_path, monkeypatch):
    monkeypatch.setattr(sheets, "PART_CARDS", 2)
    src, out = notes(tmp_path), tmp_path / "b"
    cards = build(src, out)
    long = "\\n\\n".join(f"第{k}段：卷积核在输入上滑动，每个位置做一次乘加，得到输出的一个点。" * 3 for k in range(40))
    (src / "edits.yaml").write_text(f"{card_with(cards, '参数量')['id']}:\n  answer: \"{long}\"\n", encoding="utf-8")
    build(src, out)  # the first part grows by pages: the topics after it start later
    # the first part, laid out with the last build's page numbers; the two after it, which
    # start on later pages; the first again, with the topics' new pages in its contents
    assert laid_out(out)["study.pdf"] == [4, 3]
    (out / "cache" / "sheets" / "study" / "page-numbers").write_text("[1, \"x\"]", encoding="utf-8")  # no guess
    (src / "edits.yaml").write_text(f"{card_with(cards, '参数量')['id']}:\n  answer: \"{long}。\"\n", encoding="utf-8")
    build(src, out)
    fresh = tmp_path / "fresh"
    build(src, fresh)
    assert pages(out / "study.pdf") == pages(fresh / "study.pdf")
    contents = pages(out / "study.pdf")[0]
    assert re.search(r"^train [. ]+?([3-9]|\d\d)$", contents, re.M), contents  # the second topic, pages on


def test_a_stop_that_comes_while_processes_are_forked_is_not_lost(tmp_path):
    # a SIGTERM that landed in a fork's handlers was swallowed, and the build went on
    previous = signal.signal(signal.SIGTERM, cli._stop)
    reached = []
    try:
        with pytest.raises(SystemExit):
            with stops_held():
                # to this thread (the test runner's threads would take one sent to the process)
                signal.pthread_kill(threading.get_ident(), signal.SIGTERM)
                reached.append("the end of the block")
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert reached == ["the end of the block"]
    # a process forked inside the block starts with stops held, and gets them again once it releases them
    with stops_held():
        child = os.fork()
        if child == 0:
            held = signal.SIGTERM in signal.pthread_sigmask(signal.SIG_BLOCK, set())
            release_stops()
            os._exit(0 if held and signal.SIGTERM not in signal.pthread_sigmask(signal.SIG_BLOCK, set()) else 1)
    assert os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]) == 0
