"""Study sheets read back: PDF text and fonts with pypdf, Markdown with a CommonMark parser."""
from __future__ import annotations

import re
import subprocess

import pytest
from markdown_it import MarkdownIt
from pypdf import PdfReader

from conftest import build_dir, source_folder
from pipeline.text import fold


def pdf_text(path) -> tuple[str, int, set[str]]:
    reader = PdfReader(str(path))
    fonts: set[str] = set()
    for page in reader.pages:
        for font in (page.get("/Resources", {}).get("/Font", {}) or {}).values():
            font = font.get_object()
            fonts.add(str(font.get("/BaseFont")))
            for desc in font.get("/DescendantFonts", []) or []:
                desc = desc.get_object()
                if "/FontFile2" in desc.get("/FontDescriptor", {}) or "/FontFile3" in desc.get("/FontDescriptor", {}):
                    fonts.add("embedded:" + str(desc.get("/BaseFont")))
    return "\n".join(p.extract_text() or "" for p in reader.pages), len(reader.pages), fonts


def test_study_pdf_has_every_question_in_an_embedded_cjk_font(seeds_build):
    out, data = seeds_build
    ok = [c for c in data["cards"] if c["status"] == "ok"]
    text, pages, fonts = pdf_text(out / "study.pdf")
    folded = fold(text)
    for card in ok:
        first = card["question"].split("\n")[0]
        if "$" not in first:
            assert fold(first) in folded, first
    assert any(f.startswith("embedded:") and "CJK" in f for f in fonts), fonts
    assert "\ufffd" not in text and "□" not in text
    assert len(ok) / 10 <= pages <= len(ok) * 2


def test_quiz_pdf_has_questions_then_answers(seeds_build):
    out, data = seeds_build
    text, _, _ = pdf_text(out / "quiz.pdf")
    answers_at = text.rfind("答案\n")
    assert answers_at > 0
    assert any(c["status"] == "ok" and "假币制造商" in c["answer"] for c in data["cards"])
    assert fold("假币制造商") in fold(text[answers_at:]) and fold("假币制造商") not in fold(text[:answers_at])


def test_markdown_sheet_is_commonmark_with_each_card_once(seeds_build):
    out, data = seeds_build
    ok = [c for c in data["cards"] if c["status"] == "ok"]
    text = (out / "study.md").read_text(encoding="utf-8")
    tokens = MarkdownIt("commonmark").parse(text)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h3"]
    assert len(headings) == len(ok)
    topics = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h2"]
    assert set(topics) - {"目录"} == {c["topic"] for c in ok}
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', text))
    assert anchors == set(re.findall(r"\]\(#([^)]+)\)", text))


def test_control_characters_print_literally(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    # `\*` is Markdown's own escape: the stars are text, which Typst must not read as bold
    (src / "odd.md").write_text("## 符号\n\n### 为什么 #set 和 \\*星号\\* 与 <标签> 以及 @引用 还有 $5 不会执行？\n\n"
                                "因为 // 不是注释，[方括号] 与 `代码` 照样打印，价格 $5 和 $6 也是。\n", encoding="utf-8")
    data = build_dir(src, tmp_path / "b")
    assert data["cards"][0]["status"] == "ok"
    text, _, _ = pdf_text(tmp_path / "b" / "study.pdf")
    flat = text.replace("\n", "")
    for literal in ("#set", "*星号*", "<标签>", "@引用", "//", "[方括号]", "$5"):
        assert literal in flat, literal


def test_unconvertible_formula_falls_back_to_source(tmp_path):
    src = source_folder(tmp_path, {"math.md": "### 这个公式是什么？\n\n$\\frac{a}{b}$ 与 $\\badmacro{x}$ 以及 $\\left( x$\n"})
    build_dir(src, tmp_path / "b")
    report = (tmp_path / "b" / "report.md").read_text(encoding="utf-8")
    assert "printed as LaTeX source" in report
    text, _, _ = pdf_text(tmp_path / "b" / "study.pdf")
    assert "\\left( x" in text or "\\badmacro" in text
    assert "\\frac" not in text and "$\\frac" not in text  # the convertible one was typeset


@pytest.mark.skipif(subprocess.run(["which", "pdftoppm"], capture_output=True).returncode != 0,
                    reason="poppler-utils not installed")
def test_first_page_renders_to_png(seeds_build, tmp_path):
    out, _ = seeds_build
    subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-png", str(out / "study.pdf"), str(tmp_path / "p")],
                   check=True)
    assert list(tmp_path.glob("p*.png"))


def test_quiz_items_print_their_blanks_and_keep_keys_for_the_answers(tmp_path):
    """A cloze item shows its blanks under the question and its keys, in order, only in the
    answer part; a choice item with several right options prints them all in its key."""
    src = source_folder(tmp_path, {"quiz.txt": (
        "1. 残差块把输入通过____直接加到____上。\n答案：恒等映射；输出。解析：梯度可以沿捷径回传。\n"
        "2. 以下哪些是序列模型？\nA. GRU\nB. 决策树\nC. LSTM\n答案：A、C\n"
        "3. 哈希表常用____解决冲突。\n答案：开放寻址\n")})
    data = build_dir(src, tmp_path / "b")
    assert [c["type"] for c in data["cards"]] == ["cloze", "choice", "cloze"]
    text, _, _ = pdf_text(tmp_path / "b" / "quiz.pdf")
    answers_at = text.rfind("答案\n")
    questions, answers = fold(text[:answers_at]), fold(text[answers_at:])
    assert "____" in text[:answers_at].replace(" ", "")
    assert fold("恒等映射") not in questions and fold("答案：恒等映射；输出") in answers
    assert fold("梯度可以沿捷径回传") in answers and fold("答案：A、C") in answers
    study = (tmp_path / "b" / "study.md").read_text(encoding="utf-8")
    assert "通过\\_\\_\\_\\_直接加到\\_\\_\\_\\_上" in study
    assert "**答案：恒等映射；输出**\n\n梯度可以沿捷径回传。" in study
    assert study.count("恒等映射") == 1 and study.count("开放寻址") == 1  # the answer does not repeat the keys
