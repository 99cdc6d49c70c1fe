"""A build with nothing to do is decided from file stamps (pipeline/stamps.py): it writes
nothing and loads no stage; any change to what a build reads or wrote makes a real build."""
from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml

import pipeline.__main__ as cli
from pipeline import stamps
from conftest import ROOT, source_folder

NOTES = {
    "optim.md": "## 优化\n\n### 动量法为什么能加速收敛？\n\n它把过去的梯度累积起来，平滑了震荡方向。\n\n"
                "### 权重衰减和 L2 正则有什么关系？\n\n在 SGD 下两者等价，公式 $w \\leftarrow (1-\\lambda) w$。\n",
    "norm.txt": "1. 层归一化对什么维度求均值？\n\n对每个样本的特征维求均值。\n\n"
                "2. 归一化层放在残差分支里面还是外面？\n\n两种都有，Pre-LN 训练更稳。\n",
}


def snapshot(folder: Path) -> dict[str, tuple[int, int, str]]:
    """Every file under `folder`: size, modification time and content digest."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns,
                                         hashlib.blake2b(p.read_bytes()).hexdigest())
            for p in sorted(folder.rglob("*")) if p.is_file()}


def age(folder: Path, seconds: float = 3600) -> None:
    """Date every file under `folder` back, so that none is racy (just written)."""
    past = time.time_ns() - int(seconds * 1e9)
    for p in folder.rglob("*"):
        os.utime(p, ns=(past, past))


def options(src: Path, out: Path, keep_going: bool = False) -> stamps.Options:
    return stamps.Options.of(src, out, stamps.registry_path(src, out, None), keep_going)


def run(src: Path, out: Path, *extra: str, importtime: bool = False) -> subprocess.CompletedProcess:
    command = [sys.executable, *(["-X", "importtime"] if importtime else []), "-m", "pipeline", "build",
               "--source", str(src), "--build", str(out), *extra]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def built(tmp_path) -> tuple[Path, Path]:
    src, out = source_folder(tmp_path, NOTES), tmp_path / "b"
    age(src)
    cli.build(src, out, quiet=True)
    return src, out


def test_a_build_with_nothing_changed_writes_nothing_and_loads_no_stage(built):
    src, out = built
    before = snapshot(out)
    sources = snapshot(src)
    started = time.perf_counter()
    result = run(src, out, importtime=True)
    seconds = time.perf_counter() - started
    assert "built 4 cards (4 ok) from 2 sources" in result.stderr
    assert "nothing changed since the last build" in result.stderr
    # decided before any stage (or a library it needs) is imported
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert "pipeline.stamps" in imported
    assert not imported & {"pipeline.dedup", "pipeline.extract", "pipeline.cache", "genanki", "typst", "yaml"}
    assert snapshot(out) == before and snapshot(src) == sources
    assert seconds < 5  # the interpreter's start, on a loaded machine; the build itself takes milliseconds
    assert run(src, out, "--quiet").stderr == ""


def rewrite_just_now(src: Path, out: Path) -> None:
    """A source written within the clock tick of the stamps: same size and time, other content."""
    path = src / "norm.txt"
    text = path.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    cli.build(src, out, quiet=True)  # the stamps are taken while norm.txt is racy
    stamp = path.stat()
    path.write_text(text.replace("更稳", "更快"), encoding="utf-8")
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))


CHANGES = {
    "a source's text": lambda src, out: (src / "optim.md").write_text(NOTES["optim.md"] + "\n补充。\n", encoding="utf-8"),
    "a source touched": lambda src, out: os.utime(src / "optim.md"),
    "a source with the same stamp, just written": rewrite_just_now,
    "a new source": lambda src, out: (src / "new.md").write_text("### 什么是早停？\n\n验证集不再变好就停。\n",
                                                                 encoding="utf-8"),
    "a source removed": lambda src, out: (src / "norm.txt").unlink(),
    "an image in a subfolder": lambda src, out: (src / "fig").mkdir() or (src / "fig" / "a.png").write_bytes(b"x"),
    "edits.yaml": lambda src, out: (src / "edits.yaml").write_text("{}\n", encoding="utf-8"),
    "sources.yaml": lambda src, out: (src / "sources.yaml").write_text("deck_root: 新牌组\n", encoding="utf-8"),
    "the registry": lambda src, out: os.utime(src / "card_ids.yaml"),
    "the registry removed": lambda src, out: (src / "card_ids.yaml").unlink(),
    "an output removed": lambda src, out: (out / "quiz.pdf").unlink(),
    "an output altered": lambda src, out: (out / "study.md").write_text("改过了\n", encoding="utf-8"),
    "the outputs' digests": lambda src, out: (out / ".outputs.json").write_text("{}", encoding="utf-8"),
    "the previous cards": lambda src, out: (out / ".cards.json").unlink(),
    "a stray file in the build folder": lambda src, out: (out / "note.txt").write_text("x", encoding="utf-8"),
}


@pytest.mark.parametrize("change", CHANGES)
def test_any_change_to_an_input_or_output_makes_a_real_build(built, change):
    src, out = built
    assert stamps.unchanged(options(src, out)) is not None
    CHANGES[change](src, out)
    assert stamps.unchanged(options(src, out)) is None


def test_code_options_and_environment_are_part_of_the_digest(built, tmp_path, monkeypatch):
    src, out = built
    assert stamps.unchanged(options(src, out, keep_going=True)) is None
    monkeypatch.setenv("PIPELINE_SOURCE_SECONDS", "5")
    assert stamps.unchanged(options(src, out)) is None
    monkeypatch.delenv("PIPELINE_SOURCE_SECONDS")
    assert stamps.unchanged(options(src, out)) is not None
    code = tmp_path / "code"
    code.mkdir()
    (code / "stage.py").write_text("x = 1\n", encoding="utf-8")
    monkeypatch.setattr(stamps, "CODE", code)
    assert stamps.unchanged(options(src, out)) is None


def test_a_failed_build_leaves_no_record(built):
    src, out = built
    (src / "edits.yaml").write_text("c-nosuchid:\n  answer: x\n", encoding="utf-8")
    with pytest.raises(cli.PipelineError):
        cli.build(src, out, quiet=True)
    assert not (out / stamps.RECORD).exists()
    (src / "edits.yaml").unlink()
    cli.build(src, out, quiet=True)
    assert stamps.unchanged(options(src, out)) is not None


def deck_notes(apkg: Path) -> list[tuple[str, str, str]]:
    with zipfile.ZipFile(apkg) as z:
        data = z.read("collection.anki2")
    db = apkg.parent.parent / f"{apkg.parent.name}.anki2"
    db.write_bytes(data)
    with sqlite3.connect(db) as con:
        rows = sorted(con.execute("select guid, flds, tags from notes"))
    db.unlink()
    return rows


# Typst stamps a PDF with the second it was made, and derives the file's /ID from it
_PDF_TIME = re.compile(rb"(/(?:Creation|Mod)Date \(D:|<xmp:(?:Create|Modify)Date>|<xmpMM:(?:Instance|Document)ID>)[^)<]*"
                       rb"|/ID \[[^\]]*\]")


def comparable(out: Path) -> dict[str, object]:
    cards = yaml.safe_load((out / "cards.yaml").read_text(encoding="utf-8"))
    cards.pop("generated")
    return {"cards": cards, "deck": deck_notes(out / "deck.apkg"), "study.md": (out / "study.md").read_bytes(),
            **{name: _PDF_TIME.sub(rb"\1", (out / name).read_bytes()) for name in ("study.pdf", "quiz.pdf")}}


def test_outputs_of_fast_builds_match_a_fresh_build(built, tmp_path):
    src, out = built
    assert "nothing changed" in run(src, out).stderr
    # one source and one edit changed: only what changed is read again and written again
    card = next(c for c in yaml.safe_load((out / "cards.yaml").read_text(encoding="utf-8"))["cards"]
                if "动量" in c["question"])
    (src / "edits.yaml").write_text(f"{card['id']}:\n  answer: 累积的梯度抵消了来回的震荡。\n", encoding="utf-8")
    (src / "norm.txt").write_text(NOTES["norm.txt"] + "\n3. 批归一化在推理时用什么统计量？\n\n训练时的滑动平均。\n",
                                  encoding="utf-8")
    cli.build(src, out, quiet=True)
    fresh = tmp_path / "fresh"
    cli.build(src, fresh, quiet=True)  # same sources and registry, empty build folder
    assert comparable(out) == comparable(fresh)
    assert "累积的梯度" in (out / "study.md").read_text(encoding="utf-8")


def written(out: Path) -> dict[str, int]:
    return {name: (out / name).stat().st_mtime_ns for name in ("cards.yaml", "deck.apkg", "study.md", "study.pdf",
                                                                "quiz.pdf")}


def test_a_real_build_rewrites_only_the_outputs_that_differ(built):
    src, out = built
    (src / "open.md").write_text("## 训练\n\n### 梯度裁剪的阈值怎么选？\n\n### 学习率预热有什么用？\n\n"
                                 "前几步用小学习率，避免一开始发散。\n\n![预热曲线](fig.png)\n", encoding="utf-8")
    (src / "fig.png").write_bytes(b"\x89PNG\r\n\x1a\nfirst")
    cli.build(src, out, quiet=True)
    cards = yaml.safe_load((out / "cards.yaml").read_text(encoding="utf-8"))["cards"]
    unanswered = next(c for c in cards if "梯度裁剪" in c["question"])
    assert unanswered["status"] == "needs_answer"
    before = written(out)

    # an edit to a card that is in neither the deck nor the sheets: only cards.yaml is written
    (src / "edits.yaml").write_text(f"{unanswered['id']}:\n  tags: [待补]\n", encoding="utf-8")
    cli.build(src, out, quiet=True)
    after = written(out)
    assert after["cards.yaml"] != before["cards.yaml"]
    assert {k: v for k, v in after.items() if k != "cards.yaml"} == {k: v for k, v in before.items()
                                                                    if k != "cards.yaml"}

    # an image the cards show changed: the deck is written again with it, and the sheets,
    # which draw it, are laid out again
    (src / "fig.png").write_bytes(b"\x89PNG\r\n\x1a\nsecond")
    cli.build(src, out, quiet=True)
    with zipfile.ZipFile(out / "deck.apkg") as z:
        assert any(z.read(name).endswith(b"second") for name in z.namelist())
    assert written(out)["study.pdf"] != after["study.pdf"]

    # an output changed by hand is written again
    (out / "study.md").write_text("改过了\n", encoding="utf-8")
    cli.build(src, out, quiet=True)
    assert "学习率预热" in (out / "study.md").read_text(encoding="utf-8")


def test_a_deleted_output_is_written_again_alone(built):
    src, out = built
    before = written(out)
    (out / "deck.apkg").unlink()
    result = run(src, out)
    assert "nothing changed" not in result.stderr
    after = written(out)
    assert after["deck.apkg"] and {k: v for k, v in after.items() if k != "deck.apkg"} == {
        k: v for k, v in before.items() if k != "deck.apkg"}
    assert len(deck_notes(out / "deck.apkg")) == 4
    assert "nothing changed" in run(src, out).stderr
