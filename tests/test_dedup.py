"""Dedup's candidate index at scale: no duplicate is lost in a crowd of questions that share
an opening, and questions that only share wording stay apart."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.dedup import PREFIX, _opening_pairs, deduplicate
from pipeline.model import Card, SourceSpan

OPENING = "在卷积神经网络的训练过程中，"


def card(question: str, file: str, line: int) -> Card:
    return Card(question=question, answer=f"{file} 第{line}行的答案。", topic="训练",
                sources=[SourceSpan(file, line, line + 1)], layout="t")


def test_duplicates_in_a_crowd_sharing_their_opening_are_found_and_siblings_kept_apart():
    # 300 siblings told apart by their numbers, all opening alike: more than the old index's
    # bucket of one opening took before it skipped the bucket, with the duplicates in it
    crowd = [card(f"{OPENING}第{n}层的输出有什么作用？", "crowd.md", n) for n in range(1, 301)]
    planted = [
        # within one document: a question, then the same question going on with another clause
        # (naming a term the first does not: only the index of openings brings them together)
        card(f"{OPENING}学习率应该怎么设置？", "a.md", 1),
        card(f"{OPENING}学习率应该怎么设置？换成Adam以后又该怎么办？", "a.md", 9),
        # across documents: a rewording, and an exact repeat
        card(f"{OPENING}为什么要做数据增强？", "a.md", 20),
        card(f"{OPENING}为何要做数据增强？", "b.md", 3),
        card(f"{OPENING}梯度裁剪的阈值如何选取？", "a.md", 30),
        card(f"{OPENING}梯度裁剪的阈值如何选取？", "b.md", 40),
    ]
    # the same wording, different questions: an opposite, the terms swapped, another ordinal,
    # another acronym
    apart = [card(f"{OPENING}{q}", "c.md", k) for k, q in enumerate(
        ["学习率过大会怎样？", "学习率过小会怎样？", "为什么ResNet比VGG更稳定？", "为什么VGG比ResNet更稳定？",
         "第一种归一化方法有什么缺点？", "第二种归一化方法有什么缺点？", "GAN的损失为什么会震荡？",
         "GCN的损失为什么会震荡？"], start=1)]
    cards = crowd[:150] + planted[:3] + apart + crowd[150:] + planted[3:]

    merged, merges = deduplicate(cards)

    assert sorted((m.kept, m.merged, m.reason.split()[0]) for m in merges) == sorted([
        (planted[0].question, planted[1].question, "opens"),
        (planted[2].question, planted[3].question, "near"),
        (planted[4].question, planted[5].question, "exact")])
    assert len(merged) == len(cards) - 3
    both = next(c for c in merged if c.question == planted[2].question)
    assert [s.file for s in both.sources] == ["a.md", "b.md"] and both.aliases == [planted[3].question]
    assert all(c.aliases == [] for c in merged if c.question.startswith(f"{OPENING}第") or c.sources[0].file == "c.md")


texts = st.lists(st.text(alphabet="深度学习网", min_size=PREFIX - 2, max_size=PREFIX + 4), max_size=40)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_the_openings_index_finds_exactly_every_text_that_another_opens_with(folded):
    expected = {(min(i, j), max(i, j)) for i, a in enumerate(folded) for j, b in enumerate(folded)
                if len(a) >= PREFIX and len(b) > len(a) and b.startswith(a)}
    assert _opening_pairs(folded) == expected


def test_an_answer_that_only_points_elsewhere_adds_nothing_to_a_real_one():
    real = Card(question="为什么残差连接能缓解梯度消失？", answer="恒等映射让梯度可以直接传回浅层，不随层数连乘衰减。",
                topic="残差", sources=[SourceSpan("a.md", 3, 4)], layout="t")
    pointer = Card(question="为什么残差连接能缓解梯度消失？", answer="见 p142", topic="残差",
                   sources=[SourceSpan("b.md", 9, 10)], layout="t")
    other = Card(question="为什么残差连接能缓解梯度消失？", answer="跳连把输入加到输出上，反向传播多了一条捷径。", topic="残差",
                 sources=[SourceSpan("c.md", 5, 6)], layout="t")
    kept, _ = deduplicate([real, pointer, other])
    assert len(kept) == 1 and [s.file for s in kept[0].sources] == ["a.md", "b.md", "c.md"]
    assert "p142" not in kept[0].answer and "另一来源" in kept[0].answer and "捷径" in kept[0].answer
    # a pointer first keeps a real answer that comes after it, and the real answer leads
    kept, _ = deduplicate([pointer, real])
    assert kept[0].answer.startswith("恒等映射") and kept[0].answer.endswith("另一来源：\n\n见 p142")
    assert [s.file for s in kept[0].sources] == ["a.md", "b.md"]
