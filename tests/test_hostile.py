"""Hostile input: every file in tests/data/hostile decodes to the right text or is refused
with its name; active content never reaches an output; a killed build loses nothing."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from conftest import DATA, ROOT, run_cli
from pipeline.__main__ import read_source
from pipeline.model import PipelineError
from pipeline.render import to_html

HOSTILE = DATA / "hostile"
ACTIVE = re.compile(r"<script|<iframe|\son\w+\s*=|javascript:", re.I)


def cards(name: str):
    return read_source(HOSTILE / name, "t").cards


@pytest.mark.parametrize("name", ["utf8.txt", "utf8-bom.txt", "utf16le-bom.txt", "utf16be-bom.txt", "gbk.txt",
                                  "mixed-endings.txt", "fullwidth.txt", "nul-late.txt"])
def test_encodings_and_line_endings_give_the_same_cards(name):
    got = cards(name)
    assert [c.question for c in got][:2] == ["什么是卷积？", "什么是池化？"]
    assert got[0].answer.startswith("逐个元素相乘") and got[0].status == "ok"


def test_big5_traditional_text():
    assert [c.question for c in cards("big5.txt")][:2] == ["什麼是卷積？", "什麼是池化？"]


def test_zero_width_and_nbsp_are_gone():
    got = cards("zero-width.md")
    assert [c.question for c in got] == ["什么是卷积？", "什么是池化？"]
    assert got[0].answer == "逐个元素相乘。" and got[1].answer == "取 区域最大。"


def test_line_numbers_survive_mixed_line_endings():
    got = cards("mixed-endings.txt")
    assert [(s.first, s.last) for c in got for s in c.sources] == [(1, 3), (5, 7)]  # "\\r\\r" ends two lines


@pytest.mark.parametrize("name, message", [("binary.txt", "binary file")])
def test_binary_is_refused_with_its_name(name, message):
    with pytest.raises(PipelineError) as err:
        read_source(HOSTILE / name, "t")
    assert name in str(err.value) and message in str(err.value)


@pytest.mark.parametrize("name", ["empty.md", "whitespace.txt"])
def test_empty_files_give_no_cards(name):
    assert cards(name) == []


def test_html_active_content_never_reaches_a_card():
    got = cards("active.html")
    assert [c.question for c in got] == ["什么是XSS？", "如何防御XSS？"]
    for card in got:
        assert not ACTIVE.search(card.question + card.answer), card.answer
        assert not ACTIVE.search(to_html(card.answer))
    assert "steal()" not in got[0].answer and "alert(3)" not in got[0].answer


def test_markdown_raw_html_is_removed_but_literal_text_stays():
    got = cards("raw-html.md")
    assert got[0].question == "为什么 粗体 与 文字 会显示？"
    assert "<手推>" in got[0].answer and "`<div>`" in got[0].answer and "alert(1)" in got[0].answer
    html = to_html(got[0].answer)
    assert "&lt;手推&gt;" in html and "<code>&lt;div&gt;</code>" in html and not ACTIVE.search(html)


def test_images_outside_the_source_folder_are_never_read_or_bundled(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(HOSTILE / "raw-html.md", src)
    result = run_cli("build", "--source", str(src), "--build", str(tmp_path / "b"))
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(tmp_path / "b" / "deck.apkg") as z:
        assert z.read("media") in (b"{}", b"{ }")
        assert "passwd" not in "".join(z.namelist())
    text = (tmp_path / "b" / "cards.yaml").read_text(encoding="utf-8")
    assert "passwd" not in text and "shadow" not in text


def test_generated_extremes(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "deep.html").write_text("<html><body>" + "<div>" * 3000 + "<h3>什么是深度？</h3><p>很深。</p>"
                                   + "</div>" * 3000 + "</body></html>", encoding="utf-8")
    (src / "long-line.txt").write_text("1、什么是长行？\n" + "很长的答案，" * 170_000 + "\n", encoding="utf-8")
    (src / "huge.md").write_bytes(b"# x\n" + b"a" * (20 * 2**20))
    result = run_cli("build", "--source", str(src), "--build", str(tmp_path / "b"), "--keep-going")
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "huge.md: too large" in result.stderr
    got = {c["question"]: c for c in yaml.safe_load((tmp_path / "b" / "cards.yaml").read_text(encoding="utf-8"))["cards"]}
    assert got["什么是深度？"]["answer"] == "很深。"
    assert len(got["什么是长行？"]["answer"]) > 1_000_000


def test_whole_hostile_corpus_in_one_run_reports_every_bad_file(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(HOSTILE, src)
    (src / "binary2.md").write_bytes(b"\x00\x01" * 100)
    result = run_cli("build", "--source", str(src), "--build", str(tmp_path / "b"))
    assert result.returncode == 2
    assert "binary.txt" in result.stderr and "binary2.md" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "b" / "cards.yaml").exists()
    result = run_cli("build", "--source", str(src), "--build", str(tmp_path / "b"), "--keep-going")
    assert result.returncode == 0


def outputs_are_whole(out: Path) -> None:
    yaml.safe_load((out / "cards.yaml").read_text(encoding="utf-8"))
    with zipfile.ZipFile(out / "deck.apkg") as z:
        assert z.testzip() is None
    for pdf in ("study.pdf", "quiz.pdf"):
        assert len(PdfReader(str(out / pdf)).pages) > 1
    assert (out / "report.md").read_text(encoding="utf-8").startswith("# Build report")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_killed_build_leaves_the_previous_outputs_intact(tmp_path, sig):
    src = tmp_path / "src"
    shutil.copytree(ROOT / "source", src, ignore=shutil.ignore_patterns("card_ids.yaml"))
    out = tmp_path / "b"
    assert run_cli("build", "--source", str(src), "--build", str(out)).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    registry = (src / "card_ids.yaml").read_bytes()
    path = src / "000_493e6a27935986c3.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("假币制造商", "伪钞制造者"), encoding="utf-8")
    for delay in (0.3, 0.6, 0.9):
        log = tmp_path / "stderr.log"
        with log.open("wb") as errors:
            proc = subprocess.Popen([sys.executable, "-m", "pipeline", "build", "--source", str(src), "--build", str(out)],
                                    cwd=ROOT, stdout=subprocess.DEVNULL, stderr=errors)
            time.sleep(delay)
            proc.send_signal(sig)
            proc.wait(timeout=60)
        assert b"Traceback" not in log.read_bytes()
        outputs_are_whole(out)
        yaml.safe_load((src / "card_ids.yaml").read_text(encoding="utf-8"))
        if sig == signal.SIGTERM:
            assert not list(out.glob(".*.tmp")), "a stopped build cleans up after itself"
    # and the next build completes from whatever state the kills left
    assert run_cli("build", "--source", str(src), "--build", str(out)).returncode == 0
    assert "伪钞制造者" in (out / "cards.yaml").read_text(encoding="utf-8")
    assert before["cards.yaml"] != (out / "cards.yaml").read_bytes() and registry


def test_a_stop_cannot_cut_the_sheet_pool_shutdown_short_and_none_lands_in_the_exit(tmp_path, monkeypatch):
    """A SIGTERM that landed inside the sheet pool's shutdown left the workers waiting for the
    word to leave and the build waiting for them, for ever; one that landed in the
    interpreter's exit printed a traceback from a thread's join. Both were seen under load:
    the kill test above failed once, and a run of 80 kills at random moments met them at the 24th."""
    import concurrent.futures

    import pipeline.__main__ as cli
    held_at_shutdown = []
    shutdown = concurrent.futures.ProcessPoolExecutor.shutdown

    def watched(self, *args, **kwargs):
        held_at_shutdown.append(signal.SIGTERM in signal.pthread_sigmask(signal.SIG_BLOCK, []))
        return shutdown(self, *args, **kwargs)

    monkeypatch.setattr(concurrent.futures.ProcessPoolExecutor, "shutdown", watched)
    src = tmp_path / "src"
    shutil.copytree(ROOT / "source", src, ignore=shutil.ignore_patterns("card_ids.yaml"))
    before = signal.getsignal(signal.SIGTERM)
    try:
        assert cli.main(["build", "--source", str(src), "--build", str(tmp_path / "b"), "--quiet"]) == 0
        assert held_at_shutdown and all(held_at_shutdown)
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    finally:
        signal.signal(signal.SIGTERM, before)


def built_text(out: Path) -> str:
    """Everything a build keeps that holds card text: cards.yaml, the deck's notes, the cache."""
    with zipfile.ZipFile(out / "deck.apkg") as z:
        deck = z.read("collection.anki2")
    cache = b"".join(p.read_bytes() for p in (out / "cache").rglob("*") if p.is_file())
    return (out / "cards.yaml").read_text(encoding="utf-8") + (deck + cache).decode("utf-8", "replace")


def test_links_out_of_the_source_folder_are_refused_and_broken_links_reported(tmp_path):
    secret = tmp_path / "private.txt"
    secret.write_text("1、什么是私人笔记？\n不该出现在卡片里的内容。\n", encoding="utf-8")
    src, out = tmp_path / "src", tmp_path / "b"
    (src / "sub").mkdir(parents=True)
    (src / "notes.md").write_text("### 什么是梯度？\n\n上升最快的方向。\n", encoding="utf-8")
    (src / "sub" / "kept.txt").write_text("1、什么是软链接？\n指向文件夹里的另一个文件。\n", encoding="utf-8")
    (src / "inside.txt").symlink_to(src / "sub" / "kept.txt")
    (src / "leak.txt").symlink_to(secret)
    (src / "gone.md").symlink_to(tmp_path / "nowhere.md")
    (src / "loop.md").symlink_to(src / "loop.md")
    result = run_cli("build", "--source", str(src), "--build", str(out))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "leak.txt: a symbolic link to a file outside the source folder" in result.stderr
    assert not (out / "cards.yaml").exists()
    result = run_cli("build", "--source", str(src), "--build", str(out), "--keep-going")
    assert result.returncode == 0, result.stderr
    text = built_text(out)
    assert "什么是梯度" in text and "什么是软链接" in text, "a link inside the folder is read"
    assert "私人笔记" not in text and "不该出现" not in text
    report = (out / "report.md").read_text(encoding="utf-8")
    skipped = report[report.index("## Skipped sources"):report.index("## Sources")]
    assert "leak.txt: a symbolic link to a file outside" in skipped
    assert "gone.md: a dangling symbolic link" in skipped and "loop.md: a symbolic link loop" in skipped
    # a broken link is no source: it is reported, and does not stop a build
    (src / "leak.txt").unlink()
    result = run_cli("build", "--source", str(src), "--build", str(out))
    assert result.returncode == 0 and "gone.md: a dangling symbolic link" in result.stderr


def test_a_file_name_that_is_not_utf8_is_a_named_bad_source(tmp_path):
    src, out = tmp_path / "src", tmp_path / "b"
    src.mkdir()
    (src / "notes.md").write_text("### 什么是梯度？\n\n上升最快的方向。\n", encoding="utf-8")
    (src / os.fsdecode(b"caf\xe9.md")).write_text("### 什么是坏文件名？\n\n一个Latin-1文件名。\n", encoding="utf-8")
    result = run_cli("build", "--source", str(src), "--build", str(out))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "caf\\xe9.md: the file name is not UTF-8" in result.stderr
    assert not (out / "cards.yaml").exists()
    result = run_cli("build", "--source", str(src), "--build", str(out), "--keep-going")
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "caf\\xe9.md: the file name is not UTF-8" in (out / "report.md").read_text(encoding="utf-8")
    assert "坏文件名" not in built_text(out) and "什么是梯度" in built_text(out)


def test_file_names_with_a_line_break_or_a_bar_keep_the_report_tables_whole(tmp_path):
    src, out = tmp_path / "src", tmp_path / "b"
    src.mkdir()
    names = ["plain.md", "a|b.md", "two\nlines.md"]
    for k, name in enumerate(names):
        (src / name).write_text(f"开场白。\n\n### 第{k}个问题是什么？\n\n答案{k}。\n", encoding="utf-8")
    result = run_cli("build", "--source", str(src), "--build", str(out))
    assert result.returncode == 0, result.stderr
    report = (out / "report.md").read_text(encoding="utf-8")
    tables = re.findall(r"(?:^\|.*\n)+", report, re.M)
    assert len(tables) == 2  # sources, lines dropped by rule
    for table in tables:
        widths = {len(re.findall(r"(?<!\\)\|", row)) for row in table.splitlines()}
        assert len(widths) == 1, table
    assert "| a\\|b.md |" in tables[0] and "| two\\nlines.md |" in tables[0]
    assert len(tables[0].splitlines()) == 2 + len(names)
