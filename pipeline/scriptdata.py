"""Question-and-answer records that a page keeps as data in a `<script>` and renders in the
browser (`const DATA = [{"question": "…", "answer": "…"}, …]`): what its reader sees, though
the page's markup holds none of it.

A record list is found by shape, not by key names: a JSON array of objects sharing two
string fields, one of which asks in most records (`text.ends_with_question_mark`) and one
that holds the longest text of the others. Each record becomes a heading line (its
question) and its answer's lines, numbered by the source lines the strings stand on.
"""
from __future__ import annotations

import json
import re

from bs4 import BeautifulSoup, Tag

from .model import SourceLine
from .text import ends_with_question_mark

_ASSIGNED = re.compile(r"=\s*+(?=[\[{])")  # `const DATA = [`, `window.qa = {`
_MIN_RECORDS = 3  # records in a list before it is taken for a page's questions
_ASKING_SHARE = 0.6  # of a list's records whose question field asks
_MAX_LITERAL = 2_000_000  # characters of a literal parsed at most


def _literal_end(text: str, start: int) -> int | None:
    """The end (exclusive) of the bracketed literal that opens at `start`, strings and their
    escapes read through; None when it does not close."""
    depth, quote, k = 0, "", start
    while k < len(text):
        ch = text[k]
        if quote:
            if ch == "\\":
                k += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
            if depth == 0:
                return k + 1
        k += 1
    return None


def _record_lists(value: object) -> list[list[dict]]:
    """Every list of objects (three or more) inside a parsed literal, outermost first."""
    found: list[list[dict]] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            if len(item) >= _MIN_RECORDS and all(isinstance(x, dict) for x in item):
                found.append(item)
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
    return found


def _fields(records: list[dict]) -> tuple[str, str] | None:
    """(question field, answer field) of a record list, or None: the string field that asks in
    `_ASKING_SHARE` of the records, and of the other string fields the one with the most text."""
    shared = set.intersection(*(set(k for k, v in r.items() if isinstance(v, str)) for r in records))
    asking = [k for k in sorted(shared)
              if sum(ends_with_question_mark(r[k].strip()) for r in records) >= _ASKING_SHARE * len(records)]
    if not asking:
        return None
    question = max(asking, key=lambda k: sum(ends_with_question_mark(r[k].strip()) for r in records))
    others = [k for k in sorted(shared) if k != question]
    if not others:
        return None
    answer = max(others, key=lambda k: sum(len(r[k]) for r in records))
    return question, answer


def _shown(value: str) -> list[str]:
    """A string as the page shows it: its HTML (it goes in by innerHTML) as text, a line per
    line break."""
    if "<" in value:
        value = BeautifulSoup(value.replace("<br>", "\n"), "html.parser").get_text()
    return [line.strip() for line in value.split("\n") if line.strip()]


def script_records(script: Tag) -> list[SourceLine]:
    """The lines of the question-and-answer records a `<script>` holds as data: for each record,
    `#### question` on the line its question stands on, then its answer's lines; [] when the
    script holds none (a program, data of another kind, a literal JSON cannot read)."""
    text = script.string or ""
    first = script.sourceline or 1
    lines: list[SourceLine] = []
    counted = [0, first]  # an offset into the script and the source line it stands on

    def line_of(value: str, after: int) -> tuple[int, int]:
        """(offset, source line) of `value`'s opening at or after offset `after` (`after` when
        it is not found there): the lines are counted on from the last offset, once."""
        found = text.find(json.dumps(value, ensure_ascii=False)[1:21], after)
        offset = found if found >= 0 else after
        if offset >= counted[0]:
            counted[:] = [offset, counted[1] + text.count("\n", counted[0], offset)]
        return offset, counted[1]

    pos = 0
    while (m := _ASSIGNED.search(text, pos)) is not None:
        end = _literal_end(text, m.end())
        if end is None:
            break  # a literal that never closes: no later one is read either (each would scan to the end)
        pos = end  # the literals nested in this one are its own
        if end - m.end() > _MAX_LITERAL:
            continue
        try:
            value = json.loads(text[m.end():end])
        except (ValueError, RecursionError):
            continue  # a JavaScript literal that is no JSON (unquoted keys, functions), or nested past reading
        at = m.end()
        for records in _record_lists(value):
            if (fields := _fields(records)) is None:
                continue
            for record in records:
                question, answer = (str(record[f]).strip() for f in fields)
                # the source line of a string: where it stands, after the record before
                at, number = line_of(question, at)
                lines.append(SourceLine(number, "#### " + " ".join(_shown(question))))
                at, number = line_of(answer, at)
                lines += [SourceLine(number, line) for line in _shown(answer)]
    return lines
