"""Hostile card text at the output boundary, tested through the build's outputs only (the
writers behind them will be rewritten): no formula runs code in Typst or reads a file, no
output carries a live tag, script link, MathJax link or an image from outside the source
folder, and a field nested too deep for a renderer is shown as text."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import unquote

import markdown
import pytest
from anki.collection import Collection
from bs4 import BeautifulSoup
from markdown_it import MarkdownIt
from pypdf import PdfReader

from anki_helpers import import_deck
from conftest import ROOT, build_dir

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63"
                    "6000010000050001a5f645400000000049454e44ae426082")

# Each formula below tries, through a `"` inside \text, to leave the Typst string and run
# code: read a file at the project root (the README, whose opening line is checked), or
# compute text that only running code could print. A lone `"` in a formula once opened a
# string that the quotes of a later code span closed: the whole build failed. Outside
# formulas, text right after bold or code once continued the call as code.
HOSTILE = r"""## 渲染

### 公式里的引号能读文件吗？

$$\text{x" $ #read("/README.md") $ "y}$$

不应读到任何文件。

### 公式能算出东西吗？

$$\text{p" $ #upper("made by code") $ "q}$$

大写的字说明代码执行了。

### 只有一个引号的公式会怎样？

前面有 $\text{"}$ 公式，后面还有一个 " 单独的引号和 `代码` 片段。

### 粗体后面的括号会被当成代码吗？

**粗体**(upper("made by code")) 和 `代码`[更多] 都是平常的写法。

### 正常的公式还排版吗？

分数 $\frac{a}{b}$ 照常排版。

### 嵌套的标签会怎样？

文字 <<svg/onload=alert(1)>svg/onload=alert(1)> 结束。

### 公式里的链接会怎样？

点 $\href{javascript:alert(1)}{x}$ 和 $\url{javascript:alert(2)}$ 还有 $$\style{color:red}{y} + \class{c}{z} + \cssId{i}{w} + \data{k=v}{u}$$ 以及 \\\\(\href{javascript:alert(3)}{q}\\\\) 看看。

### 引用式图片会怎样？

看 ![本地][ok] 和 ![密码][pw] 和 ![远程][far] 和 ![外面][up]。

[ok]: pic.png
[pw]: /etc/passwd
[far]: https://example.com/far.png
[up]: ../outside.png
"""
README_OPENING = "Turns scraped deep-learning interview pages"
MATHJAX_ACTIVE = re.compile(r"\\(href|url|class|style|cssId|data|require|unicode|bbox)(?![A-Za-z])")
SAFE_SCHEMES = {"http", "https", "mailto"}


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


def active_content(html: str, images: set[str]) -> list[str]:
    """What a browser (or MathJax) would act on in `html`: scripting tags, event handlers,
    links or sources with another scheme than http(s)/mailto, images other than `images`,
    MathJax commands that make links or carry CSS."""
    found = []
    for tag in BeautifulSoup(html, "html.parser").find_all(True):
        if tag.name in {"script", "iframe", "object", "embed", "style", "svg", "math", "form", "meta", "link", "base"}:
            found.append(tag.name)
        for name, value in tag.attrs.items():
            value = " ".join(value) if isinstance(value, list) else str(value)
            scheme = re.match(r"([a-z][a-z0-9+.\-]*):", re.sub(r"[\x00-\x20]", "", unquote(value)), re.I)
            if name.lower().startswith("on"):
                found.append(f"{tag.name}[{name}]")
            elif name in ("href", "src") and scheme and scheme.group(1).lower() not in SAFE_SCHEMES:
                found.append(f"{tag.name}[{name}={value}]")
        if tag.name == "img" and tag.get("src") not in images:
            found.append(f"img[src={tag.get('src')}]")
    found += MATHJAX_ACTIVE.findall(html)
    return found


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("hostile")
    src = base / "src"
    src.mkdir()
    (src / "pic.png").write_bytes(PNG)
    (base / "outside.png").write_bytes(PNG)  # exists, but outside the source folder
    (src / "hostile.md").write_text(HOSTILE, encoding="utf-8")
    build_dir(src, base / "b")  # asserts exit 0 and no traceback
    return base / "b"


def test_no_formula_runs_code_or_reads_a_file(hostile):
    for sheet in ("study.pdf", "quiz.pdf"):
        text = pdf_text(hostile / sheet)
        assert README_OPENING not in text and "deck pipeline" not in text, sheet
        assert "MADE BY CODE" not in text, sheet
        flat = text.replace("\n", "")
        assert r"\text{x" in flat  # the formula is shown as its source instead
        assert '(upper("made by code"))' in flat and "[更多]" in flat
    report = (hostile / "report.md").read_text(encoding="utf-8")
    listed = report[report.index("## Formulas printed as LaTeX source"):]
    for formula in (r'\text{"}', r'\text{x" $ #read("/README.md") $ "y}', r'\text{p" $ #upper("made by code") $ "q}'):
        assert f"`{formula}`" in listed, formula
    assert r"\frac" not in listed and r"\frac" not in pdf_text(hostile / "study.pdf")  # the others are typeset


def test_a_lone_quote_in_a_formula_costs_that_formula_alone(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "q.md").write_text('### 引号公式是什么？\n\n前面 $\\text{"}$ 和 $x^2$ 公式。\n\n'
                              '### 另一个呢？\n\n这里有个 " 引号和 `printed_code` 代码。\n', encoding="utf-8")
    build_dir(src, tmp_path / "b")  # exit 0, no traceback
    text = pdf_text(tmp_path / "b" / "study.pdf")
    assert 'printed_code' in text and '\\text{"}' in text
    assert (tmp_path / "b" / "quiz.pdf").exists()
    report = (tmp_path / "b" / "report.md").read_text(encoding="utf-8")
    assert report[report.index("## Formulas printed as LaTeX source"):].count("\n- ") == 1


def test_typst_compiles_in_an_empty_root_folder(tmp_path):
    """Whatever the Typst writer becomes, every compile of a build gets an empty root, so
    no source can read a file. The probe wraps typst.compile in every process of the build
    (sitecustomize runs at each interpreter's start, pool workers included)."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.md").write_text("### 什么是分数？\n\n$\\frac{1}{2}$ 是一半。\n", encoding="utf-8")
    probe = tmp_path / "probe"
    probe.mkdir()
    (probe / "sitecustomize.py").write_text(
        "import json, os, typst\n"
        "compile_ = typst.compile\n"
        "def compile(*args, **kwargs):\n"
        "    root = kwargs.get('root')\n"
        "    empty = bool(root) and os.path.isdir(root) and not os.listdir(root)\n"
        "    with open(os.environ['ROOTS_LOG'], 'a') as f:\n"
        "        f.write(json.dumps({'root': root, 'empty': empty}) + '\\n')\n"
        "    return compile_(*args, **kwargs)\n"
        "typst.compile = compile\n", encoding="utf-8")
    log = tmp_path / "roots.jsonl"
    result = subprocess.run([sys.executable, "-m", "pipeline", "build", "--source", str(src), "--build",
                             str(tmp_path / "b"), "--registry", str(tmp_path / "ids.yaml")],
                            cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "ROOTS_LOG": str(log), "PYTHONPATH": str(probe)})
    assert result.returncode == 0, result.stderr
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(calls) >= 2 and all(c["empty"] for c in calls), calls


def test_study_md_has_no_live_tag_link_or_image(hostile):
    text = (hostile / "study.md").read_text(encoding="utf-8")
    assert not MATHJAX_ACTIVE.search(text)
    # a CommonMark viewer, and a lenient one that passes raw HTML through (Python-Markdown, MkDocs)
    for html in (MarkdownIt("commonmark").render(text), markdown.markdown(text)):
        assert active_content(html, images=set()) == [], html
    assert "svg/onload=alert(1)" in text  # shown as text
    assert "https://example.com/far.png" in text and "/etc/passwd" in text  # a link, and a path as text


def test_deck_fields_have_no_live_link_mathjax_command_or_outside_image(hostile, tmp_path):
    with zipfile.ZipFile(hostile / "deck.apkg") as z:
        bundled = set(json.loads(z.read("media")).values())
    assert len(bundled) == 1 and next(iter(bundled)).endswith("_pic.png")
    col = Collection(str(tmp_path / "collection.anki2"))
    try:
        import_deck(col, hostile / "deck.apkg")
        fields = ["\x1f".join(col.get_note(nid).fields) for nid in col.find_notes("")]
    finally:
        col.close()
    assert len(fields) == 8
    everything = "\n".join(fields)
    assert active_content(everything, images=bundled) == [], everything
    assert "/etc/passwd" not in everything and "outside.png" not in everything.replace("（图片缺失：外面）", "")
    assert "图片缺失：密码" in everything and "图片缺失：外面" in everything
    assert re.search(r'<a [^>]*href="https://example.com/far.png"[^>]*>🖼 远程</a>', everything)
    assert "&lt;svg/onload=alert(1)&gt;" in everything  # shown as text
    report = (hostile / "report.md").read_text(encoding="utf-8")
    assert "- missing: `/etc/passwd`" in report and "- remote: https://example.com/far.png" in report


def test_too_deep_nesting_is_shown_as_text(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    levels = "\n".join("\t" * depth + f"- 第{depth}层" for depth in range(300))
    (src / "deep.md").write_text(f"### 嵌套三百层的列表怎么显示？\n\n{levels}\n\n### 旁边的问题还在吗？\n\n还在。\n",
                                 encoding="utf-8")
    data = build_dir(src, tmp_path / "b")
    assert [c["status"] for c in data["cards"]] == ["ok", "ok"]
    assert "第 299 层" in pdf_text(tmp_path / "b" / "study.pdf")  # pypdf spaces the digits
    study = (tmp_path / "b" / "study.md").read_text(encoding="utf-8")
    assert "第299层" in study and "还在。" in study
    col = Collection(str(tmp_path / "collection.anki2"))
    try:
        import_deck(col, tmp_path / "b" / "deck.apkg")
        deep = col.get_note(col.find_notes("嵌套三百层")[0])["Answer"]
        other = col.get_note(col.find_notes("旁边的问题")[0])["Answer"]
    finally:
        col.close()
    assert "第299层" in deep and "<ul>" not in deep
    assert other == "<p>还在。</p>" and data["cards"][1]["answer"] == "还在。"
