"""The Markdown block tree: markdown-it-py decides code, math, headings and nesting."""
from __future__ import annotations

from pipeline.blocks import code_lines, markdown_tree, walk


def test_code_lines_are_the_fenced_indented_and_math_blocks():
    lines = ["## 为什么要初始化？", "打破对称。", "", "    1. what is x?", "", "```", "# 注释？", "```",
             "", "$$", "y = Wx", "$$", "", "- 列表项", "    续行不是代码"]
    assert code_lines(lines) == {3, 5, 6, 7, 9, 10, 11}


def test_blocks_keep_their_lines_levels_and_nesting():
    tree = markdown_tree(["# 标题", "", "> 引用里的问题？", "> 答：是。", "", "- 外层", "  - 内层"])
    kinds = [(b.kind, b.first, b.last, b.depth) for b in walk(tree)]
    assert ("heading", 0, 0, 0) in kinds
    assert ("quote", 2, 3, 0) in kinds
    assert ("item", 6, 6, 3) in kinds
    assert next(b for b in tree if b.kind == "heading").level == 1
