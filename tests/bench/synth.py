"""A synthetic corpus in the layouts the pipeline knows, with planted duplicates."""
from __future__ import annotations

import random
from pathlib import Path

TERMS = [f"{a}{b}" for a in ("Res", "Dense", "Mobile", "Efficient", "Shuffle", "Squeeze", "Inception", "Xception",
                             "Conv", "Trans", "Swin", "Deit", "Vit", "Bert", "Gpt", "T5", "Bart", "Elmo", "Glove", "Fast")
         for b in ("Net", "Former", "Block", "Layer", "Head", "Gate", "Norm", "Pool", "Attn", "Mixer", "Embed", "Loss",
                   "Encoder", "Decoder", "Adapter")]
TEMPLATES = ["简述{a}和{b}的区别与联系。", "为什么{a}比{b}更适合小数据集？", "{a}中的{b}起什么作用？",
             "如何把{a}迁移到{b}上？", "{a}与{b}在计算量上有何不同？"]
NEAR = {"简述{a}和{b}的区别与联系。": "请简述{a}与{b}的区别和联系。",
        "为什么{a}比{b}更适合小数据集？": "为什么{a}比{b}更加适合小数据集？",
        "{a}中的{b}起什么作用？": "{a}里的{b}起什么作用？",
        "如何把{a}迁移到{b}上？": "如何将{a}迁移到{b}上？",
        "{a}与{b}在计算量上有何不同？": "{a}和{b}在计算量上有何不同？"}
ANSWER = "{a} 的核心在于结构设计，{b} 则侧重训练稳定性。两者可以组合使用，公式为 $y = f(x) + x$，实验中收敛更快。"


def layout(kind: int, number: int, question: str, answer: str) -> str:
    if kind == 0:
        return f"{number}、{question}\n\n{answer}\n\n"
    if kind == 1:
        return f"### {question}\n\n{answer}\n\n"
    if kind == 2:
        return f"Q:{question}\n\n{answer}\n\n"
    return f"- {question.rstrip('。？')}：{answer}\n"


def generate(folder: Path, documents: int, per_document: int = 50, seed: int = 7) -> list[tuple[str, str]]:
    """Write the corpus; return the planted duplicate pairs (original, copy) of questions."""
    rng = random.Random(seed)
    pairs = [(a, b) for a in TERMS for b in TERMS if a != b]
    rng.shuffle(pairs)
    folder.mkdir(parents=True, exist_ok=True)
    made: list[str] = []
    planted: list[tuple[str, str]] = []
    k = 0
    for d in range(documents):
        kind = d % 4
        body = ["## 主题一\n\n" if kind == 1 else ("主题一\n\n" if kind == 3 else "")]
        for n in range(1, per_document + 1):
            if made and rng.random() < 0.02:  # an exact repeat from an earlier document
                question = rng.choice(made)
                planted.append((question, question))
            elif made and rng.random() < 0.02:  # a reworded repeat
                template, (a, b) = rng.choice(list(NEAR.items())), rng.choice(pairs[:k] or pairs[:1])
                question = template[1].format(a=a, b=b)
                original = template[0].format(a=a, b=b)
                if original not in made:
                    made.append(original)
                    body.append(layout(kind, n, original, ANSWER.format(a=a, b=b)))
                planted.append((original, question))
            else:
                a, b = pairs[k % len(pairs)]
                question = TEMPLATES[k % len(TEMPLATES)].format(a=a, b=b)
                k += 1
                made.append(question)
            a, b = pairs[k % len(pairs)]
            body.append(layout(kind, n, question, ANSWER.format(a=a, b=b)))
        suffix = ".md" if kind in (1, 3) else ".txt"
        (folder / f"doc{d:04d}{suffix}").write_text("".join(body), encoding="utf-8")
    return planted
