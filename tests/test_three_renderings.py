"""One parse of card Markdown, three renderings (issue 16). Each case is a small page
written for this test; the build runs through the command line and each output is read
back as a user meets it: the deck imported into the real Anki backend and every card
rendered, the PDF through its text, fonts, images and word boxes, study.md through a
CommonMark parser with dollar math."""
from __future__ import annotations

import re
import struct
import subprocess
import zipfile
import zlib
from html import unescape
from pathlib import Path
from unittest.mock import patch

import pytest
from anki.collection import Collection
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin
from pypdf import PdfReader

from anki_helpers import import_deck, render
from conftest import ROOT, SHARED, build_dir, need_shared, source_folder
from hypothesis import given, settings
from hypothesis import strategies as st
from pipeline.__main__ import read_source, source_files
from pipeline.markup import parse, plainly_tex
from pipeline import markup
from pipeline import render as render_module
from pipeline.render import to_html
from pipeline.export.commonmark import to_commonmark
from pipeline.export.sheets import TypstWriter
from pipeline.text import fold


def png(width: int, height: int, rgb: bytes = b"\x20\x80\xff") -> bytes:
    """A valid RGB PNG of one colour."""
    rows = b"".join(b"\x00" + rgb * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


LONG_NAME = "very_long_tensor_name_" + "segment" * 17  # 141 characters, no space
LONG_URL = "https://example.org/papers/" + "section-" * 18 + "end.html"

PAGE = f"""## 渲染一致性

### 比较运算写在正文里会怎样？

解码时若 x<b 且 y>a 就提前停止。

序列用 <pad> 填充到同样长。

### 租用显卡的费用怎么算？

每张卡大约 $3/小时，跑 50 小时大约 $150。

### 损失怎样逐步化简？

$$
\\begin{{aligned}}
L &= -\\sum_k t_k \\log q_k \\\\
  &= -\\log q_y
\\end{{aligned}}
$$

### 随机失活等价于什么？

它近似于 $$2^M$$ 个子网络的平均。

### 环境变量怎么加？

先执行 `export PATH=$HOME/tools:$PATH` 再运行。

```bash
echo $CUDA_HOME && export LD_LIBRARY_PATH=$CUDA_HOME/lib64
```

### 示意图在哪里？

![结构](img/归一化 结构图.png)

![](img/mask%20(eval).png)

![](<img/skip link.png>)

### 超长的名字如何排版？

张量 {LONG_NAME} 放不下一行。

参见 {LONG_URL} 这篇。

```python
result = a_function_with_a_long_name(first_argument, second_argument, third_argument, fourth_argument)
```

### 三种归一化有何不同？
下面对比：
| 方法 | 统计范围 |
|---|---|
| BatchNorm | 批内 |
| LayerNorm | 层内 |

### 预处理要做哪些事？
依次：
- 去掉空行
  - 包括全角空格
- 统一编码

### 标记符号能显示吗？

🔥 高频 ✅ 推荐 👉 重点 ❌ 避免

### 注释和乘号会怎样？

写成 /* 说明 */ 或 p*q*r 都行。

### 丢了美元符号的公式还能排版吗？

样本均值 (\\mu_j = \\frac{{1}}{{n}}\\sum_{{t=1}}^{{n}} z_{{t,j}})，方向记作 \\mathbf{{d}}，但 \\frac{{正例}}{{总数}} 看不出来。
"""

HTML_PAGE = """<!doctype html><html><head><title>实体</title></head><body><article>
<h2>实体转义</h2>
<h3>网页里的转义字符会怎样？</h3>
<p>正文里写着 &amp;amp; 和 &lt;unk&gt; 两个字面量。</p>
</article></body></html>
"""

IMAGES = {"归一化 结构图.png": png(60, 30), "mask (eval).png": png(40, 40, b"\xff\x40\x40"),
          "skip link.png": png(30, 60, b"\x40\xff\x40")}


def study_parser(html: bool = True) -> MarkdownIt:
    """A CommonMark viewer with GFM tables and dollar math, as study.md is read (`html`:
    whether it reads raw HTML, as viewers do; card fields show it as text)."""
    return MarkdownIt("commonmark", {"html": html}).enable("table").use(
        dollarmath_plugin, allow_space=False, allow_digits=False, double_inline=True)


class Rendered:
    """The outputs of one build, read back."""

    def __init__(self, out: Path, data: dict, anki: dict[str, str], media: dict[str, bytes]):
        self.out = out
        self.cards = {c["question"]: c for c in data["cards"]}
        self.anki = anki  # question -> the card's back as Anki renders it
        self.media = media
        self.reader = PdfReader(str(out / "study.pdf"))
        self.pdf = "\n".join(page.extract_text() or "" for page in self.reader.pages).replace("\u200b", "")
        self.pdf_layout = subprocess.run(["pdftotext", "-layout", str(out / "study.pdf"), "-"], capture_output=True,
                                         text=True, check=True).stdout.replace("\u200b", "")
        self.study = (out / "study.md").read_text(encoding="utf-8")
        self.tokens = study_parser().parse(self.study)
        self.report = (out / "report.md").read_text(encoding="utf-8")

    def section(self, question: str) -> list[Token]:
        """The block tokens of study.md under the card's heading, up to its sources line."""
        start = next(i for i, t in enumerate(self.tokens)
                     if t.type == "inline" and t.content.endswith(question) and self.tokens[i - 1].tag == "h3")
        end = next(i for i in range(start + 1, len(self.tokens))
                   if self.tokens[i].type == "inline" and self.tokens[i].content.startswith("<sub>"))
        return self.tokens[start + 2:end - 1]

    def inline(self, question: str) -> list[Token]:
        return [c for t in self.section(question) if t.type == "inline" for c in t.children or []]

    def shown(self, question: str) -> str:
        """The text a viewer of study.md shows for the card (text, code and formulas)."""
        return "".join(t.content for t in self.inline(question)
                       if t.type in ("text", "code_inline", "math_inline", "html_inline"))

    def fonts_of(self, needle: str) -> set[str]:
        """The fonts the PDF draws text containing `needle` with."""
        found: set[str] = set()
        for page in self.reader.pages:
            def visit(text, _cm, _tm, font, _size):
                if needle in text.replace("\u200b", "") and font:
                    found.add(str(font.get("/BaseFont")))
            page.extract_text(visitor_text=visit)
        return found


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Rendered:
    tmp = tmp_path_factory.mktemp("three")
    src = source_folder(tmp, {"render.md": PAGE, "entities.html": HTML_PAGE})
    (src / "img").mkdir()
    for name, data in IMAGES.items():
        (src / "img" / name).write_bytes(data)
    data = build_dir(src, tmp / "b")
    col = Collection(str(tmp / "collection.anki2"))
    try:
        import_deck(col, tmp / "b" / "deck.apkg")
        anki = {}
        for cid in col.find_cards(""):
            card = col.get_card(cid)
            anki[card.note()["Question"]] = render(col, cid)[1]
    finally:
        col.close()
    with zipfile.ZipFile(tmp / "b" / "deck.apkg") as z:
        names = __import__("json").loads(z.read("media"))
        media = {name: z.read(number) for number, name in names.items()}
    return Rendered(tmp / "b", data, {unescape(re.sub(r"<[^>]+>", "", q)): a for q, a in anki.items()}, media)


def visible(html: str) -> str:
    """What a browser shows of an HTML fragment, tags removed and entities decoded."""
    return unescape(re.sub(r"<[^>]+>", "", html))


def test_every_case_became_an_ok_card(rendered):
    assert len(rendered.cards) == 13 and all(c["status"] == "ok" for c in rendered.cards.values())
    assert len(rendered.anki) == 13
    assert all(not t.endswith(".png)") for t in (c["topic"] for c in rendered.cards.values()))


def test_angle_brackets_in_text_are_shown_as_written(rendered):
    q = "比较运算写在正文里会怎样？"
    assert "x&lt;b 且 y&gt;a" in rendered.anki[q] and "&lt;pad&gt;" in rendered.anki[q]
    assert "x<b 且 y>a" in rendered.pdf and "<pad>" in rendered.pdf
    assert "x<b 且 y>a" in rendered.shown(q) and "<pad>" in rendered.shown(q)
    assert not [t for t in rendered.section(q) if t.type == "html_block"]
    assert not [t for t in rendered.inline(q) if t.type == "html_inline"]


def test_dollars_as_money_are_no_math(rendered):
    q = "租用显卡的费用怎么算？"
    assert "\\(" not in rendered.anki[q] and "$3/小时" in visible(rendered.anki[q]) and "$150" in rendered.anki[q]
    assert "$3/小时" in rendered.pdf and "$150" in rendered.pdf
    assert not [t for t in rendered.inline(q) if t.type.startswith("math")]
    assert "$3/小时" in rendered.shown(q) and "$150" in rendered.shown(q)
    assert "\\$3/小时" in rendered.study  # escaped, so no viewer pairs the two dollars


def test_multiline_display_math_is_typeset_and_keeps_its_rows(rendered):
    q = "损失怎样逐步化简？"
    back = rendered.anki[q]
    assert "\\[" in back and "\\begin{aligned}" in back and "q_k \\\\" in back and "\\end{aligned}\\]" in back
    page = rendered.pdf[rendered.pdf.index("损失怎样逐步化简"):rendered.pdf.index("随机失活等价于什么")]
    assert "$$" not in page and "\\begin" not in page and "aligned" not in page and "log" in page
    assert "\\begin{aligned}" not in rendered.report
    blocks = [t for t in rendered.section(q) if t.type == "math_block"]
    assert len(blocks) == 1 and "\\begin{aligned}" in blocks[0].content and "q_k \\\\" in blocks[0].content


def test_double_dollars_inside_a_sentence_stay_inline(rendered):
    q = "随机失活等价于什么？"
    assert "<p>它近似于 \\(2^M\\) 个子网络的平均。</p>" in rendered.anki[q] and "\\[" not in rendered.anki[q]
    assert any("它近似于" in line and "个子网络的平均" in line for line in rendered.pdf_layout.splitlines())
    assert "$$" not in rendered.pdf
    maths = [t for t in rendered.inline(q) if t.type.startswith("math")]
    assert [m.content for m in maths] == ["2^M"] and maths[0].type == "math_inline"
    assert not [t for t in rendered.section(q) if t.type == "math_block"]


def test_code_with_dollars_is_literal_code_in_a_code_font(rendered):
    q = "环境变量怎么加？"
    back = rendered.anki[q]
    assert "<code>export PATH=$HOME/tools:$PATH</code>" in back and "\\(" not in back
    assert re.search(r'<pre><code class="language-bash">echo \$CUDA_HOME &amp;&amp; export LD_LIBRARY_PATH=', back)
    assert "export PATH=$HOME/tools:$PATH" in rendered.pdf and "echo $CUDA_HOME" in rendered.pdf
    assert all("Mono" in f for f in rendered.fonts_of("HOME")) and rendered.fonts_of("HOME")
    assert [t.content for t in rendered.inline(q) if t.type == "code_inline"] == ["export PATH=$HOME/tools:$PATH"]
    fences = [t for t in rendered.section(q) if t.type == "fence"]
    assert len(fences) == 1 and fences[0].info == "bash" and "$CUDA_HOME/lib64" in fences[0].content
    assert not [t for t in rendered.inline(q) if t.type.startswith("math")]


def test_images_with_spaces_escapes_and_brackets_are_bundled_drawn_and_linked(rendered):
    q = "示意图在哪里？"
    shown = re.findall(r'<img src="([^"]+)"', rendered.anki[q])
    assert len(shown) == 3 and all(name in rendered.media for name in shown)
    assert sorted(rendered.media[name] for name in shown) == sorted(IMAGES.values())
    assert "3 bundled in the deck, 0 remote (shown as links), 0 missing" in rendered.report
    drawn = {(x["/Width"], x["/Height"]) for page in rendered.reader.pages
             for x in (o.get_object() for o in (page["/Resources"].get("/XObject") or {}).values())
             if x.get("/Subtype") == "/Image"}
    assert drawn == {(60, 30), (40, 40), (30, 60)}
    links = [t.attrs["href"] for t in rendered.inline(q) if t.type == "link_open"]
    assert len(links) == 3
    from urllib.parse import unquote
    files = {(rendered.out / unquote(link)).resolve().read_bytes() for link in links}
    assert files == set(IMAGES.values())


def test_long_words_urls_and_code_wrap_inside_the_column(rendered):
    boxes = subprocess.run(["pdftotext", "-bbox", str(rendered.out / "study.pdf"), "-"], capture_output=True,
                           text=True, check=True).stdout
    width = float(re.search(r'<page width="([\d.]+)"', boxes).group(1))
    right = max(float(x) for x in re.findall(r'xMax="([\d.]+)"', boxes))
    assert right <= width - 2 * 28.35 + 1  # the 2 cm margin, one point of slack
    flat = fold(rendered.pdf)
    for text in (LONG_NAME, LONG_URL, "fourth_argument"):
        assert fold(text) in flat, text


def test_a_table_under_a_text_line_is_a_table(rendered):
    q = "三种归一化有何不同？"
    back = rendered.anki[q]
    assert "<th>方法</th>" in back and "<td>LayerNorm</td>" in back and "|" not in visible(back)
    page = rendered.pdf[rendered.pdf.index("三种归一化有何不同"):rendered.pdf.index("预处理要做哪些事")]
    assert "|" not in page and "---" not in page and "BatchNorm" in page and "层内" in page
    section = rendered.section(q)
    assert [t.type for t in section].count("table_open") == 1
    cells = [section[i + 1].content for i, t in enumerate(section) if t.type in ("th_open", "td_open")]
    assert cells == ["方法", "统计范围", "BatchNorm", "批内", "LayerNorm", "层内"]


def test_lists_under_a_text_line_nest_with_two_spaces(rendered):
    q = "预处理要做哪些事？"
    back = rendered.anki[q]
    assert re.search(r"<li>去掉空行\s*<ul>\s*<li>包括全角空格</li>\s*</ul>\s*</li>\s*<li>统一编码</li>", back)
    assert "- " not in visible(back)
    page = rendered.pdf[rendered.pdf.index("预处理要做哪些事"):]
    assert "- 去掉空行" not in page and "‣ 包括全角空格" in page  # the second level's marker
    section = rendered.section(q)
    items = [(section[i + 2].children[0].content, t.level) for i, t in enumerate(section) if t.type == "list_item_open"]
    assert [text for text, _ in items] == ["去掉空行", "包括全角空格", "统一编码"]
    assert items[1][1] > items[0][1] == items[2][1]  # nested one level deeper


def test_html_entities_written_as_text_stay_text(rendered):
    q = "网页里的转义字符会怎样？"
    assert "&amp;amp;" in rendered.anki[q] and "&lt;unk&gt;" in rendered.anki[q]
    assert "&amp; 和 <unk>" in visible(rendered.anki[q])
    assert "&amp; 和 <unk>" in rendered.pdf
    assert "&amp; 和 <unk>" in rendered.shown(q)
    assert not [t for t in rendered.inline(q) if t.type == "html_inline"]


def test_emoji_are_drawn_with_a_colour_font(rendered):
    q = "标记符号能显示吗？"
    for emoji in "🔥✅👉❌":
        assert emoji in rendered.pdf and emoji in rendered.anki[q] and emoji in rendered.shown(q)
    fonts = {str(f.get_object().get("/Subtype")) for page in rendered.reader.pages
             for f in (page.get("/Resources", {}).get("/Font", {}) or {}).values()}
    assert "/Type3" in fonts  # the bitmap glyphs of Noto Color Emoji


def test_comment_marks_and_stars_read_the_same_everywhere(rendered):
    """CommonMark makes `*/ 或 p*` emphasis: every output shows the same text and emphasis."""
    q = "注释和乘号会怎样？"
    assert "<em>/ 或 p</em>q*r" in rendered.anki[q]
    expected = "写成 /* 说明 / 或 pq*r 都行。"
    assert expected in visible(rendered.anki[q])
    assert expected in rendered.pdf
    assert rendered.shown(q) == expected
    ems = [i for i, t in enumerate(rendered.inline(q)) if t.type == "em_open"]
    assert len(ems) == 1 and rendered.inline(q)[ems[0] + 1].content == "/ 或 p"


def test_math_that_lost_its_delimiters_is_typeset_or_reported(rendered):
    q = "丢了美元符号的公式还能排版吗？"
    back = rendered.anki[q]
    assert "\\(\\mu_j = \\frac{1}{n}\\sum_{t=1}^{n} z_{t,j}\\)" in back and "\\(\\mathbf{d}\\)" in back
    assert "\\frac{正例}{总数}" in back and "\\(\\frac{正例" not in back
    page = rendered.pdf[rendered.pdf.index("丢了美元符号的公式"):]
    assert "\\mu" not in page and "\\mathbf" not in page and "\\frac{1}" not in page
    assert "\\frac{正例}{总数}" in page
    maths = [t.content for t in rendered.inline(q) if t.type == "math_inline"]
    assert maths == ["\\mu_j = \\frac{1}{n}\\sum_{t=1}^{n} z_{t,j}", "\\mathbf{d}"]
    line = PAGE.split("\n").index(next(x for x in PAGE.split("\n") if "正例" in x)) + 1
    assert f"- render.md:{line}: \\frac{{正例}}{{总数}}" in rendered.report


def test_a_replaced_image_rewrites_the_deck_and_the_sheet(tmp_path):
    src = source_folder(tmp_path, {"a.md": "### 这张图是什么？\n\n一个 3×3 的卷积核在图上滑动。\n\n![图](pic.png)\n"})
    (src / "pic.png").write_bytes(png(10, 10))
    build_dir(src, tmp_path / "b")
    before = (tmp_path / "b" / "study.pdf").read_bytes()
    (src / "pic.png").write_bytes(png(12, 8, b"\x00\x00\x00"))
    build_dir(src, tmp_path / "b")
    with zipfile.ZipFile(tmp_path / "b" / "deck.apkg") as z:
        bundled = [z.read(n) for n in __import__("json").loads(z.read("media"))]
    assert bundled == [png(12, 8, b"\x00\x00\x00")]
    after = PdfReader(str(tmp_path / "b" / "study.pdf"))
    assert (tmp_path / "b" / "study.pdf").read_bytes() != before
    assert [(x["/Width"], x["/Height"]) for p in after.pages
            for x in (o.get_object() for o in (p["/Resources"].get("/XObject") or {}).values())
            if x.get("/Subtype") == "/Image"] == [(12, 8)]


def test_plainly_tex_needs_a_math_command_ascii_and_balanced_braces():
    assert plainly_tex("\\alpha + \\beta") and plainly_tex("\\hat{y}_i") and plainly_tex("\\foo{x}")
    assert not plainly_tex("\\frac{正}{负}") and not plainly_tex("\\frac{a}{b") and not plainly_tex("C:\\Users")
    tokens = [t.type for t in parse("路径 C:\\Users\\me 不是公式")[1].children]
    assert tokens == ["text"]


def full_parse_html(text: str) -> str:
    """to_html with every shortcut off: the whole markdown-it parse and render."""
    markup.parse.cache_clear()
    try:
        with patch.object(render_module, "_PLAIN_LINE", re.compile(r"(?!)")), \
                patch.object(render_module, "_SIMPLE_LINE", re.compile(r"(?!)")), \
                patch.object(markup, "_ONE_PARAGRAPH", re.compile(r"(?!)")):
            return to_html(text)
    finally:
        markup.parse.cache_clear()


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="aZ9 中文，。？().+=-#>*_`$<&|~!\\[]{}\t\xa0\x00\x0c\r\n\"'", max_size=30))
def test_shortcuts_give_what_the_full_parse_gives(text):
    """The shortcuts (a line with nothing Markdown reads skips the parser; one paragraph
    skips the block parser; lines of text and formulas are written without a parse) give
    the HTML that the full parse gives."""
    assert to_html(text) == full_parse_html(text)


# pieces of a field of text and formulas, and whatever may sit beside them
_PIECES = st.sampled_from(["$x$", "$a_i = \\frac{1}{2}$", "$y = f(x) + x$", "$\\alpha$", "$2$", "$ x$", "$x $",
                           "$$", "$", "\\$", "$x\\$", "$<b>&amp;$", "${{c1::x}}$", "$\\href{javascript:a}{b}$",
                           "文字", "text", " ", "  ", "\n", "\n\n", "\n\n\n", "1", "１", "²", "1.", "2)", "#", ">",
                           "-", "+", "=", "*", "_", "`", "|", "<", "&", "\\", "~", "!", "[", "]", "{", "}", '"',
                           "'", "\xa0", "\u3000", "\t", "http://example.com/a_b", "：", "("])


@settings(max_examples=600, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_text_with_formulas_gives_what_the_full_parse_gives(text):
    """Fields made of text, formulas and the characters that change how `$` is read
    (digits, spaces, backslashes, line and block starts) give the full parse's HTML."""
    assert to_html(text) == full_parse_html(text)


@pytest.mark.parametrize("text", [
    "公式为 $y = f(x) + x$，收敛更快。", "两行 $a$\n第二行 $b$ 完", "第一段 $a$\n\n第二段", "a $x$ $y$ b", "结尾是公式 $x^2$",
    "租 $2/小时 和 $200", "价格 1$x$", "x $y$2 个", "a $x$$y$ b", "$x$ 开头", "a\\$x$ b", "a $x\\$ b$ c", "a $ x$ b",
    "a $x $ b", "a <b> $x$", "a & $x$", "a * $x$ *", "a _ $x$ _", "# 标题 $x$", "> 引用 $x$", "1. 列表 $x$", "1) 列表 $x$",
    "- 列表 $x$", "  缩进 $x$", "a $x$  \nb", "a\n\n\nb $x$", "\na $x$", "a $x$\n", "a $x$\n=== ", "a $x$\n---",
    "a | $x$ | b", "`a` $x$", "a $`x`$ b", "见 https://example.com/$x$ 处", "a $x$ \\", "a $<img src=x>$ b",
    "a $\\href{javascript:alert(1)}{x}$ b", "a ${{c1::x}}$ b", "a $x$ ²", "a ² $x$",
])
def test_crafted_fields_give_what_the_full_parse_gives(text):
    assert to_html(text) == full_parse_html(text)


CORPORA = [ROOT / "source", SHARED / "practice" / "docs", SHARED / "wild"]


def test_every_field_of_the_corpora_gives_what_the_full_parse_gives():
    """Every field the per-source stages make of the seeds, practice and wild documents."""
    need_shared(*CORPORA)
    fields = []
    for folder in CORPORA:
        for path in source_files(folder).files:
            for card in read_source(path, path.stem).cards:
                fields += [card.question, card.answer, *card.blanks, *(c.text for c in card.choices)]
    fields = list(dict.fromkeys(f for f in fields if f))
    assert len(fields) > 2000
    assert [to_html(f) for f in fields] == [full_parse_html(f) for f in fields]
    # the shortcut is taken where it can be: most questions, and answers of text and formulas
    assert sum(render_module._simple_html(f) is not None for f in fields) > 50


def test_fields_rendered_ahead_on_every_core_are_the_fields_rendered_one_by_one(tmp_path):
    (tmp_path / "p.png").write_bytes(png(5, 5))
    texts = [f"第{k}题：$x_{k}$ 与 `code{k}`\n\n- 一\n- 二" for k in range(40)]
    texts += ["![图](p.png) 本地", "![远](https://example.com/r.png)", "![无](nothing.png)"]
    ahead = render_module.Media(tmp_path)
    with patch.object(render_module, "PARALLEL_FIELDS", 10), patch("os.cpu_count", return_value=2):
        render_module.prerender(texts, ahead)
    assert len(ahead.rendered) == len(texts)
    one_by_one = render_module.Media(tmp_path)
    assert [to_html(t, ahead) for t in texts] == [to_html(t, one_by_one) for t in texts]
    assert ahead.files == one_by_one.files and len(ahead.files) == 1
    assert set(ahead.remote) == set(one_by_one.remote) and set(ahead.missing) == set(one_by_one.missing) == {
        "nothing.png"}


def test_the_readme_shows_what_the_three_renderers_write():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### One Markdown model, three renderings"):readme.index("## Libraries, and why")]
    blocks = re.findall(r"^(`{3,4})(\w+)\n(.*?)\n\1$", section, re.S | re.M)
    (_, _, source), (_, _, html), (_, _, typst), (_, _, study) = blocks
    assert html == to_html(source).replace("\n", "")
    writer = TypstWriter(set(), set())
    writer.block(source)
    assert typst == "\n".join(writer.lines)
    assert study == to_commonmark(source)


@pytest.mark.parametrize("fixture", ["seeds_build", "practice_build"])
def test_seed_and_practice_sheets_show_no_raw_markdown_and_report_every_fallback(fixture, request):
    out, data = request.getfixturevalue(fixture)
    text = "\n".join(page.extract_text() or "" for page in PdfReader(str(out / "study.pdf")).pages)
    for raw in ("$$", "\\begin", "|---|", "**"):
        assert raw not in text, raw
    report = (out / "report.md").read_text(encoding="utf-8")
    listed = report.split("## Formulas printed as LaTeX source")[1].split("\n## ")[0] if "## Formulas" in report else ""
    # inline_tokens also gives the block tokens that hold no inline content (code blocks)
    code = " ".join(t.content for c in data["cards"] if c["status"] == "ok" for field in (c["question"], c["answer"])
                    for t in markup.inline_tokens(parse(field)) if t.type in ("code_inline", "fence", "code_block"))
    shown = set(re.findall(r"\\[A-Za-z]+", text.replace("\u200b", "")))
    assert all(command in listed or command in code for command in shown), shown


def test_the_pdf_draws_no_image_from_outside_the_source_folder(tmp_path):
    """Cleaning drops such images from sources; an edit can still bring one: the sheet's
    writer copies into Typst's root only files inside the source folder."""
    (tmp_path / "outside.png").write_bytes(png(7, 7))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "in.png").write_bytes(png(9, 3))
    writer = TypstWriter(set(), set(), tmp_path / "src")
    writer.block("![外面](../outside.png) ![无](none.png) ![里面](in.png)")
    assert list(writer.images.values()) == [(tmp_path / "src" / "in.png").resolve()]
    text = "\n".join(writer.lines).replace("\\", "")
    assert "图片缺失：外面，../outside.png" in text and "图片缺失：无，none.png" in text


def _shape(text: str, html: bool = True) -> list[tuple[str, str]]:
    """What a CommonMark + dollar-math viewer makes of `text`: block kinds and inline pieces."""
    out = []
    for token in study_parser(html).parse(text):
        if token.type == "inline":
            out += [(c.type, c.content) for c in token.children or [] if c.type not in ("softbreak", "hardbreak")]
        elif token.nesting != -1:
            out.append((token.type, token.content if token.type in ("fence", "math_block", "code_block") else ""))
    return out


@pytest.mark.parametrize("field", [
    "| 写法 | 含义 |\n|---|---|\n| `a \\| b` | 或 |\n| $\\|x\\|$ | 绝对值 |",
    "价格 $5 到 $8 之间，公式 $a_i^2$ 与 `$PATH`",
    "1. 第一\n2. 第二\n   - 子项 *斜体* 与 **粗体**\n\n> 引用 [链接](https://example.org/a_b)",
    "# 小标题\n\n2. 不是列表的开头？\n\\# 也不是标题\n\\- 也不是列表",
    "```\n代码里 `反引号` 和 $美元$\n```\n\n$$\nE = mc^2\n$$",
    "a\\*b\\* 和 \\_c\\_ 与 \\`d\\` 还有 &amp; 和 &copy; 以及 <tag>",
])
def test_study_md_reads_back_as_the_field_reads(field):
    """study.md's CommonMark, read by a viewer (raw HTML on), holds the same blocks, text,
    code and math as the card field read as the cards are (raw HTML is text; the inputs
    have no lost-math spans, which only the cards' parser reads)."""
    from pipeline.export.commonmark import to_commonmark
    written = to_commonmark(field)
    assert _shape(written) == _shape(field, html=False), written
