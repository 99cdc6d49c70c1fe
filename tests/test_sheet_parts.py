"""The PDF sheets are laid out in parts (export/sheets.py: runs of PART_CARDS items, each a
Typst document cached by the digest of what it shows), joined with pypdf. Here parts hold
three items, so that a dozen cards make several parts, topics start inside parts and run
across them, and the quiz's answer key has parts of its own."""
from __future__ import annotations

import json
import multiprocessing
import re

import pytest
import yaml
from pypdf import PdfReader

import pipeline.__main__ as cli
from conftest import source_folder
from pipeline.export import sheets
from pipeline.model import Card, SourceSpan
from pipeline.text import fold

# three topics of 5, 2 and 4 cards; every answer is one line, so each part's page count
# stays the same when an answer is replaced by another of the same length
TOPICS = {
    "卷积网络专题": ["卷积核的大小怎样影响感受野？", "池化层有哪些常见的做法？", "空洞卷积解决了什么问题？",
                "深度可分离卷积省下了哪些计算？", "为什么要在卷积后面接批归一化？"],
    "循环网络专题": ["门控循环单元有几个门？", "长短期记忆网络如何缓解梯度消失？"],
    "优化方法专题": ["动量法为什么能加速收敛？", "学习率预热有什么用处？", "权重衰减和正则化是什么关系？",
                "自适应学习率方法有哪些代表？"],
}


def notes() -> str:
    lines = []
    for topic, questions in TOPICS.items():
        lines.append(f"## {topic}\n")
        for n, question in enumerate(questions, start=1):
            lines.append(f"### {question}\n\n{topic}第{n}题的答案在这里。\n")
    return "\n".join(lines)


@pytest.fixture
def small_parts(monkeypatch):
    # the pool's workers are forked from this process: they see the patched size
    monkeypatch.setattr(sheets, "PART_CARDS", 3)


def build(src, out) -> dict:
    assert cli.main(["build", "--source", str(src), "--build", str(out), "--quiet"]) == 0
    return yaml.safe_load((out / "cards.yaml").read_text(encoding="utf-8"))


def parts(out, sheet: str) -> dict[str, int]:
    """The parts cached for a sheet: file name -> modification time."""
    return {p.name: p.stat().st_mtime_ns for p in (out / "cache" / "sheets" / sheet).glob("*.pdf")}


def laid_out(out) -> dict[str, list[int]]:
    """Per PDF, [Typst documents the last build compiled, parts of the sheet]."""
    recorded = json.loads((out / ".outputs.json").read_text(encoding="utf-8"))
    return {name: recorded[name]["parts"] for name in ("study.pdf", "quiz.pdf")}


def pages(path) -> list[str]:
    return [page.extract_text() for page in PdfReader(str(path)).pages]


def test_an_edit_lays_out_again_only_the_parts_that_show_the_card(tmp_path, small_parts):
    src, out = source_folder(tmp_path, {"notes.md": notes()}), tmp_path / "b"
    cards = build(src, out)["cards"]
    # 11 cards: study 4 parts, quiz 8 (questions, then keys); the first part's layout with
    # blank page numbers is compiled once more
    assert laid_out(out) == {"study.pdf": [5, 4], "quiz.pdf": [9, 8]}
    before = {sheet: parts(out, sheet) for sheet in ("study", "quiz")}

    card = next(c for c in cards if "循环网络专题第2题" in c["answer"])  # the 7th card: study part 3
    (src / "edits.yaml").write_text(f"{card['id']}:\n  answer: 循环网络专题第2题的答案改过了。\n", encoding="utf-8")
    build(src, out)
    # the study sheet's part holding card 7, and the quiz's key part holding its answer
    assert laid_out(out) == {"study.pdf": [1, 4], "quiz.pdf": [1, 8]}
    for sheet in ("study", "quiz"):
        after = parts(out, sheet)
        # one part new; gone, its old layout and the first part's with blank page numbers (a
        # first build's: later builds lay out the first part with the numbers of the last)
        assert len(set(after) - set(before[sheet])) == 1 and len(set(before[sheet]) - set(after)) == 2
        assert all(after[name] == before[sheet][name] for name in set(after) & set(before[sheet]))

    fresh = tmp_path / "fresh"
    build(src, fresh)  # the same registry: the same ids
    for name in ("study.pdf", "quiz.pdf"):
        assert pages(out / name) == pages(fresh / name)
    assert fold("循环网络专题第2题的答案改过了") in fold("".join(pages(out / "study.pdf")))


def test_page_numbers_run_on_across_parts_and_bookmarks_open_each_topic(tmp_path, small_parts):
    src, out = source_folder(tmp_path, {"notes.md": notes()}), tmp_path / "b"
    build(src, out)
    for name, entries in (("study.pdf", [*TOPICS]), ("quiz.pdf", [*TOPICS, "答案"])):
        reader = PdfReader(str(out / name))
        texts = [page.extract_text() for page in reader.pages]
        assert len(texts) > len(laid_out(out)[name]) - 1  # a page or more per part
        assert [text.split()[-1] for text in texts] == [str(n) for n in range(1, len(texts) + 1)]
        marks = [(item.title, reader.get_destination_page_number(item)) for item in reader.outline]
        assert [title for title, _ in marks] == entries
        contents = dict(re.findall(r"^(\S+) [. ]+?(\d+)$", texts[0], re.M))
        for title, page in marks:
            # the first page with the heading on a line of its own (the contents' lines have dots)
            first = next(n for n, text in enumerate(texts) if title in (line.strip() for line in text.split("\n")))
            assert page == first, (name, title)
            assert contents[title] == str(page + 1), (name, title)


def test_a_failing_part_leaves_the_sheets_whole_and_names_its_source_and_line(tmp_path, small_parts, monkeypatch,
                                                                            capsys):
    src, out = source_folder(tmp_path, {"notes.md": notes()}), tmp_path / "b"
    cards = build(src, out)["cards"]
    old = {name: (out / name).read_bytes() for name in ("study.pdf", "quiz.pdf")}
    card = cards[0]
    (src / "edits.yaml").write_text(f"{card['id']}:\n  answer: 改过的答案。\n", encoding="utf-8")

    setup = sheets._setup
    monkeypatch.setattr(sheets, "_setup", lambda title, page: [*setup(title, page), "#set page(paper: \"nope\")"])
    assert cli.main(["build", "--source", str(src), "--build", str(out), "--quiet"]) == 2
    error = capsys.readouterr().err
    where = re.search(r"error: (\S+\.typ):(\d+): Typst: .*paper", error)
    assert where, error
    source = (out / "cache" / "sheets").glob(f"*/{where.group(1).rsplit('/', 1)[-1]}")
    assert "#set page(paper: \"nope\")" in next(source).read_text(encoding="utf-8").split("\n")[int(where.group(2)) - 1]
    # the sheets are the last build's, whole; no temporary file is left beside them
    assert {name: (out / name).read_bytes() for name in old} == old
    assert not list(out.glob(".*.tmp")) and not list((out / "cache" / "sheets").rglob(".*.tmp"))
    assert not {"study.pdf", "quiz.pdf"} & set(json.loads((out / ".outputs.json").read_text(encoding="utf-8")))

    monkeypatch.setattr(sheets, "_setup", setup)
    build(src, out)
    assert fold("改过的答案") in fold("".join(pages(out / "study.pdf")))
    # the first card is in the sheets' first part: laid out once, with the contents' page
    # numbers of the last build (they did not move); the quiz's key part holding its answer
    assert laid_out(out) == {"study.pdf": [1, 4], "quiz.pdf": [1, 8]}


def sheet_cards(answer: str) -> list[Card]:
    return [Card(question, f"{topic}第{n}题{answer}", topic, [SourceSpan("notes.md", n, n)], "heading", id=f"c{k}{n}")
            for k, (topic, questions) in enumerate(TOPICS.items()) for n, question in enumerate(questions, start=1)]


def test_parts_laid_out_before_an_interruption_are_kept_and_the_sheet_is_whole(tmp_path, small_parts):
    # Typst's thread pool, once started in a process, is missing from the processes later
    # forked from it, where laying out a sheet then waits for it forever: the sheets are
    # laid out here in a process of their own, so that the builds of the tests that follow
    # in this process still fork clean sheet processes
    with multiprocessing.get_context("fork").Pool(1) as apart:
        apart.apply(interrupted_and_resumed, (tmp_path,))


def interrupted_and_resumed(tmp_path) -> None:
    path, folder = tmp_path / "study.pdf", tmp_path / "parts"
    sheets.write_pdf(sheet_cards("的答案。"), "笔记", "今天", False, path, parts_dir=folder)
    old = path.read_bytes()

    compile_, calls = sheets._compile, []

    def interrupted(*args):
        calls.append(args)
        if len(calls) == 3:
            raise KeyboardInterrupt  # Ctrl-C, in the middle of the parts
        return compile_(*args)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(sheets, "_compile", interrupted)
        with pytest.raises(KeyboardInterrupt):
            sheets.write_pdf(sheet_cards("的新答案。"), "笔记", "今天", False, path, parts_dir=folder)
    assert path.read_bytes() == old
    assert not list(tmp_path.rglob(".*.tmp"))
    # each part written is whole: a .json only beside its .pdf
    assert {p.stem for p in folder.glob("*.json")} <= {p.stem for p in folder.glob("*.pdf")}

    written = sheets.write_pdf(sheet_cards("的新答案。"), "笔记", "今天", False, path, parts_dir=folder)
    assert (written.laid_out, written.parts) == (4 - 2, 4)  # the two laid out before Ctrl-C are kept
    sheets.write_pdf(sheet_cards("的新答案。"), "笔记", "今天", False, tmp_path / "fresh.pdf")
    assert pages(path) == pages(tmp_path / "fresh.pdf")
