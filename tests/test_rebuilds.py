"""Stable ids across re-scrapes, human edits, and the diff between builds."""
from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys
import zipfile

import pytest
import yaml

from conftest import ROOT, run_cli


def build(src, out, *extra):
    result = run_cli("build", "--source", str(src), "--build", str(out), *extra)
    assert result.returncode == 0, result.stderr
    return {c["id"]: c for c in yaml.safe_load((out / "cards.yaml").read_text(encoding="utf-8"))["cards"]}


def by_question(cards: dict, needle: str) -> dict:
    return next(c for c in cards.values() if needle in c["question"])


@pytest.fixture
def src(tmp_path):
    folder = tmp_path / "src"
    shutil.copytree(ROOT / "source", folder, ignore=shutil.ignore_patterns("card_ids.yaml"))
    return folder


def edit_source(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_ids_survive_a_rescrape_and_the_diff_names_exactly_the_changes(src, tmp_path):
    out = tmp_path / "b"
    v1 = build(src, out)
    # a new document, unrelated lines deleted, a typo fixed, a question reworded
    (src / "new.md").write_text("## 新章节\n\n### 什么是知识蒸馏？\n\n用大模型的输出训练小模型。\n", encoding="utf-8")
    edit_source(src / "001_8c4a74ab47ef35b2.txt", "算法学习4对1辅导论文辅导核心期刊以及其他学习资源可以通过公众号滴滴我\n", "")
    edit_source(src / "003_8e326692bfc38364.txt", "有点事什么", "优点是什么")
    edit_source(src / "000_493e6a27935986c3.txt", "9、简述下什么是生成对抗网络。", "9、简述一下什么是生成对抗网络。")
    v2 = build(src, out)
    assert set(v1) <= set(v2)
    added = set(v2) - set(v1)
    assert [v2[i]["question"] for i in added] == ["什么是知识蒸馏？"]
    relu = by_question(v1, "ReLU系列激活函数")
    assert "优点是什么" in v2[relu["id"]]["question"]
    gan = by_question(v1, "生成对抗网络")
    assert v2[gan["id"]]["question"] == "简述一下什么是生成对抗网络。"
    diff = run_cli("diff", "--build", str(out)).stdout
    changed = {line.split()[1] for line in diff.splitlines() if line.startswith("~ ")}
    assert changed == {relu["id"], gan["id"]}
    assert [line.split()[1] for line in diff.splitlines() if line.startswith("+ ")] == list(added)
    assert "- " not in "".join(line[:2] for line in diff.splitlines())
    report = (out / "report.md").read_text(encoding="utf-8")
    assert f"changed `{relu['id']}`" in report


def test_vanished_cards_are_listed_with_their_last_question(src, tmp_path):
    out = tmp_path / "b"
    v1 = build(src, out)
    (src / "001_8c4a74ab47ef35b2.txt").unlink()
    manifest = yaml.safe_load((src / "sources.yaml").read_text(encoding="utf-8"))
    manifest["documents"] = [d for d in manifest["documents"] if d["file"] != "001_8c4a74ab47ef35b2.txt"]
    (src / "sources.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True), encoding="utf-8")
    build(src, out)
    report = (out / "report.md").read_text(encoding="utf-8")
    gone = by_question(v1, "批量归一化(Batch Normalization)的目的")
    assert f"`{gone['id']}`: 简述深度学习中的批量归一化" in report
    registry = yaml.safe_load((src / "card_ids.yaml").read_text(encoding="utf-8"))["ids"]
    assert registry[gone["id"]]["seen"] is False


def deck_fields(apkg, position: int) -> list[str]:
    """Field `position` of every note in a built deck (0: the question, 1: the answer)."""
    with zipfile.ZipFile(apkg) as z, z.open("collection.anki2") as f:
        data = f.read()
    db = apkg.parent / "fields.anki2"
    db.write_bytes(data)
    with sqlite3.connect(db) as con:
        return [r[0].split("\x1f")[position] for r in con.execute("select flds from notes")]


def test_each_kind_of_edit(src, tmp_path):
    out = tmp_path / "b"
    v1 = build(src, out)
    gan = by_question(v1, "介绍下GAN")
    gcn = by_question(v1, "介绍下GCN")
    choice = by_question(v1, "下面哪项操作能实现跟神经网络中Dropout")
    unanswered = by_question(v1, "简单说说CNN常用的几个模型")
    dropped = by_question(v1, "什么是卷积?")
    merged_a, merged_b = by_question(v1, "介绍一下RNN"), by_question(v1, "介绍下LSTM和GRU")
    split = by_question(v1, "BN和LN的区别和适用地方")
    edits = {
        gan["id"]: {"written_against": gan["fingerprint"], "question": "介绍一下生成对抗网络(GAN)", "topic": "生成模型",
                    "tags": ["重点"]},
        gcn["id"]: {"answer": "图卷积网络。"},
        choice["id"]: {"correct": ["C"], "choices": [{"label": "A", "text": "甲"}, {"label": "B", "text": "乙"},
                                                     {"label": "C", "text": "丙"}]},
        unanswered["id"]: {"answer": "LeNet、AlexNet、VGG、GoogLeNet、ResNet。"},
        dropped["id"]: {"status": "dropped"},
        merged_a["id"]: {"merge": [merged_b["id"]]},
        split["id"]: {"split": [{"question": "BN和LN的区别是什么？", "answer": "BN按batch，LN按样本。"},
                                {"question": "BN和LN各适用于哪里？", "answer": "LN适合RNN。"}]},
    }
    (src / "edits.yaml").write_text(yaml.safe_dump(edits, allow_unicode=True), encoding="utf-8")
    v2 = build(src, out)
    assert v2[gan["id"]]["question"] == "介绍一下生成对抗网络(GAN)" and v2[gan["id"]]["topic"] == "生成模型"
    assert {"重点", "topic::生成模型"} <= set(v2[gan["id"]]["tags"])
    assert v2[gcn["id"]]["answer"] == "图卷积网络。"
    assert v2[choice["id"]]["correct"] == ["C"] and len(v2[choice["id"]]["choices"]) == 3
    assert v2[unanswered["id"]]["status"] == "ok"
    assert v2[dropped["id"]]["status"] == "dropped"
    assert merged_b["id"] not in v2 and merged_b["id"] in v2[merged_a["id"]]["alias_ids"]
    assert "GRU相对lstm有更少的参数" in v2[merged_a["id"]]["answer"]
    assert v2[split["id"]]["status"] == "dropped"
    parts = [c for c in v2.values() if c["question"] in ("BN和LN的区别是什么？", "BN和LN各适用于哪里？")]
    assert len(parts) == 2 and all(p["status"] == "ok" for p in parts)
    # untouched cards are untouched
    for cid, card in v1.items():
        if cid not in edits and cid != merged_b["id"]:
            assert v2[cid]["question"] == card["question"] and v2[cid]["answer"] == card["answer"]
    fronts = deck_fields(out / "deck.apkg", 0)
    assert not any("什么是卷积?" in f for f in fronts)
    assert "什么是卷积?" not in (out / "study.md").read_text(encoding="utf-8")
    # a later change to the source makes the edit stale, and it still applies
    edit_source(src / "004_6ab79cc7d23759ec.txt", "判别一张图片是不是“真实的”", "判别一张图片是否真实")
    v3 = build(src, out)
    assert v3[gan["id"]]["question"] == "介绍一下生成对抗网络(GAN)"
    assert f"`{gan['id']}` stale" in (out / "report.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("text, expect", [
    ("c-nosuchid:\n  answer: x\n", "edits.yaml:1: no card has the id c-nosuchid"),
    ("{first}:\n  anwser: x\n", "edits.yaml:1"),
    ("{first}:\n  tags: 重点\n", "edits.yaml:2"),
    ("{first}:\n  answer: [unclosed\n", "edits.yaml:"),
    ("{first}:\n  answer: a\n{first}:\n  answer: b\n", "duplicate key"),
])
def test_bad_edits_stop_the_build_and_keep_the_previous_one(src, tmp_path, text, expect):
    out = tmp_path / "b"
    first = next(iter(build(src, out)))
    before = (out / "cards.yaml").read_bytes()
    (src / "edits.yaml").write_text(text.format(first=first), encoding="utf-8")
    result = run_cli("build", "--source", str(src), "--build", str(out))
    assert result.returncode == 2 and expect in result.stderr and "Traceback" not in result.stderr
    assert (out / "cards.yaml").read_bytes() == before


def test_edit_command_prints_a_stub(src, tmp_path):
    out = tmp_path / "b"
    cards = build(src, out)
    card = by_question(cards, "介绍下GAN")
    result = run_cli("edit", card["id"], "--build", str(out))
    stub = yaml.safe_load(result.stdout)
    assert stub[card["id"]]["question"] == "介绍下GAN"
    assert stub[card["id"]]["written_against"] == card["fingerprint"]


def write_notes(folder, answer: str) -> None:
    """A small source in two topics, with a bundled image and a formula no converter reads."""
    folder.mkdir(exist_ok=True)
    (folder / "fig.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (folder / "notes.md").write_text(
        "## 基础\n\n### 什么是梯度？\n\n函数上升最快的方向。\n\n![梯度示意](fig.png)\n\n"
        f"## 训练\n\n### 学习率有什么用？\n\n{answer} $$\\begin{{weird}}a\\end{{weird}}$$\n", encoding="utf-8")


# a build that the system stops (SIGKILL: no clean-up) at a chosen writer
STOPPED_BUILD = """
import os, signal, sys
import pipeline.__main__ as cli
from pipeline.export import sheets
def stop(*args, **kwargs):
    os.kill(os.getpid() if sys.argv[1] == "deck" else os.getppid(), signal.SIGKILL)
if sys.argv[1] == "deck":
    cli.write_deck = stop
else:  # in a pool worker laying out a PDF
    sheets.write_pdf = stop
cli.main(sys.argv[2:])
"""


@pytest.mark.parametrize("stop_at", ["deck", "sheets"])
def test_a_build_stopped_after_cards_yaml_is_repaired_by_the_next(tmp_path, stop_at):
    src, out = tmp_path / "src", tmp_path / "b"
    write_notes(src, "控制每一步更新的幅度。")
    build(src, out)
    old_pdf = (out / "study.pdf").read_bytes()
    write_notes(src, "决定每步走多远。")
    args = ["build", "--source", str(src), "--build", str(out)]
    stopped = subprocess.run([sys.executable, "-c", STOPPED_BUILD, stop_at, *args], cwd=ROOT, timeout=120)
    assert stopped.returncode == -signal.SIGKILL
    assert "决定每步走多远" in (out / "cards.yaml").read_text(encoding="utf-8")
    if stop_at == "deck":
        assert not any("决定每步走多远" in f for f in deck_fields(out / "deck.apkg", 1))
    build(src, out)
    assert any("决定每步走多远" in f for f in deck_fields(out / "deck.apkg", 1))
    assert "决定每步走多远" in (out / "study.md").read_text(encoding="utf-8")
    assert (out / "study.pdf").read_bytes() != old_pdf and (out / "quiz.pdf").exists()
    # once repaired, a build with nothing changed rewrites nothing
    outputs = ["cards.yaml", "deck.apkg", "study.md", "study.pdf", "quiz.pdf"]
    written = [(out / name).stat().st_mtime_ns for name in outputs]
    build(src, out)
    assert [(out / name).stat().st_mtime_ns for name in outputs] == written


def test_a_build_with_nothing_changed_keeps_the_images_and_formulas_in_its_report(tmp_path):
    src, out = tmp_path / "src", tmp_path / "b"
    write_notes(src, "控制每一步更新的幅度。")
    build(src, out)
    first = (out / "report.md").read_text(encoding="utf-8")
    assert "## Images" in first and "1 bundled in the deck" in first
    assert "## Formulas printed as LaTeX source" in first and "weird" in first
    deck = (out / "deck.apkg").stat().st_mtime_ns
    build(src, out)
    again = (out / "report.md").read_text(encoding="utf-8")
    assert (out / "deck.apkg").stat().st_mtime_ns == deck, "nothing changed: the deck is not written again"
    assert again[again.index("## Cards"):] == first[first.index("## Cards"):]
