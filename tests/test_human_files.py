"""The files people write (sources.yaml, edits.yaml, card_ids.yaml) against mistakes and
hostile content: YAML bombs, oversized files, edits that would delete cards, a registry
that would move an id to another card, a registry that was deleted."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import ROOT
from pipeline.__main__ import build
from pipeline.edits import SCHEMA as EDITS_SCHEMA
from pipeline.edits import apply_edits, read_edits
from pipeline.ids import Registry, assign_ids
from pipeline.model import Card, PipelineError, SourceSpan
from pipeline.yamlio import HUMAN_FILE_LIMIT, REGISTRY_LIMIT, dump, parse

DOC = """## 训练基础

### 什么是过拟合？

模型记住了训练集的噪声，在没见过的数据上表现变差。

### 学习率设得太大会怎样？

损失来回震荡，甚至发散。

### 为什么训练时需要单独的验证集？

用它挑选超参数，并估计模型在新数据上的表现。
"""


def bomb(levels: int = 9) -> str:
    """Billion laughs: each level is nine aliases of the one before, 9**levels values in ~450 bytes."""
    lines = ["l0: &l0 [ha, ha, ha, ha, ha, ha, ha, ha, ha]"]
    lines += [f"l{k}: &l{k} [" + ", ".join([f"*l{k - 1}"] * 9) + "]" for k in range(1, levels)]
    return "\n".join(lines) + "\n"


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def src(tmp_path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "basics.md").write_text(DOC, encoding="utf-8")
    return folder


@pytest.mark.parametrize("name", ["edits.yaml", "sources.yaml", "card_ids.yaml"])
def test_an_alias_bomb_is_refused_at_once_naming_file_and_line(src, tmp_path, name):
    (src / name).write_text(bomb(), encoding="utf-8")
    assert len(bomb().encode()) < 500
    out = tmp_path / "build"
    # today's code takes minutes and gigabytes on this file: the time-out turns that into a failure
    result = cli("build", "--source", str(src), "--build", str(out), timeout=30)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{src / name}:1: anchors and aliases are not allowed" in result.stderr
    assert len(result.stderr) < 500
    assert not out.exists()
    started = time.perf_counter()
    with pytest.raises(PipelineError) as err:
        build(src, out, quiet=True)
    assert time.perf_counter() - started < 2
    assert (err.value.path, err.value.line) == (str(src / name), 1) and len(str(err.value)) < 500
    assert not out.exists()


def test_an_anchor_is_refused_even_when_harmless():
    with pytest.raises(PipelineError) as err:
        parse("c-aaaaaa:\n  answer: 答\nc-bbbbbb:\n  answer: &same 同一个答案\n", "edits.yaml")
    assert str(err.value) == "edits.yaml:4: anchors and aliases are not allowed"
    shared = ["重点"]  # what the build writes reads back: the dumper never makes anchors of shared values
    assert parse(dump({"c-aaaaaa": {"tags": shared}, "c-bbbbbb": {"tags": shared}}), "edits.yaml")


@pytest.mark.parametrize("text, line, message", [
    ("documents: " + "[" * 50_000 + "]" * 50_000 + "\n", 1, "nested deeper than 32 levels"),
    ("c-aaaaaa:\n  ? [answer]\n  : 答\n", 2, "found unhashable key"),
])
def test_malformed_yaml_is_refused_without_a_traceback(text, line, message):
    with pytest.raises(PipelineError) as err:
        parse(text, "edits.yaml")
    assert message in str(err.value) and err.value.line == line


def test_oversized_human_files_are_refused_before_they_are_parsed(src, tmp_path):
    (src / "edits.yaml").write_text("# " + "长" * (HUMAN_FILE_LIMIT // 3) + "\n", encoding="utf-8")
    with pytest.raises(PipelineError) as err:
        build(src, tmp_path / "build", quiet=True)
    assert err.value.path == str(src / "edits.yaml") and "larger than 4 MB" in str(err.value)
    registry = tmp_path / "card_ids.yaml"
    with registry.open("wb") as handle:  # sparse: no need to write 32 MB
        handle.truncate(REGISTRY_LIMIT + 1)
    with pytest.raises(PipelineError, match="larger than 32 MB"):
        Registry.read(registry)


def test_values_quoted_in_errors_are_shortened(src, tmp_path):
    long_value = "很长的标签" * 20_000
    with pytest.raises(PipelineError) as err:
        parse(f"c-aaaaaa:\n  tags: {long_value}\n", "edits.yaml", EDITS_SCHEMA)
    assert err.value.line == 2 and "…" in str(err.value) and len(str(err.value)) < 500
    (src / "edits.yaml").write_text("c-" + "z" * 1000 + ":\n  answer: 答\n", encoding="utf-8")  # YAML keys stop at 1024
    with pytest.raises(PipelineError) as err:
        build(src, tmp_path / "build", quiet=True)
    assert "no card has the id c-zzz" in str(err.value) and err.value.line == 1 and len(str(err.value)) < 500
    (src / "edits.yaml").unlink()
    (src / "sources.yaml").write_text(f"documents:\n  - file: {'x' * 50_000}.md\n", encoding="utf-8")
    with pytest.raises(PipelineError) as err:
        build(src, tmp_path / "build", quiet=True)
    assert err.value.line == 2 and len(str(err.value)) < 500


# --- edits that would delete cards -------------------------------------------------------

def card(question: str, card_id: str, answer: str = "", alias_ids: tuple = ()) -> Card:
    return Card(question, answer or f"{question}的答案", "主题", [SourceSpan("a.md", 1, 2)], "heading",
                id=card_id, alias_ids=list(alias_ids))


def edit(tmp_path, text: str) -> tuple[list[Card], list]:
    """Apply edits.yaml `text` to four cards c-aaaaaa … c-dddddd (c-dddddd also answers to c-dddd2)."""
    (tmp_path / "edits.yaml").write_text(text, encoding="utf-8")
    wanted, path = read_edits(tmp_path)
    cards = [card("什么是梯度消失？", "c-aaaaaa"), card("什么是梯度爆炸？", "c-bbbbbb"),
             card("什么是权重衰减？", "c-cccccc"), card("什么是早停？", "c-dddddd", alias_ids=("c-dddd2",))]
    return apply_edits(cards, wanted, path, Registry())


@pytest.mark.parametrize("text, line, message", [
    ("c-aaaaaa:\n  answer: 新答案\n  merge: [c-aaaaaa]\n", 3, "c-aaaaaa cannot be merged into itself"),
    ("c-dddddd:\n  merge:\n    - c-dddd2\n", 3, "cannot be merged into itself (c-dddd2 is its alias)"),
    ("c-aaaaaa:\n  merge: [c-bbbbbb]\nc-bbbbbb:\n  merge: [c-aaaaaa]\n", None, "merges form a cycle"),
    ("c-aaaaaa:\n  merge: [c-bbbbbb]\nc-bbbbbb:\n  merge: [c-cccccc]\nc-cccccc:\n  merge: [c-aaaaaa]\n",
     None, "merges form a cycle"),
    ("c-aaaaaa:\n  merge: [c-bbbbbb]\nc-bbbbbb:\n  answer: 改过\n  split:\n    - question: 甲？\n    - question: 乙？\n",
     5, "c-bbbbbb is merged into c-aaaaaa, so it cannot be split"),
    ("c-aaaaaa:\n  merge: [c-cccccc]\nc-bbbbbb:\n  merge: [c-cccccc]\n", 4, "c-cccccc is merged twice"),
    ("c-dddddd:\n  answer: 一\nc-dddd2:\n  answer: 二\n", 3, "c-dddd2 and c-dddddd are the same card"),
])
def test_edits_that_would_lose_a_card_are_refused_with_their_line(tmp_path, text, line, message):
    with pytest.raises(PipelineError) as err:
        edit(tmp_path, text)
    assert message in err.value.message and err.value.path == str(tmp_path / "edits.yaml")
    lines = text.splitlines()
    if line is None:  # a cycle is reported at one of its merge entries
        assert "merge" in lines[err.value.line - 1] or lines[err.value.line - 1].strip().startswith("- ")
    else:
        assert err.value.line == line


def test_a_chain_of_merges_keeps_every_card_and_every_edit(tmp_path):
    # the entry that merges comes first in the file: c-bbbbbb must take in c-cccccc (edited) before it is merged
    cards, notes = edit(tmp_path, "c-aaaaaa:\n  merge: [c-bbbbbb]\nc-bbbbbb:\n  merge: [c-cccccc]\n"
                                  "c-cccccc:\n  answer: 权重衰减就是L2正则。\n")
    assert [c.id for c in cards] == ["c-aaaaaa", "c-dddddd"]
    merged = cards[0]
    assert merged.aliases == ["什么是梯度爆炸？", "什么是权重衰减？"]
    assert "权重衰减就是L2正则。" in merged.answer and "什么是梯度爆炸？的答案" in merged.answer
    assert {n.detail for n in notes if n.what == "merged"} == {"c-bbbbbb", "c-cccccc"}


def test_pieces_of_a_split_keep_their_ids_build_after_build(tmp_path):
    (tmp_path / "edits.yaml").write_text("c-aaaaaa:\n  split:\n    - question: 什么是梯度消失？\n"
                                         "    - question: 梯度消失怎么缓解？\n", encoding="utf-8")
    wanted, path = read_edits(tmp_path)
    registry = Registry({"c-aaaaaa": {"questions": ["什么是梯度消失？"]}, "c-bbbbbb": {"questions": ["什么是梯度爆炸？"]}})
    ids_file, builds = tmp_path / "card_ids.yaml", []
    for _ in range(3):
        cards, _ = assign_ids([card("什么是梯度消失？", ""), card("什么是梯度爆炸？", "")], registry)
        cards, _ = apply_edits(cards, wanted, path, registry)
        builds.append([(c.id, c.question, c.status) for c in cards])
        registry.write(ids_file)  # the piece that repeats the question it was split from reads back
        registry = Registry.read(ids_file)
    assert builds[0] == builds[1] == builds[2]
    assert len({i for i, _, _ in builds[0]}) == 4 and [s for _, _, s in builds[0]].count("dropped") == 1


# --- the id registry --------------------------------------------------------------------

def test_a_duplicate_id_in_the_registry_is_refused_with_its_line(tmp_path):
    path = tmp_path / "card_ids.yaml"
    path.write_text("ids:\n  c-aaaaaa:\n    questions: [什么是过拟合？]\n"
                    "  c-bbbbbb:\n    questions: [什么是欠拟合？]\n"
                    "  c-aaaaaa:\n    questions: [学习率设得太大会怎样？]\n", encoding="utf-8")
    with pytest.raises(PipelineError) as err:
        Registry.read(path, tmp_path / "build")
    assert err.value.line == 6 and "duplicate key 'c-aaaaaa' (first at line 2)" in err.value.message


def test_one_question_under_two_ids_is_refused_with_its_line(tmp_path):
    path = tmp_path / "card_ids.yaml"
    path.write_text("ids:\n  c-aaaaaa:\n    questions: [什么是过拟合？]\n"
                    "  c-bbbbbb:\n    questions:\n      - 什么是欠拟合？\n      - 什么是过拟合?\n", encoding="utf-8")
    with pytest.raises(PipelineError) as err:
        Registry.read(path, tmp_path / "build")
    assert err.value.line == 7 and "is under two ids, c-aaaaaa and c-bbbbbb" in err.value.message
    # an alias may carry the question of the id it was merged into
    path.write_text("ids:\n  c-aaaaaa:\n    questions: [什么是过拟合？]\n"
                    "  c-bbbbbb:\n    questions: [什么是过拟合？]\n    alias_of: c-aaaaaa\n", encoding="utf-8")
    assert set(Registry.read(path).ids) == {"c-aaaaaa", "c-bbbbbb"}


def topic_card(question: str, topic: str, kind: str = "basic") -> Card:
    return Card(question, "答", topic, [SourceSpan("a.md", 1, 2)], "heading", type=kind)


def test_what_the_build_writes_always_reads_back(tmp_path):
    registry, path = Registry(), tmp_path / "card_ids.yaml"
    # a short question under two topics, the same question as two types of card: four cards
    first, _ = assign_ids([topic_card("定义？", "激活函数"), topic_card("定义？", "归一化"),
                           topic_card("下列哪个函数是非线性的？", "激活函数"),
                           topic_card("下列哪个函数是非线性的？", "激活函数", "choice")], registry)
    assert len({c.id for c in first}) == 4
    registry.write(path)
    again = Registry.read(path)
    # the first card is gone: its id does not move to the card that shares its text
    second, _ = assign_ids([topic_card("定义？", "归一化"), topic_card("下列哪个函数是非线性的？", "激活函数", "choice")],
                           again)
    assert [c.id for c in second] == [first[1].id, first[3].id]
    # an id that held two questions, now carried by two cards: each question stays with one id
    registry = Registry({"c-aaaaaa": {"questions": ["卷积层的作用是什么？", "池化层为什么能减少参数量？"]}})
    split, _ = assign_ids([topic_card("卷积层的作用是什么？", "CNN"), topic_card("池化层为什么能减少参数量？", "CNN")],
                          registry)
    assert split[0].id == "c-aaaaaa" and split[1].id != "c-aaaaaa"
    registry.write(path)
    assert Registry.read(path).ids["c-aaaaaa"]["questions"] == ["卷积层的作用是什么？"]


def test_a_deleted_registry_is_recovered_from_the_last_build(src, tmp_path):
    out = tmp_path / "build"
    assert cli("build", "--source", str(src), "--build", str(out)).returncode == 0
    before = {c["question"]: c["id"] for c in yaml.safe_load((out / "cards.yaml").read_text(encoding="utf-8"))["cards"]}
    doc = src / "basics.md"
    doc.write_text(doc.read_text(encoding="utf-8").replace("需要单独的验证集", "需要一个单独的验证集"), encoding="utf-8")
    (src / "card_ids.yaml").unlink()
    result = cli("build", "--source", str(src), "--build", str(out))
    assert result.returncode == 0, result.stderr
    after = {c["question"]: c["id"] for c in yaml.safe_load((out / "cards.yaml").read_text(encoding="utf-8"))["cards"]}
    assert after["为什么训练时需要一个单独的验证集？"] == before["为什么训练时需要单独的验证集？"]
    assert after["什么是过拟合？"] == before["什么是过拟合？"]
    assert f"warning: {src / 'card_ids.yaml'} is missing: the ids of 3 cards were recovered" in result.stderr
    assert "card_ids.yaml is missing" in (out / "report.md").read_text(encoding="utf-8").split("## Warnings")[1]
    assert (src / "card_ids.yaml").exists()
