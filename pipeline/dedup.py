"""Exact and near duplicate questions, within and across documents.

Candidates come from MinHash-LSH over character trigrams (datasketch) and from an index
of question openings, so the work grows with the number of similar pairs, not all pairs.
A pair merges only when the questions match closely and name the same things: differing
Latin terms, acronyms or numbers block a merge (介绍下GAN / 介绍下GCN; Chinese ordinals and
numbering count as numbers: 第一种… / 第二种…), and a short
question that leans on its topic ("一句话定义?") merges only within the same topic."""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from difflib import SequenceMatcher

from .model import OTHER_SOURCE, Card
from .status import LABEL_FRONT, has_real_answer
from .text import fold, is_question_like, zh_number

NEAR = 0.85  # SequenceMatcher ratio of the folded questions
SHORT = 8  # folded characters: below this a question needs its topic to mean anything
LONGEST_NEAR = 1_000  # folded characters: SequenceMatcher is quadratic, and no real question is this long
PREFIX = 12  # folded characters of a question that another one opens with
LSH_THRESHOLD = 0.3  # Jaccard of trigram sets that makes a pair a candidate (recall first: why_same decides)
PERMUTATIONS = 128
SMALL_GROUP = 40  # questions sharing their terms that are simply compared pairwise
_TERMS = re.compile(r"[a-z]+|\d+(?:\.\d+)?")
_ZH_NUMERAL = "[一二三四五六七八九十两]{1,3}"
# Chinese numbers that tell siblings apart, as digits do: ordinals (第三种, 第二步), 其二, and
# numbering after a label noun (方法二, 情况三) or in brackets (（四）). A bare 一 is mostly
# "a"/"one" (一种方法, 一下, 一般) and counts only in those places.
_ZH_ORDINAL = re.compile(
    rf"(?P<lead>第|(?P<open>[（(])|(?:其|方法|方案|步骤|问题|情况|阶段|类型|公式|定理|思路|策略|条件|例子|示例|版本|部分|假设|性质|结论|场景)"
    rf"(?!一[般样致些定直切起同旦贯下次]))(?P<n>{_ZH_NUMERAL})(?(open)(?=[)）]))")
_CLAUSE_END = set(",，?？。;；、:：")


@dataclass(frozen=True)
class Merge:
    kept: str  # question of the card that stays
    merged: str  # question folded into it
    reason: str


def _arabic(m: re.Match) -> str:
    value = zh_number(m.group("n"))
    return m.group("lead") + str(value) if value else m.group(0)


def terms(question: str) -> list[str]:
    """The Latin words and numbers of a question, in order: what a near duplicate must
    share. Chinese ordinals and numbering count as their numbers (第三种 as 3)."""
    return _TERMS.findall(fold(_ZH_ORDINAL.sub(_arabic, question)))


def _opens_with(longer: str, shorter: str) -> bool:
    """`longer` states `shorter` whole and then goes on with another clause."""
    a = re.sub(r"\s+", "", longer)
    b = re.sub(r"\s+", "", shorter).rstrip("?？。.!！")
    return len(a) > len(b) and a.startswith(b) and a[len(b)] in _CLAUSE_END


# a question and its opposite differ by one word of such a pair: "学习率过大" / "学习率过小"
_OPPOSITES = {frozenset(p) for p in ("大小", "高低", "多少", "增减", "长短", "快慢", "强弱", "深浅", "前后", "上下",
                                        "正负", "有无", "内外", "早晚", "粗细", "宽窄", "轻重", "升降", "加减", "过欠",
                                        "优缺", "好坏", "利弊", "得失", "难易", "新旧")}
_OPPOSITE_WORDS = {frozenset(p) for p in (("过拟合", "欠拟合"), ("训练", "推理"), ("训练", "测试"), ("编码器", "解码器"),
                                             ("encoder", "decoder"), ("max", "min"), ("最大", "最小"))}


def _opposed(matcher: SequenceMatcher, f1: str, f2: str) -> bool:
    """Do two folded questions differ only where one says a word and the other its opposite?"""
    changes = [(f1[i1:i2], f2[j1:j2]) for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal"]
    return any(frozenset((a, b)) in _OPPOSITES or frozenset((a, b)) in _OPPOSITE_WORDS
               for a, b in changes if a and b and a != b)


def _renamed(matcher: SequenceMatcher, f1: str, f2: str) -> bool:
    """Do two folded questions differ in one thing only, a word put for another (one of
    them two characters or more) that is no interrogative? Then they ask about different things
    ("什么是边缘检测？" and "什么是目标检测？", "…的优点" and "…的缺点"); a rewording changes
    the words here and there ("神经网络中…及其…" and "在前馈网络中…及…"), and "如何" for
    "怎么" changes no subject."""
    changes = [(f1[i1:i2], f2[j1:j2], op) for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal"]
    if len(changes) != 1 or changes[0][2] != "replace":
        return False
    a, b, _ = changes[0]
    return max(len(a), len(b)) >= 2 and not is_question_like(a) and not is_question_like(b)


# a question that asks why ("为什么 X 重要？") is not the one that asks what X is ("什么是 X？"),
# however much of their text they share
_WHY = re.compile(r"为什么|为何|(?<![a-z])why(?![a-z])")


def why_same(q1: str, topic1: str, q2: str, topic2: str) -> str | None:
    """The reason two questions are one, or None. Works on raw question text."""
    f1, f2 = fold(q1), fold(q2)
    if not f1 or not f2:
        return None
    if 2 * min(len(f1), len(f2)) < NEAR * (len(f1) + len(f2)) and not (f1.startswith(f2) or f2.startswith(f1)):
        return None  # too different in length for a near match, and neither opens the other
    if min(len(f1), len(f2)) < SHORT and fold(topic1) != fold(topic2):
        return None
    if f1 == f2:
        return "exact"
    # the same Latin terms and numbers, in the same order ("A比B" is not "B比A")
    if terms(q1) == terms(q2) and SHORT <= min(len(f1), len(f2)) and max(len(f1), len(f2)) <= LONGEST_NEAR:
        matcher = SequenceMatcher(None, f1, f2, autojunk=False)
        ratio = matcher.ratio()
        if (ratio >= NEAR and not _opposed(matcher, f1, f2) and not _renamed(matcher, f1, f2)
                and bool(_WHY.search(f1)) == bool(_WHY.search(f2))):
            return f"near {ratio:.2f}"
    shorter, longer = (q1, q2) if len(f1) < len(f2) else (q2, q1)
    if (len(fold(shorter)) >= PREFIX and not (Counter(terms(shorter)) - Counter(terms(longer)))
            and _opens_with(longer, shorter)):
        return "opens the other"
    return None


def _grams(folded: str) -> set[str]:
    if len(folded) < 3:
        return {folded}
    return {folded[i:i + 3] for i in range(len(folded) - 2)}


def candidate_pairs(questions: list[str], folded: list[str] | None = None) -> set[tuple[int, int]]:
    """Pairs of questions worth comparing (indices, smaller first), without comparing all
    pairs. A near match needs the same Latin terms and numbers, so questions are first
    grouped by them; a small group is compared whole, a large one (questions with no such
    terms) through MinHash-LSH over character trigrams (datasketch). An index of openings
    finds a question that another one opens with. `folded`, when given, is `fold` of each
    question, already made by the caller."""
    folded = folded if folded is not None else [fold(q) for q in questions]
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, q in enumerate(questions):
        groups[tuple(terms(q))].append(i)
    pairs: set[tuple[int, int]] = set()
    for members in groups.values():
        if len(members) <= SMALL_GROUP:
            pairs.update((members[a], members[b]) for a in range(len(members)) for b in range(a + 1, len(members)))
        else:
            pairs |= _similar_pairs(members, folded)
    return pairs | _opening_pairs(folded)


def _opening_pairs(folded: list[str]) -> set[tuple[int, int]]:
    """Pairs of a question of at least PREFIX folded characters and a longer one that opens
    with it. Such texts share their first PREFIX characters; among the texts of one opening,
    sorted, those that open with a text follow it in one run. So each text is compared only
    with those and the one after: the work grows with the pairs found, not with the square of
    how many questions share a template's opening (such buckets grow with the corpus: 501
    questions in one at 50,000 cards of the benchmark; they used to be skipped past 200)."""
    by_opening: dict[str, set[str]] = defaultdict(set)
    for f in folded:
        if len(f) >= PREFIX:
            by_opening[f[:PREFIX]].add(f)
    opened: list[tuple[str, str]] = []
    for texts in by_opening.values():
        if len(texts) > 1:
            ordered = sorted(texts)
            for k, shorter in enumerate(ordered):
                j = k + 1
                while j < len(ordered) and ordered[j].startswith(shorter):
                    opened.append((shorter, ordered[j]))
                    j += 1
    if not opened:
        return set()
    wanted = {t for pair in opened for t in pair}
    where: dict[str, list[int]] = defaultdict(list)
    for i, f in enumerate(folded):
        if f in wanted:
            where[f].append(i)
    return {(min(a, b), max(a, b)) for shorter, longer in opened for a in where[shorter] for b in where[longer]}


def _similar_pairs(members: list[int], folded: list[str]) -> set[tuple[int, int]]:
    # imported here: datasketch pulls in SciPy (0.7 s), and most builds never need it
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=PERMUTATIONS)
    hashes = {}
    for i in members:
        minhash = MinHash(num_perm=PERMUTATIONS, seed=1)
        minhash.update_batch([g.encode("utf-8") for g in _grams(folded[i])])
        hashes[i] = minhash
        lsh.insert(i, minhash, check_duplication=False)
    return {(min(i, j), max(i, j)) for i in members for j in lsh.query(hashes[i]) if j != i}


def combine(kept: Card, other: Card) -> Card:
    """One card from two: every phrasing, every distinct answer (the other after an
    OTHER_SOURCE label; but one that only points elsewhere, `status.has_real_answer` false,
    adds nothing to a real answer, and a real answer goes before a pointer kept first),
    every source, the one whose answer leads first."""
    aliases = list(kept.aliases)
    for q in [other.question, *other.aliases]:
        if fold(q) != fold(kept.question) and all(fold(q) != fold(a) for a in aliases):
            aliases.append(q)
    answer = kept.answer
    sources = kept.sources + other.sources
    if other.answer.strip() and fold(other.answer) not in fold(answer):
        if not has_real_answer(answer) and has_real_answer(other.answer):
            # the answer to study leads, and its source is the card's first: the pointer or
            # nothing that came first follows
            answer = f"{other.answer}\n\n{OTHER_SOURCE}\n\n{answer}" if answer.strip() else other.answer
            sources = other.sources + kept.sources
        elif not answer.strip():
            answer = other.answer
        elif has_real_answer(other.answer) or not has_real_answer(answer):
            answer = f"{answer}\n\n{OTHER_SOURCE}\n\n{other.answer}"
    return replace(kept, aliases=aliases, answer=answer, sources=sources,
                   alias_ids=kept.alias_ids + [i for i in [other.id, *other.alias_ids] if i])


def deduplicate(cards: list[Card]) -> tuple[list[Card], list[Merge]]:
    """Merge duplicates into the first card of each group (source order is kept).
    Exact repeats are grouped by their folded text first; only distinct questions go
    through the candidate index."""
    parent = list(range(len(cards)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    merges: list[Merge] = []
    first_of: dict[tuple[str, str, str], int] = {}
    folded = [fold(card.question) for card in cards]
    for i, (card, f) in enumerate(zip(cards, folded, strict=True)):
        key = (card.type, f, fold(card.topic) if len(f) < SHORT else "")
        if LABEL_FRONT in card.notes:
            continue  # a label over different answers: every card is its own
        if key in first_of:
            parent[i] = first_of[key]
            merges.append(Merge(cards[first_of[key]].question, card.question, "exact"))
        else:
            first_of[key] = i
    distinct = sorted(first_of.values())
    for a, b in sorted(candidate_pairs([cards[i].question for i in distinct], [folded[i] for i in distinct])):
        i, j = distinct[a], distinct[b]
        x, y = cards[i], cards[j]
        if x.type != y.type or root(i) == root(j):
            continue
        reason = why_same(x.question, x.topic, y.question, y.topic)
        rx = cards[root(i)]
        # a group grows only with questions that match its first card too
        if reason and root(i) != i and why_same(rx.question, rx.topic, y.question, y.topic) is None:
            reason = None
        if reason:
            keep, fold_in = sorted((root(i), root(j)))
            parent[fold_in] = keep
            merges.append(Merge(cards[keep].question, cards[j if keep == root(i) else i].question, reason))
    groups: dict[int, Card] = {}
    order: list[int] = []
    for i, card in enumerate(cards):
        r = root(i)
        if r not in groups:
            groups[r] = card
            order.append(r)
        else:
            groups[r] = combine(groups[r], card)
    return [groups[r] for r in order], merges
