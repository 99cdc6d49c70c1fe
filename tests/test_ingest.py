"""Decoding: every supported encoding reads back the same text; bad files name themselves."""
from __future__ import annotations

import codecs

import pytest

from pipeline.ingest import decode, ingest, split_lines
from pipeline.model import PipelineError

TEXT = "1、什么是卷积？\n答：逐个元素相乘再求和。\n"


@pytest.mark.parametrize("data, encoding", [
    (TEXT.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16-le"),
    (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16-be"),
    ((TEXT * 20).encode("gb18030"), "gb18030"),
])
def test_encodings_decode_to_the_same_text(data, encoding):
    text, name = decode(data, "x.txt")
    assert text.startswith(TEXT)
    assert name == encoding


def test_big5_decodes():
    text = "什麼是卷積神經網路？請簡述它的原理。卷積是逐個元素相乘再求和的運算。\n" * 10
    decoded, name = decode(text.encode("big5"), "x.txt")
    assert decoded == text
    assert "big5" in name


def test_mixed_line_endings_keep_editor_line_numbers():
    assert split_lines("a\r\nb\rc\nd") == ["a", "b", "c", "d"]
    assert split_lines("a\u2028b\x0cc") == ["a\u2028b\x0cc"]  # only real line ends split


def test_binary_file_is_refused_with_its_name(tmp_path):
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(PipelineError) as err:
        ingest(path)
    assert "image.txt" in str(err.value) and "binary" in str(err.value)


def test_empty_and_whitespace_files_give_no_lines(tmp_path):
    (tmp_path / "empty.md").write_bytes(b"")
    (tmp_path / "blank.md").write_bytes(b"  \n\t\n")
    assert ingest(tmp_path / "empty.md").lines == []
    assert all(not ln.text.strip() for ln in ingest(tmp_path / "blank.md").lines)


def test_html_keeps_source_lines_and_drops_chrome(tmp_path):
    doc = _page(tmp_path, "<html><head><script>track()</script></head><body>\n<nav>菜单</nav>\n<article>\n"
                          "<h3>什么是池化？</h3>\n<p>取区域平均或最大。</p>\n</article>\n"
                          "<aside class=\"right-toc\"><a href=\"#x\">什么是池化？</a></aside>\n</body></html>\n")
    assert _numbered(doc) == [(4, "### 什么是池化？"), (5, "取区域平均或最大。")]
    rules = {d.line: d.rule for d in doc.markup_drops}
    assert rules[2] == "html_chrome" and rules[7] == "html_chrome"


def test_html_block_headers_keep_their_titles_and_page_headers_go(tmp_path):
    # a block's header ("card-header") holds the block's heading; the page's header holds its name
    doc = _page(tmp_path, "<html><body>\n<div class=\"site-header\"><a href=\"/\">My notes</a></div>\n<main>\n"
                          "<div class=\"card\"><div class=\"card-header\"><h3>Pooling</h3></div>\n"
                          "<p>Why pool at all?</p>\n</div>\n</main>\n</body></html>\n")
    assert _numbered(doc) == [(4, "### Pooling"), (5, "Why pool at all?")]
    assert {d.line: d.rule for d in doc.markup_drops}[2] == "html_chrome"


def _page(tmp_path, html: str):
    """An HTML page written to a file and read back."""
    page = tmp_path / "page.html"
    page.write_text(html, encoding="utf-8")
    return ingest(page)


def _numbered(doc) -> list[tuple[int, str]]:
    return [(ln.number, ln.text) for ln in doc.lines]


def test_html_line_breaks_keep_the_source_line_and_lists_their_start(tmp_path):
    # a <br> breaks the rendered line but not the source's: the pieces keep their own line
    doc = _page(tmp_path, "<html><body><article>\n<p>思路：<br>先列小例子，<br>再找规律。</p>\n<p>第二段<br>\n下一行</p>\n"
                          '<ol start="4">\n<li>第四题是什么？</li>\n<li>\n<p>第五题呢？</p>\n</li>\n</ol>\n</article></body></html>\n')
    # (an item whose text opens on the line after its <li> is numbered by that line)
    assert _numbered(doc) == [
        (2, "思路："), (2, "先列小例子，"), (2, "再找规律。"), (3, "第二段"), (4, "下一行"), (6, "4. 第四题是什么？"),
        (8, "5. 第五题呢？")]
    assert not doc.markup_drops or all(d.line not in (2, 3, 4, 6) for d in doc.markup_drops)


def test_html_paragraph_over_several_lines_is_not_reported_dropped(tmp_path):
    # a list item's paragraph written over two source lines is one line of text; its second
    # source line is in it, and the tags of a wrapper named like a sidebar are markup, not chrome
    doc = _page(tmp_path, '<html><body><div class="sidebar-left">\n<article>\n<ol>\n<li>\n<p>什么是早停？\n'
                          "答：验证集指标不再变好时停止训练。</p>\n</li>\n</ol>\n</article>\n</div></body></html>\n")
    assert _numbered(doc) == [(5, "1. 什么是早停？ 答：验证集指标不再变好时停止训练。")]
    rules = {d.line: d.rule for d in doc.markup_drops}
    assert 6 not in rules and rules[3] == "html_markup" and rules[7] == "html_markup"


def test_html_item_holding_only_a_list_of_one_item_is_that_item(tmp_path):
    # "<li><ol><li>…</li></ol></li>" (a page's "2. 1. …") reads as the inner item under the outer number
    doc = _page(tmp_path, "<html><body><article>\n<ol>\n<li>什么是学习率？</li>\n<li>\n<ol>\n<li>什么是动量？</li>\n"
                          "</ol>\n</li>\n</ol>\n</article></body></html>\n")
    assert _numbered(doc) == [(3, "1. 什么是学习率？"), (6, "2. 什么是动量？")]


def test_html_heading_inside_a_list_item_ends_the_item_and_stands_outside_the_list(tmp_path):
    # a page whose Markdown lacked a blank line before a heading puts the heading in the item above
    doc = _page(tmp_path, "<html><body><article>\n<ul>\n<li>收敛快<h3>损失</h3><p>交叉熵。</p></li>\n"
                          "<li>训练稳定</li>\n</ul>\n</article></body></html>\n")
    assert _numbered(doc) == [(3, "- 收敛快"), (3, "### 损失"), (3, "交叉熵。"), (4, "- 训练稳定")]


def test_html_table_gets_the_delimiter_row_a_markdown_table_needs(tmp_path):
    doc = _page(tmp_path, "<html><body><article>\n<table>\n<tr><th>方法</th><th>特点</th></tr>\n"
                          "<tr><td>BN</td><td>跨样本</td></tr>\n</table>\n</article></body></html>\n")
    assert _numbered(doc) == [(3, "| 方法 | 特点 |"), (3, "| --- | --- |"), (4, "| BN | 跨样本 |")]


def test_html_blocks_inside_a_table_cell_stay_apart(tmp_path):
    doc = _page(tmp_path, "<html><body><article>\n<table>\n<tr><th>问题</th><th>答案</th></tr>\n"
                          "<tr><td>怎么防过拟合？</td><td><ul><li>正则化</li><li>早停</li></ul></td></tr>\n"
                          "<tr><td><p>为什么？</p></td><td><p>数据少。</p><p>模型大。</p></td></tr>\n</table>\n</article></body></html>\n")
    assert _numbered(doc)[2:] == [(4, "| 怎么防过拟合？ | 正则化 早停 |"), (5, "| 为什么？ | 数据少。 模型大。 |")]


@pytest.mark.parametrize("name, content, kind", [
    ("notes.txt", "# 激活函数\n\n## 什么是ReLU？\n负半轴为零。\n\n```python\nx = 1\n```\n", "markdown"),
    ("copy.md", "激活函数\n\n什么是ReLU？\n负半轴为零。\n\n什么是GELU？\n用高斯分布函数加权。\n", "text"),
    ("page.txt", "<!doctype html>\n<html><body><h2>什么是ReLU？</h2><p>负半轴为零。</p></body></html>\n", "html"),
    ("page.md", "## 什么是ReLU？\n负半轴为零。\n\n## 什么是GELU？\n用高斯分布函数加权。\n", "markdown"),
    # a page written in raw HTML (most lines open with a tag) is HTML; a few raw headings are not
    ("raw.md", "".join(f"<li>\n<p>问题{i}？</p>\n</li>\n" for i in range(4)), "html"),
    ("mixed.md", "# 笔记\n\n## 概述\n\n" + "".join(f'<h2 id="q{i}">问题{i}？</h2>\n\n答案{i}，说明{i}。\n\n更多{i}。\n\n' for i in range(12)), "markdown"),
])
def test_the_front_end_is_chosen_by_content_as_well_as_name(tmp_path, name, content, kind):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert ingest(path).kind == kind
