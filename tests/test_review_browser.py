"""The review page in a real headless browser: Debian's chromium, driven by Playwright
(never a downloaded browser). One browser for the module keeps these checks to seconds."""
from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from conftest import build_dir, source_folder
from test_review import HOSTILE

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; .ci/run does)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield chromium
        chromium.close()


def open_page(browser, path: Path) -> tuple[Page, list[str], list[str]]:
    """The page at `path` opened from disk, with the console errors (and uncaught
    exceptions) and the dialogs it raised while loading."""
    page = browser.new_page()
    errors: list[str] = []
    dialogs: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, errors, dialogs


def visible_statuses(page: Page) -> Counter:
    return Counter(page.eval_on_selector_all(
        "article.card:not(.echo)", "els => els.filter(e => e.offsetParent !== null).map(e => e.dataset.status)"))


def test_seeds_page_loads_counts_and_filters_by_status(browser, seeds_build):
    out, cards = seeds_build
    page, errors, _ = open_page(browser, out / "review" / "index.html")
    assert errors == []
    status = Counter(c["status"] for c in cards["cards"])
    shown = {s: int(page.inner_text(f"[data-count={s}]")) for s in ("ok", "needs_answer", "needs_review", "dropped")}
    assert shown == {s: status[s] for s in shown}
    report = (out / "report.md").read_text(encoding="utf-8")
    assert f"{len(cards['cards'])} cards ({status['ok']} ok, {status['needs_answer']} need an answer" in report
    dropped = int(page.inner_text("[data-count=dropped_lines]"))
    assert page.locator("table.lines tr.rule[id], table.lines tr.unclaimed[id]").count() == dropped
    assert visible_statuses(page) == +status

    page.click("button.status[data-status=needs_answer]")
    assert visible_statuses(page) == Counter({"needs_answer": status["needs_answer"]})
    page.click("button.status[data-status=all]")
    assert visible_statuses(page) == +status

    page.check("#dropped-only")
    fates = page.eval_on_selector_all("table.lines tr", "els => els.filter(e => e.offsetParent !== null)"
                                                       ".map(e => e.className)")
    assert set(fates) == {"rule", "unclaimed"} and len(fates) >= dropped
    page.uncheck("#dropped-only")

    name = cards["cards"][0]["sources"][0]["file"]
    page.select_option("#source", name)
    assert page.eval_on_selector_all("section.source", "els => els.filter(e => !e.hidden)"
                                                       ".map(e => e.dataset.source)") == [name]
    page.close()


def test_search_and_a_click_on_a_line_find_the_card(browser, seeds_build):
    out, cards = seeds_build
    page, errors, _ = open_page(browser, out / "review" / "index.html")
    card = cards["cards"][3]
    file, (first, _) = card["sources"][0]["file"], card["sources"][0]["lines"]
    page.fill("#search", card["id"])
    expect(page.locator("article.card:not([hidden])")).to_have_count(1)  # the page's CSP forbids eval: no wait_for_function
    assert page.locator("article.card:not([hidden])").get_attribute("id") == card["id"]
    page.fill("#search", "")
    expect(page.locator("article.card[hidden]")).to_have_count(0)
    row = page.locator(f"section[data-source='{file}'] tr[data-card='{card['id']}']").first
    row.click()
    assert page.evaluate("location.hash") == f"#{card['id']}"
    assert int(row.locator("td.n").inner_text()) >= first and errors == []
    page.close()


def test_hostile_sources_show_as_text_and_run_nothing(browser, tmp_path):
    out = tmp_path / "out"
    build_dir(source_folder(tmp_path, HOSTILE), out)
    page, errors, dialogs = open_page(browser, out / "review" / "index.html")
    assert page.title() == "Review" and dialogs == [] and errors == []
    page.click("text=edits.yaml entry >> nth=0")
    page.click("text=链接呢？")
    assert page.title() == "Review" and dialogs == []
    assert "<script>document.title='pwned'</script>" in page.inner_text("main")
    page.close()
    shutil.rmtree(out)
