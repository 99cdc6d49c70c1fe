"""The review page (build/review/): line fates, cards beside them, the edits to copy, the
counts against report.md, per-source pages for a large corpus, and new cards made from
text outside every card (edits.yaml `new`). The browser checks are in test_review_browser.py."""
from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from conftest import build_dir, run_cli, source_folder
from pipeline import review
from pipeline.__main__ import build
from pipeline.model import PipelineError

NOTES = """这份笔记整理了我复习时遇到的问题，顺序比较随意。

## 优化器

动量法在山谷地形里表现更稳，这段是我自己的体会。

### 为什么 Adam 需要偏差修正？

因为一阶和二阶矩估计从零开始，早期会偏小。

### 学习率预热有什么用？

避免训练初期梯度过大导致发散。

欢迎关注公众号获取更多资料
"""


# scripts, handlers and links that would change the page's title if anything ran them
HOSTILE = {
    "evil.txt": "1、注入会执行吗？\n答：`</textarea><script>document.title='pwned'</script>` 只是文字。\n\n"
                "2、链接呢？\n答：[点我](javascript:document.title='pwned')\n",
    "evil.md": "# 图片会执行吗？\n\n<img src=x onerror=\"document.title='pwned'\">\n\n"
               "<script>document.title='pwned'</script>\n",
}


def page(out: Path, name: str = "index.html") -> BeautifulSoup:
    return BeautifulSoup((out / "review" / name).read_text(encoding="utf-8"), "html.parser")


def fates(soup: BeautifulSoup) -> dict[int, tuple[str, str]]:
    """Line number -> (fate, rule on hover) of every row of the page's sources."""
    return {int(tr.td.get_text()): (tr["class"][0], tr.get("title", "")) for tr in soup.select("table.lines tr")}


@pytest.fixture(scope="module")
def notes_build(tmp_path_factory) -> tuple[Path, dict]:
    tmp = tmp_path_factory.mktemp("notes")
    out = tmp / "out"
    return out, build_dir(source_folder(tmp, {"notes.md": NOTES}), out)


def test_each_line_is_coloured_by_what_became_of_it(notes_build):
    out, _ = notes_build
    assert fates(page(out)) == {
        1: ("unclaimed", "preamble"), 2: ("blank", ""), 3: ("topic", ""), 4: ("blank", ""),
        5: ("unclaimed", "section_text"), 6: ("blank", ""), 7: ("question", ""), 8: ("blank", ""),
        9: ("answer", ""), 10: ("blank", ""), 11: ("question", ""), 12: ("blank", ""), 13: ("answer", ""),
        14: ("blank", ""), 15: ("rule", "page_footer")}


def test_cards_sit_beside_their_lines_with_anchors_and_links_to_them(notes_build):
    out, cards = notes_build
    soup = page(out)
    items = soup.select("div.items > *")
    # the runs of text outside every card come in line order between the cards
    assert [i.name for i in items] == ["aside", "aside", "article", "article"]
    for card in cards["cards"]:
        article = soup.find("article", id=card["id"])
        assert article["data-status"] == card["status"]
        assert article.select_one(".front").get_text(strip=True) == card["question"]
        first, last = card["sources"][0]["lines"]
        line_link = article.select_one(".places a")["href"]
        assert soup.find(id=line_link[1:]).td.get_text() == str(first)
        assert soup.find("tr", id=line_link[1:])["data-card"] == card["id"]


def test_each_card_offers_the_entry_the_edit_command_prints(notes_build):
    out, cards = notes_build
    soup = page(out)
    for card in cards["cards"]:
        printed = run_cli("edit", card["id"], "--build", str(out))
        assert printed.returncode == 0, printed.stderr
        assert soup.find("article", id=card["id"]).textarea.get_text() == printed.stdout


def test_the_counts_at_the_top_are_those_of_report_and_cards(seeds_build):
    out, cards = seeds_build
    counts = {b["data-count"]: int(b.get_text()) for b in page(out).select("[data-count]")}
    status = Counter(c["status"] for c in cards["cards"])
    assert {s: counts[s] for s in review.STATUSES} == {s: status[s] for s in review.STATUSES}
    assert counts["cards"] == len(cards["cards"])
    report = (out / "report.md").read_text(encoding="utf-8")
    header = report.split("\n")[2]
    assert f"{counts['cards']} cards ({counts['ok']} ok, {counts['needs_answer']} need an answer" in header
    assert f"{counts['run_chars']} characters of text outside every card ({counts['runs']} runs)" in header
    sources = re.search(r"## Sources\n\n(.*?)\n\n", report, re.S).group(1).splitlines()[2:]
    assert counts["dropped_lines"] == sum(int(row.split(" | ")[7]) for row in sources) > 0
    # and every dropped row of the page is one of those lines
    soup = page(out)
    dropped = {tr["id"] for tr in soup.select("table.lines tr.rule, table.lines tr.unclaimed") if tr.get("id")}
    assert len(dropped) == counts["dropped_lines"]


def test_report_and_the_terminal_name_the_page(tmp_path):
    src = source_folder(tmp_path, {"notes.md": NOTES})
    result = run_cli("build", "--source", str(src), "--build", str(tmp_path / "out"),
                     "--registry", str(tmp_path / "ids.yaml"))
    assert f"{tmp_path / 'out' / 'review' / 'index.html'}" in result.stderr
    assert "[review/index.html](review/index.html)" in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")


def test_source_text_is_escaped_and_only_the_pages_own_script_runs(tmp_path):
    out = tmp_path / "out"
    build_dir(source_folder(tmp_path, HOSTILE), out)
    soup = page(out)
    scripts = soup.find_all("script")
    nonce = re.search(r"script-src 'nonce-(\w+)'", soup.find("meta", attrs={"http-equiv": True})["content"]).group(1)
    assert all(s.get("nonce") == nonce for s in scripts) and len(scripts) == 1
    assert not soup.find_all(attrs={"onerror": True}) and not soup.find_all("img")
    assert not [a for a in soup.find_all("a") if a.get("href", "").lower().startswith("javascript")]
    # what the sources said is there to read, as text: in the lines, on the card, in its edits.yaml entry
    trick = "</textarea><script>document.title='pwned'</script>"
    assert trick in soup.find("tr", id=re.compile("-2$"), class_="answer").get_text()
    card = next(a for a in soup.select("article.card") if "注入会执行吗" in a.select_one(".front").get_text())
    assert trick in card.select_one(".back").get_text()
    assert "</textarea><script>document.title=''pwned''</script>" in card.textarea.get_text()  # YAML's quoting
    assert "<img src=x onerror=" in soup.select_one("tr[title=missing_image]").get_text()


def test_a_run_of_text_outside_every_card_becomes_a_card_with_its_stub(tmp_path):
    src = source_folder(tmp_path, {"notes.md": NOTES})
    out = tmp_path / "out"
    build_dir(src, out)
    run = page(out).select_one("aside.run[data-rule=section_text]")
    stub = run.textarea.get_text()
    entry = yaml.safe_load(stub)["new"][0]
    assert entry["file"] == "notes.md" and entry["lines"] == [5, 5] and entry["topic"] == "优化器"
    (src / "edits.yaml").write_text(stub.replace(entry["question"], "动量法在山谷地形里为什么更稳？")
                                    .replace("answer: ''", "answer: 梯度方向的振荡被平均掉了。"), encoding="utf-8")
    made = []
    for _ in range(2):
        cards = build_dir(src, out)["cards"]
        new = [c for c in cards if c["question"] == "动量法在山谷地形里为什么更稳？"]
        assert len(new) == 1 and new[0]["sources"] == [{"file": "notes.md", "lines": [5, 5]}]
        assert new[0]["answer"] == "梯度方向的振荡被平均掉了。" and new[0]["status"] == "ok"
        assert [c["id"] for c in cards].index(new[0]["id"]) == 0  # in source order: above the two questions
        made.append(new[0]["id"])
        report = (out / "report.md").read_text(encoding="utf-8")
        assert "notes.md:5 (section_text" not in report and "notes.md:1 (preamble" in report
        assert "Ids no longer produced" not in report
        assert fates(page(out))[5] == ("question", "")
    assert made[0] == made[1]  # the same id build after build
    assert made[0] in (out / "card_ids.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize("item, line, message", [
    ("{file: other.md, lines: [5, 5], topic: T, question: 甲？}", 3, "no source is named other.md"),
    ("{file: notes.md, lines: [9, 5], topic: T, question: 甲？}", 3, "lines [9, 5] run backwards"),
])
def test_a_new_card_that_names_no_lines_of_a_source_is_refused(tmp_path, item, line, message):
    src = source_folder(tmp_path, {"notes.md": NOTES})
    (src / "edits.yaml").write_text(f"# new cards\nnew:\n  - {item}\n", encoding="utf-8")
    with pytest.raises(PipelineError) as err:
        build(src, tmp_path / "out", registry_file=str(tmp_path / "ids.yaml"), quiet=True)
    assert err.value.line == line and message in err.value.message
    assert not (tmp_path / "out" / "review").exists()


def test_a_large_corpus_gets_a_page_per_source_and_a_small_index(tmp_path, monkeypatch):
    merged = "### 为什么 Adam 需要偏差修正？\n\n矩估计从零开始，前几步偏小，所以要除以一个修正系数。\n"
    src = source_folder(tmp_path, {"notes.md": NOTES, "more.md": merged})
    out = tmp_path / "out"
    monkeypatch.setattr(review, "INLINE_BYTES", 100)
    build(src, out, registry_file=str(tmp_path / "ids.yaml"), quiet=True)
    index = page(out)
    assert not index.select("table.lines") and len(index.select("table.sources tbody tr")) == 2
    links = {a.get_text(): a["href"] for a in index.select("table.sources a")}
    notes = page(out, links["notes.md"])
    assert [tr.td.get_text() for tr in notes.select("table.lines tr")][:3] == ["1", "2", "3"]
    # a card merged from two sources lives on one page; the other links to it there
    card = notes.select_one("article.card:not(.echo)") or page(out, links["more.md"]).select_one("article.card")
    where = yaml.safe_load(index.find("script", id="where").get_text())
    assert set(where.values()) <= set(links.values()) and len(where) == 2
    home = page(out, where[card["id"]])
    assert home.find("article", id=card["id"])
    # pages of sources that are gone are removed
    (src / "more.md").unlink()
    build(src, out, registry_file=str(tmp_path / "ids.yaml"), quiet=True)
    assert sorted(p.name for p in (out / "review").iterdir()) == sorted(["index.html", links["notes.md"]])


def test_the_page_is_rewritten_only_when_what_it_shows_changed(tmp_path):
    src = source_folder(tmp_path, {"notes.md": NOTES})
    out = tmp_path / "out"
    build_dir(src, out)
    index = out / "review" / "index.html"
    before = index.stat().st_mtime_ns
    build_dir(src, out)
    assert index.stat().st_mtime_ns == before
    # a line dropped differently changes no card but changes the page
    (src / "notes.md").write_text(NOTES.replace("这份笔记", "这一份笔记"), encoding="utf-8")
    build_dir(src, out)
    assert "这一份笔记" in index.read_text(encoding="utf-8")
    # a page deleted, or a build killed while writing it: the next build writes it again
    index.unlink()
    build_dir(src, out)
    assert index.exists()


def test_a_build_killed_while_writing_the_page_is_repaired_by_the_next(tmp_path, monkeypatch):
    src = source_folder(tmp_path, {"notes.md": NOTES})
    out, ids = tmp_path / "out", str(tmp_path / "ids.yaml")
    build(src, out, registry_file=ids, quiet=True)
    (src / "notes.md").write_text(NOTES.replace("这份笔记", "这一份笔记"), encoding="utf-8")

    def killed(page, build_dir, sections=None):
        (build_dir / review.INDEX).write_text("half a page", encoding="utf-8")
        raise KeyboardInterrupt
    with monkeypatch.context() as patched:
        patched.setattr(review, "write", killed)
        with pytest.raises(KeyboardInterrupt):
            build(src, out, registry_file=ids, quiet=True)
    # back to the text the page on disk was last made from: only the record that its
    # rewrite had begun tells the next build that the half page must go
    (src / "notes.md").write_text(NOTES, encoding="utf-8")
    build(src, out, registry_file=ids, quiet=True)
    assert "这份笔记" in (out / review.INDEX).read_text(encoding="utf-8")


def test_the_seeds_page_is_written_in_under_a_third_of_a_second(tmp_path, monkeypatch):
    # CPU time of this process: the tests share the machine's cores, wall time measures the load
    taken = []
    for name in ("collect", "write"):
        stage = getattr(review, name)

        def timed(*args, stage=stage):
            start = time.process_time()
            result = stage(*args)
            taken.append(time.process_time() - start)
            return result
        monkeypatch.setattr(review, name, timed)
    build(Path(__file__).parent.parent / "source", tmp_path / "out", registry_file=str(tmp_path / "ids.yaml"),
          quiet=True)
    assert len(taken) == 2 and sum(taken) < 0.3, taken


def test_a_card_shows_its_edits_and_links_to_every_source_it_was_merged_from(tmp_path):
    again = "### 为什么 Adam 需要偏差修正？\n\n矩估计从零开始，前几步偏小，所以要除以一个修正系数。\n"
    src = source_folder(tmp_path, {"notes.md": NOTES, "again.md": again})
    out = tmp_path / "out"
    cards = build_dir(src, out)["cards"]
    merged = next(c for c in cards if len(c["sources"]) == 2)
    other = next(c for c in cards if c is not merged)
    (src / "edits.yaml").write_text(f"{other['id']}:\n  written_against: 0000beef\n  answer: 先小步，再正常。\n",
                                    encoding="utf-8")
    build_dir(src, out)
    soup = page(out)
    edited = soup.find("article", id=other["id"])
    assert [p.get_text() for p in edited.select("p.edit")] == [
        "edit stale: the source text changed since the edit was written", "edit applied: answer"]
    assert edited.select_one(".back").get_text(strip=True) == "先小步，再正常。"
    # the merged card lives beside its first source, links to the lines of both, and the
    # other source shows where it went
    home = soup.find("article", id=merged["id"])
    rows = [soup.find(id=a["href"][1:]) for a in home.select(".places a")]
    assert [r.find_parent("section")["data-source"] for r in rows] == [s["file"] for s in merged["sources"]]
    echo = soup.select_one(f"section[data-source='{merged['sources'][1]['file']}'] article.echo")
    assert echo.a["href"] == f"#{merged['id']}"
