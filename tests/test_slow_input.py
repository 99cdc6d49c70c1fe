"""Tiny hostile lines that made the build hang (issue 13, item 3): every regex that
backtracked on them now runs in linear time, ordinary text comes out as before, a deck
field that would stall Markdown is shown as plain text, and a source that still takes too
long is stopped and named."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT
from pipeline.__main__ import die_with_parent, read_source, source_seconds
from pipeline.clean import _is_breadcrumb
from pipeline.model import PipelineError
from pipeline.render import markdown_would_stall, to_html
from pipeline.workers import Stopped, run_jobs

SPACES = " " * 40_000
Q = "# 什么是批归一化？\n\n"
# (the rule or stage the line sends into its worst case, file suffix, document). Each took
# from 1.4 s to far beyond 20 s in read_source before; now each takes milliseconds.
HOSTILE_SOURCES = [
    ("html_comment: unclosed comment openers", ".md", Q + "<!--" * 40_000 + "\n"),
    ("inline_html: <a and spaces", ".md", Q + "<a" + SPACES + "\n"),
    ("inline_html: <img with a long src and no >", ".md", Q + "<img src=" + "a" * 50_000 + "\n"),
    ("inline_html: <img openers and no >", ".md", Q + "<img" * 20_000 + "\n"),
    ("inline_html: <summary> after spaces", ".md", Q + "<b>" + SPACES + "x\n"),
    ("toc_marker: marker and spaces", ".md", Q + "目录" + SPACES + "x\n"),
    ("page_chrome: read counter and spaces", ".md", Q + "阅读" + " " * 3_000 + "x\n"),
    ("page_chrome: breadcrumb", ".md", Q + "首页 › " + "/a " * 40 + "，\n"),
    ("images: image openers", ".md", Q + "![" * 40_000 + "\n"),
    ("images: image and spaces", ".md", Q + "![a](" + SPACES + "x\n"),
    ("toc_block and links: 80,000 [", ".md", Q + "[" * 80_000 + "\n"),
    ("links: link openers without )", ".md", Q + "[a](" * 20_000 + "\n"),
    ("toc_block: a section number then spaces", ".md", Q + "(" + SPACES + "x\n"),
    ("bullet: a bold item then spaces", ".md", Q + "- **a**" + SPACES + "b\n"),
    ("question_text: spaces before a closing star", ".md", Q + "# a" + SPACES + "x\n"),
    ("attribute_lists: a heading's spaces before no permalink", ".md", Q + "## a" + SPACES + "[x](#y)z\n"),
    ("latex_layout: padded dollars and spaces", ".md", Q + "$" + SPACES + "\\x" + SPACES + "y\n"),
    ("arrowed: arrow lines of spaces", ".md", Q + "a?\n" + ("->" + SPACES + "\n") * 3),
    ("hashtags: tags and spaces", ".md", Q + "#a #b" + SPACES + "#c x\n"),
    ("latex_layout: padded dollars over many LaTeX words", ".md", Q + "$ " + "a_b " * 20_000 + "\n"),
    ("inline_html: a coloured line of spaces", ".md", Q + "<font>x" + SPACES + "y\n"),
    ("question_line: a labelled line of clauses", ".txt", Q + "为什么，" * 5_000 + "：x\n"),
    ("latex_layout: unclosed spacing commands", ".md", Q + "\\kern{" * 20_000 + "\n"),
    ("links: autolink openers", ".md", Q + "<http://a" * 20_000 + "\n"),
    ("status: answer label and spaces", ".md", Q + "答案" + " " * 3_000 + "x\n"),
    ("choices: answer key and spaces", ".md", "# 下列哪项是激活函数？\n\nA. ReLU\nB. SGD\n\n答案" + " " * 3_000 + "x\n"),
    ("status: page reference and spaces", ".md", Q + "见 p1 -" + SPACES + "x\n"),
    ("extract: answer label and spaces", ".md", Q + "答案" + SPACES + "x\n"),
    ("extract: question label and spaces", ".md", "# Q" + SPACES + "什么是批归一化？\n\n它规范每层的输入。\n"),
    ("extract: trailing links", ".md", "# 什么是批归一化？" + "[a](b)" * 20_000 + "x\n\n它规范每层的输入。\n"),
    ("extract: heading with spaces inside", ".md", "# 什么" + " " * 3_000 + "是批归一化？\n\n它规范每层的输入。\n"),
    ("extract: numbered question and spaces", ".txt", "Q1" + SPACES + "x\n"),
    ("extract: bold line and spaces", ".md", "**什么是批归一化？**" + SPACES + "x\n"),
    ("extract: Q: question with spaces inside", ".txt", "Q: 什么" + " " * 3_000 + "是批归一化？\n它规范每层的输入。\n"),
    ("extract: inline answer and spaces", ".txt", "Q: 什么是批归一化？" + SPACES + "x\n"),
    ("extract: list prompt of [", ".md", "- " + "[" * 80_000 + "\n"),
    ("extract: a front's end marks after spaces", ".md", "# 什么是批归一化" + SPACES + "x ¶\n\n它规范每层的输入。\n"),
    ("extract: bracketed answer and spaces", ".md", Q + "- 为什么？（答：" + SPACES + "x）\n"),
    ("heading: a long comparison", ".md", "## a vs " + "b vs " * 20_000 + "\n\n正文。\n"),
    ("heading: a page of sibling headings", ".md", "".join(f"### 小节{k}\n" for k in range(6_000))),
    ("heading: sibling headings rated and numbered", ".md", "".join(f"### {k}. 题{k}***\n" for k in range(1, 6_000))),
    ("fenced_divs: a titled fence and spaces", ".md", Q + "::: tip a" + SPACES + "x\n"),
    ("fenced_divs: a heading of spaces in a box", ".md", Q + "::: tip\n## a" + SPACES + "x\n:::\n"),
    # (four-digit numbers number no item: each line is a bare title, each followed by the others)
    ("bare_line: a page of bare title lines", ".md", "".join(f"{k}. 看下面的代码\n\n" for k in range(1_000, 7_000))),
    # (a page's script data: each literal is scanned once, a nested one is no JSON to read)
    ("scriptdata: literals that never close", ".html", "<html><body><p>x</p><script>" + "a=[" * 100_000 + "</script></body></html>"),
    ("scriptdata: an array nested past reading", ".html",
     "<html><body><p>x</p><script>var a = " + "[" * 100_000 + "]" * 100_000 + ";</script></body></html>"),
]
# deck fields on which Python-Markdown ran for minutes
HOSTILE_FIELDS = ["[" * 80_000, "![" * 40_000, "[a](" * 20_000, "[a][" * 20_000, "`" * 3_000,
                  "`a" * 20_000, "[a](b)" * 20_000]
BOUND = 1.0  # CPU seconds for one case; each took from seconds to hours before
REPEATS = 3  # runs of a case over BOUND before it counts as slow; a quadratic case is slow every time
HANG = 30.0  # wall seconds: a case past this is stopped, so the old code fails instead of hanging


def _timed(call) -> float:
    """CPU seconds of `call`: the least of up to REPEATS runs, stopping at one within BOUND. A run
    on a loaded machine (the test workers beside this one) costs more than the code does; the
    least figure is the code's, as the timeit docs advise: "higher values … are typically not
    caused by variability in Python's speed, but by other processes interfering"."""
    best = float("inf")
    for _ in range(REPEATS):
        started = time.process_time()
        call()
        best = min(best, time.process_time() - started)
        if best <= BOUND:
            break
    return best


def _time_source(job: tuple[Path, str]) -> float:
    return _timed(lambda: read_source(job[0], "t"))


def _time_field(text: str) -> float:
    return _timed(lambda: to_html(text))


def _run_all(work, jobs: list) -> list[float | Stopped]:
    times: list[float | Stopped] = [0.0] * len(jobs)
    for position, result in run_jobs(work, jobs, 2, HANG, die_with_parent):
        times[position] = result
    return times


def test_hostile_lines_are_read_in_linear_time(tmp_path):
    jobs = []
    for k, (_, suffix, text) in enumerate(HOSTILE_SOURCES):
        path = tmp_path / f"case{k}{suffix}"
        path.write_text(text, encoding="utf-8")
        jobs.append((path, "t"))
    times = _run_all(_time_source, jobs)
    slow = [(name, t) for (name, _, _), t in zip(HOSTILE_SOURCES, times, strict=True)
            if isinstance(t, Stopped) or t > BOUND]
    assert not slow


def test_hostile_deck_fields_render_in_linear_time_as_plain_text():
    times = _run_all(_time_field, HOSTILE_FIELDS)
    assert not [(text[:8], t) for text, t in zip(HOSTILE_FIELDS, times, strict=True)
                if isinstance(t, Stopped) or t > BOUND]
    assert all(markdown_would_stall(text) for text in HOSTILE_FIELDS)
    # shown as written, escaped, never as markup
    assert to_html("<b>" + "[" * 80_000) == "<p>&lt;b&gt;" + "[" * 80_000 + "</p>"


def test_ordinary_fields_still_go_through_markdown():
    for text in ["见[论文](https://a.example/p)和`code`，区间[0,1)。", "- a\n- b", "[x] " * 200, "`a` " * 300]:
        assert not markdown_would_stall(text)
    assert to_html("见[论文](https://a.example/p)和`x`") == (
        '<p>见<a href="https://a.example/p" rel="noopener noreferrer">论文</a>和<code>x</code></p>')


ORDINARY = """首页 › 深度学习 › 面试题
阅读数：2048
目录
- [为什么要做归一化？](#q1)
- [批归一化怎么训练？](#q2)
- [Dropout 是什么？](#q3)

## 为什么要做归一化？ [[原文](https://example.com/a)]

答案：让各层输入的分布稳定<!-- 注释 -->，训练更快。<br>参见 <img alt="示意" src="https://example.com/n.png"> 和 ![图](https://example.com/m.png "图一")。

## 批归一化怎么训练？ ##

**答**：在每个小批量上算均值和方差，详见 p12 - p14 与 <https://example.com/bn>。\\kern{2em}

## Dropout 是什么？

测试时不丢弃神经元，而是按保留概率缩放输出，见[论文](https://example.com/d)。

## 下列哪项能缓解过拟合？

A. Dropout
B. 增大学习率

正确答案：A
"""


def test_ordinary_page_gives_the_same_cards_as_before_the_rewrite(tmp_path):
    # expected values are what the code gave before its regexes were rewritten (since the quiz
    # work a line that only states the key is no explanation: the choice card's answer is empty;
    # a link on the question's line keeps its address on the back)
    path = tmp_path / "page.md"
    path.write_text(ORDINARY, encoding="utf-8")
    result = read_source(path, "t")
    assert [(c.question, c.answer, c.type, c.correct, c.status) for c in result.cards] == [
        ("为什么要做归一化？", "让各层输入的分布稳定，训练更快。 参见 ![](https://example.com/n.png) 和 "
                          '![图](https://example.com/m.png "图一")。\n\n[原文](https://example.com/a)', "basic", [], "ok"),
        ("批归一化怎么训练？", "在每个小批量上算均值和方差，详见 p12 - p14 与 <https://example.com/bn>。", "basic", [], "ok"),
        ("Dropout 是什么？", "测试时不丢弃神经元，而是按保留概率缩放输出，见[论文](https://example.com/d)。", "basic", [], "ok"),
        ("下列哪项能缓解过拟合？", "", "choice", ["A"], "ok"),
    ]
    assert sorted((d.line, d.rule) for d in result.doc.drops) == [
        (1, "page_chrome"), (2, "page_chrome"), (3, "toc"), (4, "toc"), (5, "toc"), (6, "toc")]


def test_breadcrumbs_are_found_as_before():
    for crumb in ["首页 › 机器学习 › 面试题", "Home » Blog » Deep learning", "首页 › 专栏/深度学习 › 第3篇",
                  "一" * 59 + " › 甲 › 乙"]:
        assert _is_breadcrumb(crumb), crumb
    for prose in ["首页 › 机器学习，面试题", "只有一个 › 分隔符", "一" * 61 + " › 甲 › 乙",
                  "首页 › 机器学习 › " + "长" * 21, "首页 ›› 面试题"]:
        assert not _is_breadcrumb(prose), prose


def _sleep_then(job: tuple[float, int]) -> int:
    time.sleep(job[0])
    return job[1]


def _exit(code: int) -> None:
    os._exit(code)


def _fail(_job: object) -> None:
    raise ValueError("a fault in the code")


def test_a_job_past_its_deadline_is_stopped_and_the_others_finish():
    jobs = [(0.0, 1), (30.0, 2), (0.0, 3), (0.0, 4)]
    started = time.monotonic()
    results = dict(run_jobs(_sleep_then, jobs, 2, 0.5, die_with_parent))
    assert time.monotonic() - started < 10
    assert results == {0: 1, 1: Stopped("took longer than 0.5 s"), 2: 3, 3: 4}


def test_a_dead_worker_is_reported_and_a_fault_is_raised():
    assert dict(run_jobs(_exit, [3], 1, 10, die_with_parent)) == {0: Stopped("its worker process died (exit code 3)")}
    with pytest.raises(ValueError, match="a fault in the code"):
        list(run_jobs(_fail, [None], 1, 10, die_with_parent))


def test_the_limit_per_source_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("PIPELINE_SOURCE_SECONDS", "2.5")
    assert source_seconds() == 2.5
    for bad in ("0", "-1", "soon", "nan"):
        monkeypatch.setenv("PIPELINE_SOURCE_SECONDS", bad)
        with pytest.raises(PipelineError, match="PIPELINE_SOURCE_SECONDS"):
            source_seconds()


def _large_source(path: Path) -> None:
    # legitimate, just large: about 2 s of work, far past the limit set below
    path.write_text("\n".join(f"{i}. 第{i}个问题：为什么批归一化能加速训练{i}？\n因为它规范每层的输入，编号{i}。\n"
                              for i in range(1, 14_000)), encoding="utf-8")


def _build(src: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PIPELINE_SOURCE_SECONDS="0.5")
    return subprocess.run([sys.executable, "-m", "pipeline", "build", "--source", str(src), "--build", str(out),
                           "--registry", str(out / "card_ids.yaml"), *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)


def test_a_source_past_the_limit_is_named_and_nothing_is_written(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    _large_source(src / "big.md")
    (src / "small.md").write_text("# 什么是批归一化？\n\n它规范每层的输入。\n", encoding="utf-8")
    result = _build(src, tmp_path / "b")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "big.md: took longer than 0.5 s" in result.stderr and "small.md" not in result.stderr
    assert not (tmp_path / "b" / "cards.yaml").exists()
    result = _build(src, tmp_path / "b", "--keep-going")
    assert result.returncode == 0, result.stderr
    assert "skipped: big.md: took longer than 0.5 s" in result.stderr
    assert "big.md: took longer than 0.5 s" in (tmp_path / "b" / "report.md").read_text(encoding="utf-8")
    assert "什么是批归一化" in (tmp_path / "b" / "cards.yaml").read_text(encoding="utf-8")
