"""report.md: text that no rule claimed and no card took is listed, run by run, with its total."""
from __future__ import annotations

from conftest import build_dir, source_folder


def test_text_outside_every_card_is_listed_with_its_lines_and_total(tmp_path):
    src = source_folder(tmp_path, {"notes.md": (
        "# 正则化\n\n这一节先讲一段背景：正则化限制模型容量。\n它让训练误差和测试误差更接近。\n\n"
        "## 什么是 L2 正则？\n在损失上加权重平方和。\n\n## 什么是 L1 正则？\n在损失上加权重绝对值之和。\n")})
    build_dir(src, tmp_path / "out")
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    dropped = "这一节先讲一段背景：正则化限制模型容量。它让训练误差和测试误差更接近。"
    assert f"{len(dropped)} characters of text outside every card (1 runs)" in report
    assert f"- notes.md:3–4 (section_text, {len(dropped)} characters): “这一节先讲一段背景" in report


def test_a_document_whose_text_all_went_into_cards_lists_no_run(tmp_path):
    build_dir(source_folder(tmp_path, {"qa.md": "## 什么是 L2 正则？\n在损失上加权重平方和。\n"}), tmp_path / "out")
    report = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "0 characters of text outside every card (0 runs)" in report
    assert "## Text outside every card" not in report


def test_a_title_line_that_titles_no_question_is_listed_as_text_outside_every_card(tmp_path):
    from pipeline.__main__ import read_source
    source = tmp_path / "notes.md"
    source.write_text("## 池化\n\n(1) 增大感受野\n\n一个像素对应回原图的区域变大。\n\n(2) 平移不变\n\n位置稍动，结果不变。\n\n"
                      "## 卷积\n\n## 什么是BN？\n批归一化。\n\n## 为什么要用残差？\n让梯度直接回流。\n", encoding="utf-8")
    result = read_source(source)
    assert [c.question for c in result.cards] == ["什么是BN？", "为什么要用残差？"]
    dropped = {d.line for d in result.extraction.drops}
    assert {3, 5, 7, 9} <= dropped and not {3, 7} & set(result.extraction.topic_lines)
