"""Named cleaning rules, applied in order. A rule either drops whole lines (each drop is
recorded with the rule's name, so the report can account for every line) or rewrites
debris inside a line (counted per rule). Code blocks are never touched."""
from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable
from urllib.parse import unquote

import json5
from markdown_it.common.utils import normalizeReference

from .blocks import code_lines, link_definitions, script_lines
from .model import CleanDocument, Document, Drop, SourceLine
from .text import (CHROME_MARKER, THEMATIC_BREAK, URL, ends_with_question_mark, introduces, is_blank,
                   is_link_only, is_question_like, labels_answer, link_free, link_text, repeated_labels, strip_list_marker)


@dataclass
class CleanState:
    file: str
    kind: str
    base_dir: str
    lines: list[SourceLine]
    dropped: dict[int, str] = field(default_factory=dict)
    rewrites: Counter = field(default_factory=Counter)
    protected: set[int] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    title: str = ""  # the document's own title, from its front matter
    closed_answers: list[int] = field(default_factory=list)  # lines that close a <details> answer ("答案")

    _live: list[int] | None = None

    def live(self) -> list[int]:
        """Indices of lines still kept, not blank, not inside code."""
        if self._live is None:
            self._live = [i for i, ln in enumerate(self.lines)
                          if i not in self.dropped and i not in self.protected and not is_blank(ln.text)]
        return self._live

    def drop(self, index: int, rule: str) -> None:
        if index not in self.dropped:
            self.dropped[index] = rule
            self._live = None

    def rewrite(self, index: int, text: str, rule: str) -> None:
        if text != self.lines[index].text:
            self.lines[index] = SourceLine(self.lines[index].number, text)
            self.rewrites[rule] += 1
            self._live = None


Rule = Callable[[CleanState], None]

_MATH_OR_CODE = re.compile(r"(\$\$.*?\$\$|\$[^$\n]+\$|`[^`]*`)")


_CODE_SPAN = re.compile(r"(`[^`\n]*`)")


def _outside(text: str, change: Callable[[str], str], spans: re.Pattern = _MATH_OR_CODE) -> str:
    """`text` with `change` applied to its parts outside `spans` (math and code spans)."""
    parts = spans.split(text)
    return "".join(p if k % 2 else change(p) for k, p in enumerate(parts))

_FENCE = re.compile(r"^\s*(```|~~~)")


# Python-Markdown's admonition ("!!! note \"…\"") and pymdownx.details' collapsible block
# ("??? question \"…\"", "???+ …"), as MkDocs sites write them: a type, an optional quoted title,
# and a body indented by four spaces under it
_ADMONITION = re.compile(r"^(?P<indent> {0,3})(?:!!!|\?\?\?\+?)(?:[ \t]++(?P<kind>[\w-]++))?"
                         r"(?:[ \t]++\"(?P<title>[^\"\n]*+)\")?[ \t]*+$")


_QUESTION_KINDS = {"question", "help", "faq"}  # Material for MkDocs' question type and its aliases
# pymdownx.tabbed's content tab ('=== "Answer"'), its body indented by four spaces under it
_TAB = re.compile(r"^(?P<indent> {0,3})===[!+]?[ \t]++\"(?P<title>[^\"\n]*+)\"[ \t]*+$")


def _indent(text: str) -> int:
    return len(text.expandtabs(4)) - len(text.expandtabs(4).lstrip(" "))


# the Hugging Face course's quiz component in MDX: "<Question" … "choices={[{text: …, explain: …,
# correct: true}, …]}" … "/>", its array a JavaScript literal (read by json5)
_QUIZ_OPEN = re.compile(r"^\s*+<Question\b")
_QUIZ_CHOICES = re.compile(r"choices=\{(\[.*\])\}", re.S)
_MAX_COMPONENT = 400  # lines a quiz component may run over before it is taken for text
# an explanation that only acknowledges the pick ("正确！", "Correct!"): the key says as much
_ACKNOWLEDGEMENT = re.compile(r"(?:(?:回答)?(?:正确|没错|对)|(?:that'?s\s+)?(?:correct|right)|yes|exactly|well done)[!！。.]*", re.I)


def mdx_quiz(state: CleanState) -> None:
    """In Markdown (MDX), a quiz component (`<Question choices={[…]} />`) becomes what its page
    shows: the options lettered A, B, C …, then `答案：` with the right ones and `解析：` with
    their explanations (not one that only acknowledges the pick, "正确！"), on the component's
    first lines; its other lines are dropped as `mdx_quiz`. A component whose array does not parse, or that does not end within
    `_MAX_COMPONENT` lines, is left as it is."""
    if state.kind != "markdown":
        return
    k = 0
    while k < len(state.lines):
        if not _QUIZ_OPEN.match(state.lines[k].text):
            k += 1
            continue
        end = next((j for j in range(k, min(len(state.lines), k + _MAX_COMPONENT))
                    if state.lines[j].text.rstrip().endswith("/>")), None)
        if end is None:
            k += 1  # no end within reach: this one is text, later components are still read
            continue
        found = _QUIZ_CHOICES.search("\n".join(ln.text for ln in state.lines[k:end + 1]))
        try:
            choices = json5.loads(found.group(1)) if found else None
        except ValueError:
            choices = None
        if not (isinstance(choices, list) and choices and all(isinstance(c, dict) and "text" in c for c in choices)):
            k = end + 1
            continue
        letters = [chr(ord("A") + n) for n in range(len(choices))]
        # (a JavaScript string may hold an HTML entity, "&#60;mask>": the page shows "<mask>")
        shown = [f"{letter}. {html.unescape(str(c['text'])).strip()}" for letter, c in zip(letters, choices, strict=False)]
        right = [(letter, c) for letter, c in zip(letters, choices, strict=False) if c.get("correct") is True]
        if right:
            shown.append("答案：" + "、".join(letter for letter, _ in right))
            explained = " ".join(why for _, c in right if (why := html.unescape(str(c.get("explain", ""))).strip())
                                 and not _ACKNOWLEDGEMENT.fullmatch(why))
            if explained:
                shown.append(f"解析：{explained}")
        if len(shown) > end - k + 1:
            k = end + 1
            continue
        for n, j in enumerate(range(k, end + 1)):
            if n < len(shown):
                state.rewrite(j, shown[n], "mdx_quiz")
            else:
                state.drop(j, "mdx_quiz")
        k = end + 1


def admonitions(state: CleanState) -> None:
    """In Markdown, an admonition or collapsible block (MkDocs: `??? question "Why …?"`, its
    body indented by four spaces) is a titled section: the title of a question block becomes
    a level-6 heading (what a reader sees over the block), any other's a bold label ("**Note**"),
    and the body loses the four spaces that would make it code in CommonMark. A content tab
    (pymdownx.tabbed: `=== "Answer"`) is one too, its title a bold label, or nothing over a
    heading. A nested block is met again, one level out, further down."""
    if state.kind != "markdown":
        return
    for i, ln in enumerate(state.lines):
        m = _ADMONITION.match(ln.text) or _TAB.match(ln.text)
        if m is None:
            continue
        body = len(m.group("indent")) + 4
        if m.re is _TAB:
            # a tab's title labels its text ("**Answer**"); over a heading it repeats what the heading says
            below = next((t.text for t in state.lines[i + 1:] if t.text.strip()), "")
            heading = _indent(below) >= body and below.lstrip().startswith("#")
            line = "" if heading or not m.group("title").strip() else f"**{m.group('title').strip()}**"
        else:
            title = m.group("title") if m.group("title") is not None else (m.group("kind") or "").capitalize()
            # a question block's title is what it asks; a note's, a tip's… only label its text
            line = f"###### {title}" if (m.group("kind") or "").lower() in _QUESTION_KINDS else f"**{title.strip()}**"
            line = line if title.strip() else ""
        state.rewrite(i, m.group("indent") + line if line else "", "admonitions")
        for k in range(i + 1, len(state.lines)):
            text = state.lines[k].text
            if text.strip() and _indent(text) < body:
                break
            if text.strip():
                state.rewrite(k, text.expandtabs(4)[4:], "admonitions")


# Pandoc's fenced divs (`::: solution`, `:::: {.challenge}` … `:::`: the Carpentries Workbench, Quarto,
# R Markdown): an opener names its class, a bare fence closes the innermost div
# (VitePress and Docusaurus containers too: `::: tip 提示`, `:::note[Title]`, `::: details 为什么…？`)
_DIV_FENCE = re.compile(r"^ {0,3}:{3,}[ \t]*+(?:\{[ \t]*+\.?(?P<attr>[\w-]++)[^{}\n]*+\}|(?P<name>[\w-]++)"
                        r"(?:\[(?P<bracketed>[^\]\n]*+)\]|[ \t]++(?P<title>[^\n]*+))?)?$")  # (the title greedy: a lazy one before spaces was quadratic)
_EXERCISE_DIVS = frozenset({"challenge", "exercise", "question", "problem", "quiz"})
_SOLUTION_DIVS = frozenset({"solution", "solutions", "answer", "answers"})
# an ATX heading line, its text in the group (closing hashes and spaces still on it: rstrip them;
# a lazy text before an anchored trailing run was quadratic in a run of spaces)
_HEADING_LINE = re.compile(r"^ {0,3}#{1,6}(?:[ \t]++([^\n]*+))?$")
_SOLUTION_TITLE = re.compile(r"^(?:solutions?|answers?|答案|解答|参考答案|解析)[ \t]*+[:：]?$", re.I)


def fenced_divs(state: CleanState) -> None:
    """Pandoc fenced divs in Markdown (`:::: challenge` / `## 标题` / … / `::: solution` / `## Solution`
    / … / `:::` / `::::`). The fences leave the text (`fenced_div`). A solution div opens with
    the answer label `**Solution:**`, its own heading that only says so leaving too, so the
    exercise above it is the question and the div its answer; an exercise's headings title the
    box, not a section of the page, so they stand at the deepest level, and the end of the box
    closes it as the end of a `<details>` does (an empty heading). Headings inside
    other divs (an instructor's note `## BREAK`, a callout) become bold lines: they title a
    note, not a section of the page, and must not become the topic of what follows. The same
    syntax makes VitePress and Docusaurus containers: a note's title (`::: tip 提示`) becomes a
    bold label, a `::: details` titled by a question is that question (as a `<summary>` is),
    one titled by an answer label (`::: details 查看答案`) or untitled is the answer above it."""
    if state.kind != "markdown":
        return
    open_divs: list[str] = []
    for i in state.live():
        if i in state.protected:
            continue
        text = state.lines[i].text
        fence = _DIV_FENCE.match(text)
        if fence is None:
            heading = _HEADING_LINE.match(text) if open_divs else None
            if heading is None:
                continue
            words = (heading.group(1) or "").rstrip(" \t#")
            if open_divs[-1] in _EXERCISE_DIVS:
                # the box's title, whatever its level: past the box the page's own section goes on
                state.rewrite(i, f"###### {words}", "fenced_div")
            elif open_divs[-1] in _SOLUTION_DIVS and _SOLUTION_TITLE.match(words.strip(" *_")):
                state.drop(i, "fenced_div")  # "## Solution" under the label it repeats
            else:
                state.rewrite(i, f"**{words.strip(' *_')}**", "fenced_div")
            continue
        name = (fence.group("attr") or fence.group("name") or "").lower()
        title = (fence.group("bracketed") or fence.group("title") or "").strip()
        if name:
            if name == "details" and title and not labels_answer(title):
                name = "exercise"  # a collapsible titled by what it asks, as a <summary> is
                state.rewrite(i, f"###### {title}", "fenced_div")
            elif name in _SOLUTION_DIVS or name == "details":
                state.rewrite(i, "**Solution:**", "fenced_div")  # ("::: details 查看答案": its body answers)
                name = "solution"
            elif title:
                state.rewrite(i, f"**{title}**", "fenced_div")  # a note's title labels it
            else:
                state.drop(i, "fenced_div")
            open_divs.append(name)
        elif open_divs and open_divs.pop() in _EXERCISE_DIVS:
            state.rewrite(i, "######", "fenced_div")  # closes the exercise's question
        else:
            state.drop(i, "fenced_div")


def protect_code(state: CleanState) -> None:
    """Mark code blocks and display math over several lines ($$ … $$) so that no other rule
    touches them: in Markdown as markdown-it-py parses them (fenced and indented code; a
    fence left open in a list item ends with the item, as CommonMark says), in a text copy
    the fenced blocks (``` or ~~~) it may hold."""
    if state.kind == "markdown":
        state.protected.update(code_lines([ln.text for ln in state.lines]))
    inside = None
    dollars = 0  # `$$` seen so far: after an odd count, a lone `$$` closes math opened in a paragraph
    for i, ln in enumerate(state.lines):
        stripped = ln.text.strip()
        dollars += stripped.count("$$")
        if inside is None and stripped.startswith("$$") and stripped.count("$$") == 1 and dollars % 2:
            inside = "$$"
            state.protected.add(i)
            continue
        if inside == "$$":
            state.protected.add(i)
            if "$$" in stripped:
                inside = None
            continue
        # in Markdown the parser knows where a fence ends (with its list item, if unclosed)
        m = _FENCE.match(ln.text) if state.kind != "markdown" else None
        if inside is None and m:
            inside = m.group(1)
            state.protected.add(i)
        elif inside is not None:
            state.protected.add(i)
            if ln.text.strip().startswith(inside):
                inside = None


def script_blocks(state: CleanState) -> None:
    """In Markdown, a <script> or <style> block (a page's interactive quiz data, its styles)
    is a program, not text: its lines are dropped as `script`."""
    if state.kind == "markdown":
        for i in script_lines([ln.text for ln in state.lines]):
            state.drop(i, "script")


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\x00\u00ad"), None)
# a line that opens with an invisible character, or with a space that is no space or tab to
# CommonMark (NBSP, an ideographic space, `&nbsp;`), is a paragraph in Markdown however many
# more follow it ("\u200b\t\t在前馈网络中…", "&nbsp;&nbsp;&nbsp;&nbsp;考察…", "　　第二段"): turned
# into spaces they would make it code
_SPACE_ENTITY = re.compile(r"&(nbsp|ensp|emsp|thinsp|#x0*20|#0*32|#x0*a0|#0*160);", re.I)
_SHIELD_STARTS = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00a0\u3000\u2002\u2003\u2009\u202f&")  # (a cheap test first)
_SHIELDED_INDENT = re.compile(r"^( {0,3})(?:[\u200b\u200c\u200d\u2060\ufeff\u00a0\u3000\u2002\u2003\u2009\u202f]|"
                              + _SPACE_ENTITY.pattern + r")(?:[ \t\u200b\u200c\u200d\u2060\ufeff\u00a0\u3000\u2002\u2003"
                              r"\u2009\u202f]|" + _SPACE_ENTITY.pattern + r")*+", re.I)
_RADICAL = re.compile(r"[\u2e80-\u2ef3\u2f00-\u2fd5]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACE_LIKE = str.maketrans({"\u00a0": " ", "\u3000": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ",
                             "\u202f": " ", "\t": "    "})


def invisible_chars(state: CleanState) -> None:
    """Zero-width characters, soft hyphens and control characters (NUL, C0 and C1 but the line
    break) go; NBSP, wide spaces and whitespace entities (`&#x20;`, `&nbsp;`) become spaces, a
    tab four spaces (CommonMark's tab stop); Kangxi radicals that look like ideographs
    (⽤, ⼀) become those ideographs. A line that held nothing else is dropped as `nbsp_only`.
    The spaces after an invisible character that opens a line outside code go with it: they
    were no indentation."""
    for i, ln in enumerate(state.lines):
        # (the spaces before the character stay: they place the line in its list item)
        shielded = i not in state.protected and ln.text.lstrip(" ")[:1] in _SHIELD_STARTS
        text = _SHIELDED_INDENT.sub(r"\1", ln.text) if shielded else ln.text
        text = _CONTROL.sub("", text.translate(_INVISIBLE).translate(_SPACE_LIKE))
        text = _SPACE_ENTITY.sub(" ", text)
        if _RADICAL.search(text):
            text = _RADICAL.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)
        if not is_blank(ln.text) and is_blank(text):
            state.drop(i, "nbsp_only")
        state.rewrite(i, text, "invisible_chars")


# the one key read from front matter, a plain scalar (quoted or not); no YAML is loaded
_FRONT_TITLE = re.compile(r"""^title:[ \t]*+(?:"([^"\n]*)"|'([^'\n]*)'|([^\n#]*?))[ \t]*+$""")


def front_matter(state: CleanState) -> None:
    """YAML front matter (--- … --- at the top of a Markdown file) is metadata, not content;
    its `title:` is the document's title (a Jekyll or Hugo post's)."""
    if state.kind != "markdown" or not state.lines or state.lines[0].text.strip() != "---":
        return
    for end in range(1, min(len(state.lines), 60)):
        if state.lines[end].text.strip() in {"---", "..."}:
            for i in range(end + 1):
                state.drop(i, "front_matter")
                if (m := _FRONT_TITLE.match(state.lines[i].text.rstrip())) and not state.title:
                    state.title = next(g for g in m.groups() if g is not None).strip()
            return


_COMMENT_OPEN, _COMMENT_CLOSE = "<!--", "-->"


def _without_comments(text: str) -> str:
    """`text` without its closed comments: what `re.sub("<!--.*?-->", "", text)` gives, in
    one pass (the regex scanned to the end of the line again from every unclosed `<!--`)."""
    kept, pos = [], 0
    while (start := text.find(_COMMENT_OPEN, pos)) != -1 and (end := text.find(_COMMENT_CLOSE, start + 4)) != -1:
        kept.append(text[pos:start])
        pos = end + len(_COMMENT_CLOSE)
    return "".join(kept) + text[pos:]


# kramdown's attribute list on a line of its own (`{:.warning}`, `{: #id .class}`): markup for the block above
_ATTRIBUTE_LIST = re.compile(r"^\s*+\{:\s*+(?:[.#][\w-]++|[\w-]++=(?:\"[^\"]*+\"|'[^']*+'|\S++))(?:\s++(?:[.#][\w-]++|[\w-]++=(?:\"[^\"]*+\"|'[^']*+'|\S++)))*+\s*+\}\s*+$")


# pandoc's and kramdown's attributes after a heading (`### Why? {#why}`) or right after an image or
# a link (`![…](a.png){#fig:loss width=50%}`), and a heading's permalink (`[🔗](#why)`, `[¶](#why)`)
# (and a doc-builder's anchor after a heading, "# 小测试 [[小测试]]", as the Hugging Face docs write it)
_HEADING_ATTRIBUTES = re.compile(r"(?<=\S)[ \t]*+(?:\{:?[ \t]*+[.#][^{}\n]{0,80}\}|\[\[[^\[\]\n]{1,80}\]\])[ \t]*+$")
_LINK_ATTRIBUTES = re.compile(r"(?<=\))\{:?[ \t]*+[.#][^{}\n]{0,80}\}")
_PERMALINK = re.compile(r"(?<![ \t])[ \t]*+\[(?:¶|#|§|🔗|:link:)\]\(#[^()\s]*+\)[ \t]*+$")
_HEADING_START = re.compile(r"^ {0,3}#{1,6}[ \t]")


_DEFINITION_START = re.compile(r"^ {0,3}\[[^\]\n]++\]:")  # a cheap test before a parse
# a reference link, full or collapsed ("[text][label]", "[text][]"); then a shortcut one
# ("[label]") not followed by what would make it another construct; an image so written opens
# with "!" (group 1)
_FULL_REFERENCE = re.compile(r"(!?)\[((?:[^\[\]\n]|\[[^\[\]\n]*+\])*+)\]\[([^\[\]\n]*+)\]")
_SHORTCUT_REFERENCE = re.compile(r"(?<!\])(!?)\[([^\[\]\n]++)\](?![\[(:])")


def reference_links(state: CleanState) -> None:
    """In Markdown, reference links (`[text][label]`, `[text][]`, `[label]`, CommonMark 6.3)
    whose label the document defines (`[label]: https://…`) become inline links
    (`[text](https://…)`): a card carries its own links, and its front shows a link's text.
    The definitions, whose addresses now stand in the links, are dropped as `link_definition`;
    a label the document does not define stays as written, as CommonMark shows it. Images so
    written (`![alt][label]`) and their definitions stay: the export resolves them, and shows
    a missing one by name."""
    if state.kind != "markdown" or not any(_DEFINITION_START.match(ln.text) for ln in state.lines):
        return
    defined = link_definitions(["" if i in state.dropped else ln.text for i, ln in enumerate(state.lines)])
    if not defined:
        return
    used_by_images: set[str] = set()

    def inline(m: re.Match, label: str) -> str:
        key = normalizeReference(label)
        if m.group(1):
            used_by_images.add(key)
            return m.group(0)
        return f"[{m.group(2)}]({defined[key].href})" if key in defined else m.group(0)

    def resolve(part: str) -> str:
        part = _FULL_REFERENCE.sub(lambda m: inline(m, m.group(3) or m.group(2)), part)
        return _SHORTCUT_REFERENCE.sub(lambda m: inline(m, m.group(2)), part)

    for i in state.live():
        if "[" in (text := state.lines[i].text) and not _DEFINITION_START.match(text):
            state.rewrite(i, _outside(text, resolve, _CODE_SPAN), "reference_links")
    for label, definition in defined.items():
        if label not in used_by_images:
            for i in range(definition.first, definition.last + 1):
                state.drop(i, "link_definition")


def attribute_lists(state: CleanState) -> None:
    """In Markdown, a kramdown attribute list alone on its line (`{:.warning}` under a label,
    as Jekyll pages write it) styles the block above and shows nothing: dropped as
    `attribute_list`. Attributes after a heading or right after an image or a link (`{#why}`,
    `{#fig:a width=50%}`) and a heading's permalink (`[🔗](#why)`) are markup too: they leave
    the line."""
    if state.kind != "markdown":
        return
    for i in state.live():
        text = state.lines[i].text
        if _ATTRIBUTE_LIST.match(text):
            state.drop(i, "attribute_list")
            continue
        kept = _LINK_ATTRIBUTES.sub("", text) if "){" in text else text
        if _HEADING_START.match(kept):
            kept = _PERMALINK.sub("", _HEADING_ATTRIBUTES.sub("", kept))
        state.rewrite(i, kept, "attribute_list")


# GitHub's alerts and Obsidian's callouts: "> [!WARNING]", "> [!note]- Title"
_CALLOUT = re.compile(r"^(\s*+(?:>\s*+)++)\[!([A-Za-z]++)\][+-]?[ \t]*+(.*)$")


def callouts(state: CleanState) -> None:
    """In Markdown, a callout's marker line (`> [!WARNING] 待深入`) is its title, as GitHub and
    Obsidian show it: the type, or the title written after it, in bold inside the quote."""
    if state.kind != "markdown":
        return
    for i in state.live():
        if m := _CALLOUT.match(state.lines[i].text):
            title = m.group(3).strip() or m.group(2).capitalize()
            state.rewrite(i, f"{m.group(1)}{title if '**' in title else f'**{title}**'}", "callouts")


def html_comment(state: CleanState) -> None:
    """HTML comments (<!-- … -->, also over several lines) never reach a card."""
    inside = False
    for i, ln in enumerate(state.lines):
        if i in state.protected:
            continue
        text = ln.text
        if inside:
            state.drop(i, "html_comment")
            inside = _COMMENT_CLOSE not in text
            continue
        if _COMMENT_OPEN in text:
            stripped = _without_comments(text)
            if _COMMENT_CLOSE not in text.split(_COMMENT_OPEN, 1)[1]:
                inside = True
                stripped = text.split(_COMMENT_OPEN, 1)[0]
            if not stripped.strip():
                state.drop(i, "html_comment")
            else:
                state.rewrite(i, stripped, "html_comment")


# a heading element on its own line; a page that forgot its closing tag still means one
# a heading element is a heading inside emphasis too ("**<h2>…</h2>**")
_HTML_HEADING = re.compile(r"^\s*(?:[*_]{1,3})?<h([1-6])\b[^>]*>((?:(?!</h\1>).)*?)(?:</h\1>)?(?:[*_]{1,3})?\s*$", re.I)
# Possessive quantifiers (*+, ++) here and below: where two runs of spaces (or a run and a
# class that takes spaces too) stood side by side, a long run that did not match made the
# regex engine try every split of it (quadratic or worse on one line of spaces).
_HTML_SUMMARY = re.compile(r"^\s*+(?:<details\b[^>]*+>\s*+)?(?:<b>\s*+)?<summary\b[^>]*+>(.*?)</summary>\s*+(?:</b>\s*+)?$",
                           re.I)
# the elements scraped Markdown carries; anything else in angle brackets ("<pad>", "x<b 且 y>a") is text
HTML_ELEMENTS = ("a|abbr|article|aside|audio|b|big|blockquote|body|br|button|caption|center|cite|code|col|colgroup|"
                 "dd|del|details|dfn|div|dl|dt|em|embed|figcaption|figure|font|footer|form|h[1-6]|head|header|hr|"
                 "html|i|iframe|img|input|ins|kbd|label|li|link|main|mark|meta|nav|nobr|object|ol|option|p|"
                 "picture|pre|q|s|samp|script|section|select|small|source|span|strike|strong|style|sub|summary|"
                 "sup|svg|table|tbody|td|textarea|tfoot|th|thead|title|tr|tt|u|ul|var|video|wbr")
# attributes must be ASCII name[=value] pairs; possessive repeats keep a run of spaces linear
_HTML_TAG = re.compile(r"</?(?:" + HTML_ELEMENTS + r")(?:\s++[A-Za-z_:@][-\w:.@]*+(?:\s*+=\s*+(?:\"[^\"]*+\"|'[^']*+'|"
                       r"[^\s\"'=<>`]++))?+)*+\s*+/?>", re.I)
_INLINE_BOLD = re.compile(r"</?(b|strong)>", re.I)
# a line that is one run of coloured text alone ("<font color=DeepSkyBlue>BN的公式</font>"): a page's
# styled title, shown set off as bold is
_STYLED_LINE = re.compile(r"^\s*+<font\b[^<>]*+>([^<>\n]++)</font>\s*+$", re.I)  # (no lazy run: linear)
_BR = re.compile(r"<br\s*/?>", re.I)
# an <img> tag, then its last src attribute: one regex for both backtracked over the whole
# rest of the line from every "<img" of a line without ">"
# (a quoted attribute may hold ">": a formula image's address, `…y^{<t>}`)
_IMG_TAG = re.compile(r"<img\b(?:[^>\"']++|\"[^\"]*+\"|'[^']*+')*+>", re.I)
_IMG_SRC = re.compile(r"\bsrc\s*+=\s*+(?:\"([^\"]*+)\"|'([^']*+)'|([^\"'\s>]++))", re.I)


def _image_link(tag: re.Match) -> str:
    sources = ["".join(m.groups("")) for m in _IMG_SRC.finditer(tag.group(0))]
    return f"![]({sources[-1]})" if sources else tag.group(0)


# an <a href> with its text on the same line ("<a href="./notes.md#x">笔记</a>"): a Markdown link, so
# that an answer of nothing but links is seen to be one
_ANCHOR = re.compile(r"<a\b[^>]*?\bhref\s*+=\s*+(?:\"([^\"<>]*+)\"|'([^'<>]*+)')[^>]*+>([^<>\n]*+)</a>", re.I)


def _anchor_link(tag: re.Match) -> str:
    address, text = tag.group(1) or tag.group(2) or "", tag.group(3).strip()
    return f"[{text}]({address})" if address and text and not address.startswith("#") else tag.group(3)


def _strip_tags(text: str) -> str:
    # a tag needs a closing ">": the part after the last one is left alone, so that "<img"
    # after "<img" with no ">" is not scanned to the end of the line each time
    end = text.rfind(">") + 1
    text = _ANCHOR.sub(_anchor_link, _IMG_TAG.sub(_image_link, text[:end])) + text[end:]
    text = _BR.sub(" ", text)
    text = _INLINE_BOLD.sub("**", text)
    return _HTML_TAG.sub("", text)


_SUMMARY = re.compile(r"<summary\b[^>]*+>((?:(?!</?summary\b).)*+)</summary>", re.I)  # one on a line
_SUMMARY_OPEN = re.compile(r"^\s*+(?:<details\b[^>]*+>\s*+)?<summary\b[^>]*+>\s*+$", re.I)  # its text on the lines below
_SUMMARY_CLOSE = re.compile(r"^\s*+</summary>", re.I)
_DETAILS_CLOSE = re.compile(r"^\s*+</details>\s*+$", re.I)
_DETAILS_END = re.compile(r"</details>\s*+$", re.I)


def inline_html(state: CleanState) -> None:
    """Raw HTML inside Markdown: headings become Markdown headings, <img> an image link,
    other tags are removed; a line that held only tags is dropped as `html_tag`. A
    `<summary>` that asks becomes a heading (also when written over several lines), and the
    end of its `<details>` an empty heading that closes its answer; a summary that only
    labels the answer (答案) leaves the text, dropped as `summary_label`."""
    if state.kind == "html":
        return
    summary_open = False  # inside a <summary> written over several lines: its text is a heading
    asked = False  # the open <details> block's summary became a heading
    labelled = False  # the open <details> block's summary only labels the answer in it
    repeated = repeated_labels([m.group(1) for i in state.live() for m in _SUMMARY.finditer(state.lines[i].text)])

    def unlabelled(summary: re.Match) -> str:
        return "" if labels_answer(summary.group(1), repeated) else summary.group(0)

    for i in state.live():
        text = state.lines[i].text
        if summary_open and "<" not in text:
            if labels_answer(text, repeated):
                state.drop(i, "summary_label")  # "答案" over a <details> body: the body is the answer
                labelled = True
            else:
                state.rewrite(i, "###### " + text.strip(), "inline_html")
                asked = True
            continue
        if "<" not in text:
            continue
        if _SUMMARY_OPEN.match(text):
            summary_open = True
        elif _SUMMARY_CLOSE.match(text):
            summary_open = False
        # <details><summary>答案</summary>…: the summary labels the answer that follows, it is no heading
        unlabelled_text = _SUMMARY.sub(unlabelled, text)
        opens = unlabelled_text != text
        if (labelled or opens) and _DETAILS_END.search(text):
            state.closed_answers.append(i)  # the answer ends here: what follows is the page's (see end_matter)
            labelled = False
        else:
            labelled = labelled or opens
        text = unlabelled_text
        if (styled := _STYLED_LINE.match(text)) and styled.group(1).strip():
            text = f"<b>{styled.group(1).strip()}</b>"
        heading = _HTML_HEADING.match(text) or None
        summary = _HTML_SUMMARY.match(text)
        if heading:
            new = "#" * int(heading.group(1)) + " " + _HTML_TAG.sub("", heading.group(2)).strip()
        elif summary:
            new = "###### " + _HTML_TAG.sub("", summary.group(1)).strip()
            asked = asked or bool(summary.group(1).strip())
        else:
            new = _outside(text, _strip_tags)
        if asked and _DETAILS_CLOSE.match(text):
            state.rewrite(i, "######", "inline_html")  # closes the question its summary asked
            asked = False
        elif not new.strip() or new.strip() in {"#", "######"}:
            state.drop(i, "html_tag")
        else:
            state.rewrite(i, new, "inline_html")


def setext_headings(state: CleanState) -> None:
    """Markdown setext headings (a line underlined by === or ---) become ATX headings."""
    if state.kind != "markdown":
        return
    for i in range(1, len(state.lines)):
        under = state.lines[i].text.strip()
        above = state.lines[i - 1].text
        if i in state.protected or i - 1 in state.dropped or not above.strip() or above.lstrip().startswith(("#", "-", "*", "|", ">")):
            continue
        # CommonMark 4.3: an underline of any length, a single "-" too; underline and text
        # indented at most 3 spaces (deeper, they stand in a list item's answer: "    ----"
        # there is no heading of the page)
        indented = any(len(t) - len(t.lstrip(" ")) > 3 for t in (state.lines[i].text, above))
        if not indented and (re.fullmatch(r"=+", under) or re.fullmatch(r"-+", under)):
            level = "#" if under[0] == "=" else "##"
            state.rewrite(i - 1, f"{level} {above.strip()}", "setext_headings")
            state.drop(i, "setext_underline")


_TOC_MARKER = re.compile(r"^\s*+(?:#++\s*+)?[*_]*+\s*+(\[toc\]|\[\[toc\]\]|目录|文章目录|本页导航|本页目录|目录导航|"
                         r"table of contents|contents|toc)\s*+[*_:：]*+\s*+$", re.I)


def toc_marker(state: CleanState) -> None:
    """Lines that only announce a table of contents ([TOC], 目录, 文章目录, 本页导航 …)."""
    for i in state.live():
        if _TOC_MARKER.match(state.lines[i].text):
            state.drop(i, "toc")


# a section number in any style: "12.1，", "十二、", "（三）", "3)"; a contents list may number
# its entries in another style than the headings it repeats
_SECTION_NUMBER = re.compile(r"^\s*+[(（]?\s*+(?:\d{1,3}(?:\.\d{1,3})*+|[一二三四五六七八九十]{1,3})\s*+[)）]?\s*+[.．、，,:：]?\s*+")


def _toc_key(text: str) -> str:
    # label and target stop at "[": from each "[" of a line of "[[[…" the scan ends at the next one
    text = re.sub(r"\[([^\[\]]*+)\]\([^)\[]*+\)", r"\1", text)
    text = _SECTION_NUMBER.sub("", re.sub(r"^\s*#+\s*", "", strip_list_marker(text)), count=1)
    return re.sub(r"[\s¶*_`]+", "", text)


_STRUCTURAL = re.compile(r"^\s*(#{1,6}\s|\d{1,3}(\.\d{1,3})*[.、)），]?\s*\S|[一二三四五六七八九十]{1,3}\s*[、，,.．]|\*\*|__)")
_ANCHOR_LINK = re.compile(r"^\s*([-*+•]\s+|\d+[.)]\s+)?\[[^\]]+\]\(#[^)]*\)\s*$")


def _first_after(indices: list[int], position: int) -> int | None:
    k = bisect_right(indices, position)
    return indices[k] if k < len(indices) else None


def toc_block(state: CleanState) -> None:
    """A run of three or more lines that repeat headings or questions found later in the
    document (or that only link to anchors in it) is a table of contents."""
    live = state.live()
    keys = {i: _toc_key(state.lines[i].text) for i in live}
    later: dict[str, list[int]] = {}
    for i in live:
        later.setdefault(keys[i], []).append(i)
    last_of = {key: indices[-1] for key, indices in later.items()}
    runs: list[list[int]] = []
    for i in live:
        text = state.lines[i].text
        anchor = bool(_ANCHOR_LINK.match(text))
        repeated = len(text.strip()) <= 100 and keys[i] and last_of[keys[i]] > i + 1
        if not (anchor or repeated):
            continue
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        elif runs and all(is_blank(state.lines[k].text) for k in range(runs[-1][-1] + 1, i)) and anchor:
            runs[-1].append(i)
        else:
            runs.append([i])
    for run in runs:
        if len(run) < 3:
            continue
        copies = [_first_after(later[keys[i]], run[-1]) for i in run]
        anchors = sum(bool(_ANCHOR_LINK.match(state.lines[i].text)) for i in run)
        # a contents list points at headings or numbered questions, not at list items
        spread = [c for c in copies if c is not None and _STRUCTURAL.match(state.lines[c].text)]
        # the copies of a TOC are spread over the document, never a second run of the same lines
        if anchors >= len(run) * 0.6 or (len(spread) == len(run) and all(b - a > 1 for a, b in zip(spread, spread[1:], strict=False))):
            for i in run:
                state.drop(i, "toc")


def _is_chrome_line(text: str) -> bool:
    return bool(CHROME_MARKER.search(text))


_NUMBERED_START = re.compile(r"^\s*(#{1,6}\s|\d+(\.\d+)*([.．)]?\s|、)|Q\d*[:：.]|问[:：])")


_LIST_ITEM = re.compile(r"^\s*+(?:[-*+•]|\d{1,3}[.)、])\s")


def page_footer(state: CleanState) -> None:
    """The trailing block of site chrome: comment box, tip jar, share/like bar, prev/next
    links, related posts, copyright. Found from the end of the document: short lines and
    lines with chrome words, at least two of them chrome, starting at a chrome line."""
    live = state.live()
    start = len(live)
    for pos in range(len(live) - 1, -1, -1):
        text = state.lines[live[pos]].text.strip()
        if text.startswith("#") and ends_with_question_mark(text):
            break  # a footer holds no asking heading: the text from here on is questions
        if _is_chrome_line(text) or (len(text) <= 40 and not _NUMBERED_START.match(text)):
            start = pos
            continue
        break
    first = next((pos for pos in range(start, len(live)) if _is_chrome_line(state.lines[live[pos]].text)), len(live))
    # nor does it begin inside a list that began above it: "包括：" / "- 阅读理解" ends an answer
    while 0 < first < len(live) and _LIST_ITEM.match(state.lines[live[first]].text) and (
            _LIST_ITEM.match(state.lines[live[first - 1]].text)
            or introduces(state.lines[live[first - 1]].text)):
        first += 1
    region = live[first:]
    # the list under a content heading ("### 总结" / "- 分类任务：主要关注 F1、AUC") is its
    # section, whatever words it holds
    heading = state.lines[live[first - 1]].text if 0 < first <= len(live) else ""
    if (heading.lstrip().startswith("#") and not _is_chrome_line(heading)
            and all(_LIST_ITEM.match(state.lines[i].text) for i in region)):
        return
    marked = sum(_is_chrome_line(state.lines[i].text) for i in region)
    # one closing line can carry the whole footer: "欢迎点赞收藏关注！"
    dense = len(region) == 1 and len({m.group(0) for m in CHROME_MARKER.finditer(state.lines[region[0]].text)}) >= 2
    if (marked >= 2 and marked >= 0.4 * len(region)) or dense:
        for i in region:
            state.drop(i, "page_footer")


_REPEATED_REST = 80  # characters beside its links that a repeated banner line holds at most
_OPENING_LINES = 20  # lines of a page's opening, at most


def repeated_footer(state: CleanState) -> None:
    """The page's closing run of lines that repeat its opening's links or images (a banner and an
    "all answers here" link above the first question, again after the last answer): every line
    of the run blank or carrying only addresses the opening holds, beside a short text. Found
    by position and repetition, not by words; dropped as `page_footer`."""
    live = state.live()
    opening: set[str] = set()
    # (a page's opening: its first lines, a third of it at most, up to its first heading, numbered
    # item or bold line below the title)
    end = 0
    for k, i in enumerate(live[:min(_OPENING_LINES, len(live) // 3)]):
        text = state.lines[i].text.strip()
        if k and (_NUMBERED_START.match(text) or text.startswith(("**", "__"))) and not URL.search(text):
            break
        opening.update(URL.findall(text))
        end = k + 1
    if not opening:
        return
    run: list[int] = []
    repeated = 0
    for i in reversed(live[end:]):
        text = state.lines[i].text.strip()
        addresses = URL.findall(text)
        if addresses and all(a in opening for a in addresses) and len(link_free(text)) <= _REPEATED_REST:
            repeated += 1
        elif text and not _HTML_TAG.sub("", text).strip():
            pass  # markup alone ("<br>", "</p>")
        elif text:
            break
        run.append(i)
    if repeated:
        for i in run:
            state.drop(i, "page_footer")


_END_MATTER_LINES = 3  # lines of a closing remark after the last thematic break
_END_MATTER_CHARS = 300
_SIGNATURE_LINES = 8
_SIGNATURE_LEAD = 2  # lines of prose a signature may open with
_LINKS_LABEL = 16  # characters of the label over a closing list of links
_IMAGE_ONLY = re.compile(r"^(?:!\[[^\]\n]*+\]\([^)\n]*+\)|<img\b[^>\n]*+>)$", re.I)
# a field of a signature: a short name and a value that is no sentence ("**作者：小徐**", "邮箱：a@b.c")
_FIELD = re.compile(r"^(?:\*\*|__)?[^\s*_:：，。,]{1,8}[:：]\s*+[^\n。，；,;!?！？]{1,40}?(?:\*\*|__)?$")
_TRAILING_PICTOGRAPHS = re.compile(r"(?<![\U0001F000-\U0001FAFF\u2600-\u27BF\ufe0f\s])"  # one start per run
                                   r"[\U0001F000-\U0001FAFF\u2600-\u27BF\ufe0f\s]++(?=(?:\*\*|__)\s*+$)")
_BOLD_TITLE = re.compile(r"^(?:\*\*|__)[^*_\n]{1,30}(?:\*\*|__)$")
# a bold label is structure, a bold sentence ("**Go build the future!**") prose; list items: _LIST_ITEM
_STRUCTURE = re.compile(r"^\s*+(?:#{1,6}\s|\||>|```|~~~|\*\*.*(?<![.。!！])\*\*[:：]?\s*$|<)")


def _closing(texts: list[str]) -> bool:
    """Whether the lines of a page's last section after a thematic break are end matter: at
    most three short lines of plain prose, none asking, none a heading, list item, table row,
    quote, code or bold label; or a signature, a few short field lines ("**作者：…**", "博客：…")
    and bold titles, after at most two such prose lines ("读到这了，点个赞吧~"); or a list of links
    to other pages under at most one short label ("【往期文章】", "Related posts:")."""
    if not texts:
        return True
    # (a link's text may wrap over two lines: the list is read as a whole)
    listed = texts[1:] if len(texts[0]) <= _LINKS_LABEL and not is_link_only(texts[0]) else texts
    if len(listed) >= 2 and is_link_only("\n".join(listed)):
        return True
    if sum(map(len, texts)) > _END_MATTER_CHARS or any(map(is_question_like, texts)):
        return False
    # (a pictograph after a bold sentence's end, "**Good luck! 🍀**", leaves it a sentence)
    prose = [t for t in texts if not (_STRUCTURE.match(_TRAILING_PICTOGRAPHS.sub("", t)) or _LIST_ITEM.match(t))]
    if len(texts) <= _END_MATTER_LINES and len(prose) == len(texts):
        return True
    # a signature: a title and fields ("**作者：…**", "**版本：v1.0**"), bold or not
    def field(text: str) -> bool:
        return bool(_FIELD.match(text) or _FIELD.match(link_text(text)))  # "知乎：[名字](…)"

    lead = 0
    while lead < min(_SIGNATURE_LEAD, len(texts)) and not (field(texts[lead]) or _BOLD_TITLE.match(texts[lead])) \
            and texts[lead] in prose:
        lead += 1
    rest = texts[lead:]
    fields = sum(map(field, rest))
    return (len(rest) <= _SIGNATURE_LINES and fields >= 2 and fields * 2 >= len(rest)
            and all(field(t) or _BOLD_TITLE.match(t) for t in rest))


def end_matter(state: CleanState) -> None:
    """Closing remarks after the page's last thematic breaks (see `_closing`: "If this list
    helped you, star it …", a signature, a list of the author's other posts), section by
    section back from the end while each is one; the end of the page's last `<details>`
    answer counts as a break. Found by position, not by words: an answer's own text never
    stands alone after the last rules of the page."""
    live = state.live()
    breaks = [pos for pos, i in enumerate(live) if THEMATIC_BREAK.match(state.lines[i].text)]
    # the end of the last <details> answer ends the page's answers as a break does
    if state.closed_answers and (at := bisect_right(live, state.closed_answers[-1]) - 1) >= 0:
        breaks = sorted({*breaks, at})
    end = len(live)
    for at in reversed(breaks):
        if at == 0:
            return
        region = live[at + 1:end]
        # headings that close the page with nothing under them title nothing ("# No results
        # matching" of a site's search box): they do not make the remark before them structure
        while region and end == len(live) and (_HEADING_LINE.match(state.lines[region[-1]].text)
                                                or not state.lines[region[-1]].text.strip()):
            region = region[:-1]
        # (an image alone, a signature's QR code, says nothing either way)
        if not _closing([text for i in region if (text := state.lines[i].text.strip()) and not _IMAGE_ONLY.match(text)]):
            return
        for i in region:
            state.drop(i, "end_matter")
        end = at


# a record of the page about a question (company, round, date, tags): three or more bold-named
# fields on one line set apart by bars, one of them a date ("> **Company**: X ｜ **Date**: 2025-08-31 ｜ …")
_RECORD_FIELD = re.compile(r"^\s*+(?:\*\*|__)[^*_\n|｜]{1,20}(?:\*\*|__)\s*+[:：]\s*+[^|｜\n]*$|^\s*+(?:\*\*|__)[^*_\n|｜]{1,20}[:：](?:\*\*|__)[^|｜\n]*$")
_DATE = re.compile(r"\b(?:19|20)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2}日?")


_FIELD_NAME = re.compile(r"^\s*+(?:\*\*|__)([^*_\n|｜:：]{1,20})")
_RECORDS = 3  # records under headings with the same field names that make a page's records


def record_lines(state: CleanState) -> None:
    """A line that records facts about the question rather than answering it: three or more
    bold-named fields set apart by `|` or `｜`, one of them a date (an interview log's
    `**Company**: … ｜ **Round**: … ｜ **Date**: 2025-08-31 ｜ **Tags**: […]`); or such a line
    right under a heading, with a number among its values, whose field names stand the same
    right under `_RECORDS` headings or more (an exam's `**Module**: 1 | **Difficulty**: Easy |
    **Source**: MCQ Q1` under each question). A table row opens with its bar; fields with no
    date or number (`**优点**：快 ｜ **缺点**：慢`), or on a line of their own kind, are content."""
    by_names: dict[tuple[str, ...], list[int]] = defaultdict(list)
    previous = None  # the line kept before, blank lines aside
    for i in state.live():
        text = state.lines[i].text.lstrip(" >")
        under_heading = previous is not None and _HEADING_LINE.match(state.lines[previous].text) is not None
        previous = i
        if "|" not in text and "｜" not in text:
            continue
        fields = re.split(r"[|｜]", text)
        if text.startswith("|") or len(fields) < 3 or not all(_RECORD_FIELD.match(f) for f in fields):
            continue
        if _DATE.search(text):
            state.drop(i, "record_line")
        elif under_heading and any(ch.isdigit() for ch in text):
            by_names[tuple(_FIELD_NAME.match(f).group(1).strip() for f in fields)].append(i)
    for lines in by_names.values():
        if len(lines) >= _RECORDS:
            for i in lines:
                state.drop(i, "record_line")


# a social post's tag line: three or more "#Word" tags and nothing else, bold or not ("#1" ranks
# something; "# Word" with its space is a heading)
_HASHTAGS = re.compile(r"^\s*+(?:\*\*|__)?(?:\s*+#[^\W\d_][\w-]*+){3,}+\s*+(?:\*\*|__)?\s*+$")


def hashtags(state: CleanState) -> None:
    """A line of hashtags (`#LLMs #DeepLearning #EdgeAI`): a post's tags for a feed, not its text."""
    for i in state.live():
        if _HASHTAGS.match(state.lines[i].text):
            state.drop(i, "hashtags")


_CHROME_LINE = re.compile(
    r"^\s*(展开全文|阅读全文|展开阅读全文|点击展开|收起|[‹«]?\s*(上一篇|下一篇|前一篇|后一篇)\s*[:：].{0,40}|"
    r"版权声明[:：].*|本文链接[:：].*|转载请注明.*|.{0,40}(阅读|浏览)\s*+(?:[数量次]\s*+)?(?:[:：]\s*+)?\d[\d,]*+\s*+(?:次\s*+)?|"
    r"(编辑|作者|发布于|发表于|日期|时间)[:：].{0,60}(\d{4}[-/.年]\d{1,2}).*)[\s▾▼]*+$")
_CRUMB_SEPARATORS = frozenset("›»>/")
_CRUMB_PROSE = re.compile(r"[。，,]")
_CRUMB_START, _CRUMB_PART = 60, 20  # characters before the first separator; of a part, spaces aside


def _is_breadcrumb(text: str) -> bool:
    """A trail of short parts joined by › » > or / (`首页 › 专栏 › 面试题`): two separators or
    more, the first within 60 characters, every part after it 1–20 characters (spaces
    around it aside), the last one ending the line, and no 。，, anywhere.

    A part may hold separators itself ("a/b"), so the separators that join the trail are
    chosen here by dynamic programming: the regex that said the same tried every choice
    and took exponential time on a line like `首页 › /a /a /a …，`."""
    if _CRUMB_PROSE.search(text):
        return False
    separators, solid_before, solid = [], [], -1  # the last non-space before each separator
    for k, char in enumerate(text):
        if char in _CRUMB_SEPARATORS:
            separators.append(k)
            solid_before.append(solid)
        if not char.isspace():
            solid = k
    solid_after, solid = [0] * len(separators), len(text)  # the first non-space after each separator
    k = len(text) - 1
    for s in range(len(separators) - 1, -1, -1):
        while k > separators[s]:
            if not text[k].isspace():
                solid = k
            k -= 1
        solid_after[s] = solid
    joined: list[int] = []  # positions in `separators` that a trail can reach
    for s, p in enumerate(separators):
        # a part between separators q and p fits when its text from the first non-space after
        # q to the last one before p is at most 20 characters; q further back than the nearest
        # fitting ones cannot fit, so the walk back stops at the first one that does not
        reached = False
        for r in reversed(joined):
            if solid_after[r] < solid_before[s] - (_CRUMB_PART - 1):
                break
            if separators[r] < p - 1:
                reached = True
                break
        if reached and p + 1 < len(text) and len(text) - solid_after[s] <= _CRUMB_PART:
            return True
        if reached or p <= _CRUMB_START:
            joined.append(s)
    return False


def page_chrome(state: CleanState) -> None:
    """Single chrome lines anywhere: 展开全文, prev/next links, copyright and reprint notes,
    read counters, author/date meta lines, breadcrumbs."""
    for i in state.live():
        text = state.lines[i].text.strip()
        if _CHROME_LINE.match(text) or (("›" in text or "»" in text) and _is_breadcrumb(text)):
            state.drop(i, "page_chrome")


# the calls to action of ads, not their subjects: "广告点击率预估" is content, and so is a source
# named in passing ("在公众号 X 的文章中…"); an account or a code counts with an action on it
_AD = re.compile(r"扫码|扫一扫|加微信|加群|滴滴我|私信我|关注我|优惠券|领取福利|添加微信")
_ACCOUNT = re.compile(r"公众号|二维码|微信号")
_ACTION_ON_ACCOUNT = re.compile(r"(?:关注|搜索|添加|长按|识别|回复|发送|私信|加)[^。；;！!]{0,20}?(?:公众号|二维码|微信号)"
                                r"|(?:公众号|二维码|微信号)[^。；;！!]{0,20}?(?:关注|搜索|添加|长按|识别|回复|发送|私信|获取|领取)")


def advert(state: CleanState) -> None:
    """Ad lines: follow-my-account, scan-the-code, tutoring offers."""
    for i in state.live():
        text = state.lines[i].text
        # a call to action neither asks nor is numbered: "二维码检测用什么方法？" is a question
        if (len(text.strip()) <= 120 and (_AD.search(text) or (_ACCOUNT.search(text) and _ACTION_ON_ACCOUNT.search(text)))
                and not _NUMBERED_START.match(text)
                and not ends_with_question_mark(text)):
            state.drop(i, "advert")


_SENTENCE_PUNCT = re.compile(r"[。，,；;！!？?：:（）()]")
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9]*+(?:_[A-Za-z0-9]++)++")  # conv_1, layer_norm_2: names in code
_LATEX_OR_CODE = re.compile(r"[\\{}&$=<>/]")


# a web address alone on its line that names an image file ("https://…/figure-1.jpg?w=600")
_BARE_URL = re.compile(r"^\s*+(https?://[^\s<>()\[\]]++)\s*+$", re.I)
_IMAGE_FILE = re.compile(r"\.(?:png|jpe?g|gif|webp|svg|bmp)$", re.I)


def bare_image_urls(state: CleanState) -> None:
    """In Markdown, the address of an image file alone on its line (a scrape that lost the
    `<img>` around it) is that image, `![](address)`: CommonMark shows a bare address as
    text. An address in a sentence, or one that names no image file, stays as written."""
    if state.kind != "markdown":
        return
    for i in state.live():
        text = state.lines[i].text
        if "://" in text and (m := _BARE_URL.match(text)) and _IMAGE_FILE.search(m.group(1).split("?")[0].split("#")[0]):
            state.rewrite(i, f"![]({m.group(1)})", "bare_image_urls")


def image_alt_text(state: CleanState) -> None:
    """Runs of scraped image captions such as `标题 关键词_分类_07`: short lines with
    underscores and no sentence punctuation whose first part repeats three times or more."""
    candidates: dict[str, list[int]] = {}
    for i in state.live():
        text = state.lines[i].text.strip()
        if ("_" in text and len(text) <= 80 and not _SENTENCE_PUNCT.search(text) and not _LATEX_OR_CODE.search(text)
                and not text.startswith(("#", "-", "*", "|", "$", "`", "!", "[")) and not _IDENTIFIER.fullmatch(text)):
            candidates.setdefault(text.split("_", 1)[0], []).append(i)
    for key, indices in candidates.items():
        if key and len(indices) >= 3:
            for i in indices:
                state.drop(i, "image_alt_text")
    # a caption line equal to the key itself (no suffix) belongs to the same run
    for i in state.live():
        text = state.lines[i].text.strip()
        for key, indices in candidates.items():
            if (len(indices) >= 3 and key and text.startswith(key) and "_" in text and not _IDENTIFIER.fullmatch(text)
                    and not _SENTENCE_PUNCT.search(text) and not _LATEX_OR_CODE.search(text)):
                state.drop(i, "image_alt_text")


# the destination as CommonMark reads it (`<with spaces>`, balanced parentheses), or a path
# with spaces that ends in an image file name, as scraped pages write it
_MD_IMAGE = re.compile(r"!\[([^\[\]]*+)\]\(\s*+(<[^<>\n]*+>|(?:[^()\s\[]++|\([^()\s]*+\))*+"
                       r"|[^()<>\[\]\n]*?\.(?:png|jpe?g|gif|svg|webp|bmp)(?=\s*+\)))(?:\s++\"[^\"]*+\")?\s*+\)",
                       re.I)


def _local_image_exists(base_dir: str, src: str) -> bool:
    if not base_dir or not src or src.startswith(("/", "\\")) or re.match(r"^[a-zA-Z]:", src):
        return False
    base = Path(base_dir).resolve()
    path = src.split("#")[0].split("?")[0]
    # as written, or with percent-escapes decoded (`%20`); never outside the source directory
    return any(base in target.parents and target.is_file()
               for target in ((base / candidate).resolve() for candidate in {path, unquote(path)}))


# an image with Pandoc's attributes after it (`![](fig.png){alt='…' width='70%'}`): they go with it
_IMAGE_WITH_ATTRIBUTES = re.compile(_MD_IMAGE.pattern + r"(?P<attributes>\{[^{}\n]*+\})?", re.I)


def _keep_image(state: CleanState, number: int, m: re.Match) -> str:
    src = m.group(2).removeprefix("<").removesuffix(">")
    if src.startswith(("http://", "https://", "data:image/")) or _local_image_exists(state.base_dir, src):
        return m.group(0).removesuffix(m.group("attributes") or "")  # (no renderer here reads them)
    if src:
        state.warnings.append(f"line {number}: missing local image {src}")
    return ""


# CodeCogs' LaTeX renderer: a formula written as an image address (`…gif.latex?\inline&space;x^{(i)}`)
_FORMULA_IMAGE = re.compile(r"^https?://latex\.codecogs\.com/(?:gif|png|svg|eps)(?:\.latex|\.image|\.download)?\?(.+)$", re.I)
_RENDER_OPTIONS = re.compile(r"^(?:\\(?:inline|dpi\{\d+\}|bg_\w+|fn_\w+|fg_\w+|tiny|small|normalsize|large|Large|LARGE|huge|Huge)\s*+)+")


# ... and a link to its equation editor around the formula's picture, `[![](公式.png)](…eqnedit.php?latex=…)`:
# the opening of the link, up to its formula (whose parentheses nest to any depth: `L(x,g(f(x)))`)
_FORMULA_LINK = re.compile(r"\[(?:!\[[^\[\]]*+\]\([^()\s]*+\))?\]\(https?://(?:www\.)?codecogs\.com/eqnedit\.php\?latex=", re.I)


def _formula_links(text: str) -> str:
    """`text` with each link to CodeCogs' equation editor (around the formula's picture) as the
    LaTeX it holds, `$…$`; the link's end is the parenthesis that balances its opening one."""
    out, at = [], 0
    for m in _FORMULA_LINK.finditer(text):
        if m.start() < at:
            continue
        depth, end = 1, m.end()
        while end < len(text) and depth and not text[end].isspace():
            depth += {"(": 1, ")": -1}.get(text[end], 0)
            end += 1
        if depth:
            continue  # no balancing parenthesis: not a link
        out += [text[at:m.start()], _math(_latex(text[m.end():end - 1]), text[m.start():end])]
        at = end
    return "".join(out) + text[at:]


def _latex(query: str) -> str:
    r"""The LaTeX of a renderer's query: URL and HTML escapes undone (`&space;`, `&plus;`),
    render options (`\inline`, `\dpi{120}`) left out."""
    return _RENDER_OPTIONS.sub("", html.unescape(unquote(query).replace("&space;", " "))).strip()


def _math(latex: str, written: str) -> str:
    return f"${latex}$" if latex and "$" not in latex and "\n" not in latex else written


def _formula(m: re.Match) -> str:
    formula = _FORMULA_IMAGE.match(m.group(2).removeprefix("<").removesuffix(">"))
    return m.group(0) if formula is None else _math(_latex(formula.group(1)), m.group(0))


def formula_images(state: CleanState) -> None:
    """A formula written as an image of an online LaTeX renderer (CodeCogs, as READMEs embed
    it), or as a link to its equation editor around the formula's picture, is that LaTeX,
    `$…$`: it renders offline in every output, where the image needed the network (or was
    missing) and read as nothing in text."""
    for i in state.live():
        text = state.lines[i].text
        if "codecogs" in text:
            text = _formula_links(text)
            state.rewrite(i, _MD_IMAGE.sub(_formula, text), "formula_images")


def images(state: CleanState) -> None:
    """Empty image links `![]()` and local images that do not exist (or point outside the
    source directory) are removed, with Pandoc's attributes after them (`{alt='…' width='70%'}`,
    which also leave the images that stay); a line that held only such images (and a stray
    closing bracket) is dropped."""
    for i in state.live():
        text = state.lines[i].text
        if "![" not in text:
            continue
        new = _IMAGE_WITH_ATTRIBUTES.sub(partial(_keep_image, state, state.lines[i].number), text)
        # (a bracket an author typed after the image, "![x](a.png))", goes with it: nothing is left to read)
        if not new.strip() or (new != text and not new.strip(" \t)]）】")):
            state.drop(i, "empty_image" if all(not m.group(2) for m in _MD_IMAGE.finditer(text)) else "missing_image")
        else:
            state.rewrite(i, new, "images")


_TABLE_DEBRIS = re.compile(r"^[\s|:\-]*$")


def table_debris(state: CleanState) -> None:
    """Pipes and `---|---|` rows that are left when a scrape loses a table's cells.
    A delimiter row between real header and body rows stays."""
    live = state.live()
    for pos, i in enumerate(live):
        text = state.lines[i].text.strip()
        if "|" not in text or not _TABLE_DEBRIS.match(text):
            continue
        before = state.lines[live[pos - 1]].text if pos > 0 else ""
        after = state.lines[live[pos + 1]].text if pos + 1 < len(live) else ""
        real_table = ("-" in text and "|" in before and re.search(r"[^\s|:\-]", before)
                      and "|" in after and re.search(r"[^\s|:\-]", after) and live[pos - 1] == i - 1)
        if not real_table:
            state.drop(i, "table_debris")


# (a lone ">" is no debris: it is the blank line between a blockquote's paragraphs)
_LONE_MARKER = re.compile(r"^\s*([-*+•]|\*\*|__|\d+[.、)]|={3,})\s*$")  # (thematic breaks: THEMATIC_BREAK)


_EMPTY_ITEM = re.compile(r"^(\s*)([-*+]|\d{1,3}[.)])\s*$")


def empty_items(state: CleanState) -> None:
    """A list item whose marker stands alone on its line ("1." / "    **问题…？**") opens with
    the first line indented under it, as CommonMark reads it: the marker moves onto that line
    ("1. **问题…？**") and its own line goes."""
    live = state.live()
    for pos, i in enumerate(live[:-1]):
        m = _EMPTY_ITEM.match(state.lines[i].text)
        nxt = live[pos + 1]
        if m is None or nxt in state.protected:
            continue
        text = state.lines[nxt].text
        indent = len(text) - len(text.lstrip(" "))
        if len(m.group(1)) + len(m.group(2)) < indent <= len(m.group(1)) + len(m.group(2)) + 4:
            state.rewrite(nxt, f"{m.group(1)}{m.group(2)} {text.lstrip(' ')}", "empty_items")
            state.drop(i, "empty_items")


# an unticked task item that only marks an answer still to write ("- [ ] TODO", "- [ ] 待补充")
_PLACEHOLDER_ITEM = re.compile(r"^\s*+(?:[-*+]\s++)?\\?\[ \\?\]\s*+(?:to[ -]?do|tbd|tba|wip|待补充|待完善|待更新|暂无|暂缺)\s*+[.。:：]?\s*+$",
                               re.I)


def placeholders(state: CleanState) -> None:
    """An unticked task item that holds only a placeholder word, the author's note that an
    answer is still to be written, leaves the text when more of the section follows it (the
    answer after it, references): on the back it would read as part of the answer. One that is
    all its section holds stays, so that the section keeps its place (a heading over nothing
    but `- [ ] TODO` is an unanswered question, not a title of what follows). A task item that
    says more (`- [ ] TODO 补充推导`) stays."""
    live = state.live()
    for pos, i in enumerate(live):
        if not _PLACEHOLDER_ITEM.match(state.lines[i].text):
            continue
        after = next((state.lines[k].text for k in live[pos + 1:pos + 50] if state.lines[k].text.strip()), "")
        if after and not _HEADING_LINE.match(after):
            state.drop(i, "placeholder")


def lone_marker(state: CleanState) -> None:
    """Lines holding only a list marker, a rule (`---`, `* * *`: any CommonMark thematic break) or
    a stray `**`."""
    for i in state.live():
        if _LONE_MARKER.match(state.lines[i].text) or THEMATIC_BREAK.match(state.lines[i].text):
            state.drop(i, "lone_marker")


_RATED_HEADING = re.compile(r"^\s{0,3}#{1,6}\s.*[^*\s]\*++\s*+$")


# Typora's, Obsidian's and markdown-it-mark's highlight ("==要点=="): a pair inside a line, or
# one that opens a line and one that closes a later line; "a == b" and "x==y" are no marks
_HIGHLIGHT = re.compile(r"(?<![=\w])==(?=[^\s=])([^\n]*?[^\s=])==(?![=\w])")
_HIGHLIGHT_OPEN = re.compile(r"^(\s*+(?:[-*+]\s++)?)==(?=[^\s=])")
_HIGHLIGHT_CLOSE = re.compile(r"(?<=[^\s=])==\s*+$")


def highlight_marks(state: CleanState) -> None:
    """The marks of highlighted text go, the text stays: `==…==` within a line, and a
    highlight opened at the start of a line and closed at the end of a later one."""
    open_at = None
    for i in state.live():
        text = _HIGHLIGHT.sub(r"\1", state.lines[i].text)
        if open_at is None and _HIGHLIGHT_OPEN.match(text) and not _HIGHLIGHT_CLOSE.search(text):
            open_at = i
        elif open_at is not None and _HIGHLIGHT_CLOSE.search(text) and not _HIGHLIGHT_OPEN.match(text):
            state.rewrite(open_at, _HIGHLIGHT_OPEN.sub(r"\1", state.lines[open_at].text), "highlight_marks")
            text, open_at = _HIGHLIGHT_CLOSE.sub("", text), None
        state.rewrite(i, text, "highlight_marks")


def stray_bold(state: CleanState) -> None:
    """An unmatched `**` left by a scrape (`作用**`) is removed; matched pairs stay, also a
    pair over two lines of one paragraph (`**Q1. Suppose …` / `… example?**`), which CommonMark
    reads as one bold span. Stars that end a heading stay: they rate its difficulty
    (`# …的利弊**`), and the question and topic text leave them out."""
    live = state.live()
    opened = None  # the line of the paragraph whose odd `**` waits for its closing one
    for pos, i in enumerate(live):
        text = state.lines[i].text
        if text.count("**") % 2 == 0 or _RATED_HEADING.match(text):
            if opened is not None and (pos == 0 or live[pos - 1] != i - 1):
                opened = None
            continue
        if opened is not None and live[pos - 1] == i - 1 and opened == live[pos - 1]:
            opened = None  # it closes the bold the line above opened
            continue
        if pos + 1 < len(live) and live[pos + 1] == i + 1 and state.lines[live[pos + 1]].text.count("**") % 2 == 1:
            opened = i  # the next line of the paragraph closes it
            continue
        head, _, tail = text.rpartition("**")
        state.rewrite(i, head + tail, "stray_bold")


_MD_ESCAPE = re.compile(r"\\([(){}])")
_LATEX_LAYOUT = re.compile(r"\\(kern|hspace|vspace|mkern|mskip)\s*+(\{[^{}]*+\}|-?[\d.]++\s*+(em|ex|pt|mu|px))\s*+")
# inline math padded with spaces inside its dollars ("$ v_{ih} $"), as some editors write it: in
# CommonMark's dollar math (pandoc's rule) that is no math, and the dollars pair wrongly across
# the text between ("…$，因$…"); a span with LaTeX in it (a backslash, ^, _ or a brace) is math,
# "$ 5 and $" is not
_PADDED_MATH = re.compile(r"(?<![$\\A-Za-z0-9])\$ ++([^$\n]++)\$(?!\$)")  # one run, no lazy split: linear

_LATEX_SIGN = re.compile(r"[\\^_{}]")


def _unpadded(m: re.Match) -> str:
    """`$ x_{i} $` as `$x_{i}$` when the span ends in its padding and holds LaTeX; else as it was."""
    inner = m.group(1)
    return f"${inner.strip()}$" if inner.endswith(" ") and _LATEX_SIGN.search(inner) else m.group()
# a math span of spacing alone ("$\qquad$ 答：…" indents a paragraph the LaTeX way)
# (its dollars open and close a span: "$T1$ ~ $T4$" holds none)
_SPACING_MATH = re.compile(r"(?<!\S)\$(?:\s*+(?:\\(?:qquad|quad|enspace|thinspace|[,;:! ])|~))++\s*+\$(?![A-Za-z0-9$])[ \t]*+")


# "F\(x\)" glued to a word is an escaped call, "矩阵 \( P \)" is math
_PAREN_MATH = re.compile(r"(?<![A-Za-z0-9])\\\(\s*+(.{1,300}?)\s*+\\\)")
# what escaped parentheses hold when a page escapes its punctuation, not math: Chinese prose
# ("\(意思是…\)") or more escapes of Markdown ("\(batch\_size\*hidden\_size\)", "\[MASK\]")
# … or words alone ("\(token\)") or quoted strings ("\[\"Chat\", \"Tool\"\]" from a Google Docs export):
# escaped brackets, as a display line holding them is too
_ESCAPED_WORDS = r"^[A-Za-z]{3,}(?:\s++[A-Za-z]{3,})*+$|\"[^\"]*+\""
_ESCAPED_PROSE = re.compile(r"[\u4e00-\u9fff]|\\[*_\[\]]|" + _ESCAPED_WORDS)
_ESCAPED_BRACKETS = re.compile(_ESCAPED_WORDS)
_ESCAPED_LABEL = re.compile(r"^\s*\\\(\s*[0-9A-Za-z]{1,2}\s*\\\)")  # "\(1\) …": escaped list numbering


# a line of display math \[ … \] (\\[ … \\] where the page escaped the backslash for kramdown)
_BRACKET_MATH = re.compile(r"^\s*+\\{1,2}\[\s*+(.{1,2000}?)\s*+\\{1,2}\]\s*+$")
_BRACKET_FENCE = re.compile(r"^\s*+\\{1,2}[\[\]]\s*+$")  # \[ or \] alone: display math over several lines


def _paren_math(text: str) -> str:
    if (display := _BRACKET_MATH.match(text)) and not _ESCAPED_BRACKETS.search(display.group(1)):
        return f"$${display.group(1)}$$"
    if _BRACKET_FENCE.match(text):
        return "$$"
    label = _ESCAPED_LABEL.match(text)
    start = label.end() if label else 0
    return text[:start] + _PAREN_MATH.sub(lambda m: m.group(0) if _ESCAPED_PROSE.search(m.group(1)) else f"${m.group(1)}$",
                                          text[start:])


# a quiz blank an editor escaped, bold or not: "\_\_", "\*\*\_\_\*\*", "\***\*\_\_\*\***"
_ESCAPED_BLANK = re.compile(r"(?:\*|\\\*)*+(?:\\_){2,}+(?:\*|\\\*)*+")


def markdown_escape(state: CleanState) -> None:
    r"""LaTeX math `\( P \)` and a line `\[ … \]` become `$P$` and `$$…$$`, the math forms
    the later stages read; escaped parentheses and braces outside math and code are literal
    characters: `\(1\)` opening a line is "(1)"; an escaped blank (`\_\_`, in escaped or
    plain bold or not) is the blank `____`. Other escapes (`\*`, `\_`, `\#` …) stay:
    without them the character would be markup again in every output."""
    for i in state.live():
        text = state.lines[i].text
        if "\\" in text:
            text = _ESCAPED_BLANK.sub("____", _paren_math(text))
            state.rewrite(i, _outside(text, lambda s: _MD_ESCAPE.sub(r"\1", s)), "markdown_escape")


# a page command alone on its line, left by a document written for LaTeX or Pandoc
_PAGE_COMMAND = re.compile(r"^\s*+\\(?:newpage|clearpage|pagebreak|cleardoublepage)\s*+$")


def latex_layout(state: CleanState) -> None:
    r"""Spacing commands (`\kern{8 em}`, `\hspace{…}`) are layout debris, also inside math, and
    so is a math span of spacing alone (`$\qquad$`); inline math padded inside its dollars
    (`$ x_{i} $`) loses the padding; a page command alone on its line (`\newpage`) is dropped."""
    for i in state.live():
        text = state.lines[i].text
        if _PAGE_COMMAND.match(text):
            state.drop(i, "latex_layout")
        elif "\\" in text or "$" in text:
            state.rewrite(i, _outside(text, lambda part: _PADDED_MATH.sub(_unpadded, _SPACING_MATH.sub("", _LATEX_LAYOUT.sub("", part))),
                                      _CODE_SPAN), "latex_layout")


_DANGLING_BREAK = re.compile(r"(?<!\\)\\[ \t]*+$")  # one backslash ends the line (two end a LaTeX row)


def dangling_break(state: CleanState) -> None:
    """In Markdown a backslash that ends a line is a hard line break inside a paragraph
    (CommonMark 0.31, 6.7); on the last line of its block (a blank line, a heading, a dropped
    line or the page's end after it) it breaks nothing and shows as a backslash: it goes."""
    if state.kind != "markdown":
        return
    for i in state.live():
        text = state.lines[i].text
        if text.rstrip(" \t").endswith("\\") and _DANGLING_BREAK.search(text):
            j = i + 1
            if (j == len(state.lines) or j in state.dropped or is_blank(state.lines[j].text)
                    or _HEADING_START.match(state.lines[j].text)):
                state.rewrite(i, _DANGLING_BREAK.sub("", text), "dangling_break")


# Order matters: debris that hides structure goes first, inline repairs last.
RULES: list[tuple[str, Rule]] = [
    ("mdx_quiz", mdx_quiz),
    ("admonitions", admonitions),
    ("protect_code", protect_code),
    ("fenced_divs", fenced_divs),
    ("script_blocks", script_blocks),
    ("invisible_chars", invisible_chars),
    ("front_matter", front_matter),
    ("reference_links", reference_links),
    ("attribute_lists", attribute_lists),
    ("callouts", callouts),
    ("html_comment", html_comment),
    ("inline_html", inline_html),
    ("setext_headings", setext_headings),
    ("toc_marker", toc_marker),
    ("toc_block", toc_block),
    ("page_footer", page_footer),
    ("repeated_footer", repeated_footer),
    ("page_chrome", page_chrome),
    ("end_matter", end_matter),
    ("hashtags", hashtags),
    ("record_lines", record_lines),
    ("advert", advert),
    ("bare_image_urls", bare_image_urls),
    ("image_alt_text", image_alt_text),
    ("formula_images", formula_images),
    ("images", images),
    ("table_debris", table_debris),
    ("empty_items", empty_items),
    ("placeholders", placeholders),
    ("lone_marker", lone_marker),
    ("highlight_marks", highlight_marks),
    ("stray_bold", stray_bold),
    ("latex_layout", latex_layout),
    ("markdown_escape", markdown_escape),
    ("dangling_break", dangling_break),
]


def clean(doc: Document, rules: list[tuple[str, Rule]] = RULES) -> CleanDocument:
    state = CleanState(doc.name, doc.kind, doc.base_dir, list(doc.lines))
    for _name, rule in rules:
        rule(state)
    drops = list(doc.markup_drops)
    kept: list[SourceLine] = []
    code: set[int] = set()
    breaks: set[int] = set()
    for i, ln in enumerate(state.lines):
        if i in state.dropped:
            drops.append(Drop(state.dropped[i], doc.name, ln.number, doc.lines[i].text.strip()[:200]))
            if i not in state.protected and THEMATIC_BREAK.match(ln.text):
                breaks.add(len(kept))  # gone as text, kept as structure: it may separate sections
        else:
            if i in state.protected:
                code.add(len(kept))
            kept.append(ln)
    nonblank = {ln.number for ln in doc.lines if not is_blank(ln.text)} | {d.line for d in doc.markup_drops}
    return CleanDocument(doc.name, doc.kind, kept, drops, dict(state.rewrites), doc.raw_line_count,
                         nonblank, doc.encoding, state.warnings,
                         frozenset(code), state.title, frozenset(breaks))
