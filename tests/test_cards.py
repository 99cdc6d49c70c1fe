"""Choices, status, dedup, ids and the cards.yaml contract."""
from __future__ import annotations

import time
from dataclasses import replace

import jsonschema
import yaml

from pipeline.choices import block_keys, classify, classify_document, section_keys
from pipeline.dedup import deduplicate, why_same
from pipeline.ids import Registry, assign_ids
from pipeline.edits import apply_edits, read_edits
from pipeline.model import CARD_SCHEMA, Card, SourceLine, SourceSpan
from pipeline.output import card_record, tag
from pipeline.status import assess, has_real_answer
from pipeline.text import blank_marks, labels_answer, quiz_section, repeated_labels, unbold


def card(question: str, answer: str = "答。", topic: str = "T", file: str = "a.txt", line: int = 1) -> Card:
    return Card(question=question, answer=answer, topic=topic, sources=[SourceSpan(file, line, line + 1)], layout="t")


def test_choice_options_on_one_line_with_stated_key_and_premises_on_front():
    c = classify(card("梯度下降的正确步骤是什么?", "a.计算误差\n\nb.初始化\n\nA.ab B.ba C.aa D.bb\n\n解析:正确答案D,考查知识点。"))
    assert c.type == "choice" and c.correct == ["D"]
    assert [o.label for o in c.choices] == ["A", "B", "C", "D"] and c.choices[3].text == "bb"
    assert "b.初始化" in c.question and c.answer == "正确答案D,考查知识点。"


def test_options_one_per_line_and_key_forms():
    for key in ("答案：B", "答案是B", "正确答案B。"):
        c = classify(card("下列哪一项引入了非线性?", f"A.SGD\nB.ReLU\nC.卷积\nD.以上都不是\n{key}"))
        assert c.correct == ["B"], key


def test_options_as_list_items():
    c = classify(card("下列哪个不是激活函数？", "- A. ReLU\n- B. Sigmoid\n- C. Adam\n- D. Tanh\n\n答案：C"))
    assert c.type == "choice" and c.correct == ["C"] and [o.text for o in c.choices] == ["ReLU", "Sigmoid", "Adam", "Tanh"]


def test_checklist_options_with_ticked_answers():
    c = classify(card("Which activation for a binary output layer?",
                      "- [ ] ReLU\n- [ ] Leaky ReLU\n- [x] sigmoid\n- [ ] tanh\n\nNote: a probability."))
    assert c.type == "choice" and c.correct == ["C"] and c.choices[2].text == "sigmoid"
    assert c.answer == "Note: a probability."
    tf = classify(card("tanh centers the data. True/False?", "- [x] True\n- [ ] False"))
    assert tf.type == "truefalse" and tf.correct == ["A"]
    assert classify(card("Todo?", "- [ ] 甲\n- [ ] 乙")).type == "basic"


def test_an_unticked_checklist_of_labelled_options_is_only_the_pages_look():
    c = classify(card("Which norm uses batch statistics?",
                      "- [ ] A) LayerNorm\n- [ ] B) BatchNorm\n\n**Correct Answer:** B) BatchNorm\n\nIt averages over the batch."))
    assert c.type == "choice" and c.correct == ["B"] and [o.text for o in c.choices] == ["LayerNorm", "BatchNorm"]
    assert c.answer == "It averages over the batch."  # the key line named the option by label and text
    tf = classify(card("Adam keeps two moving averages.", "- [ ] True\n- [ ] False\n\n**Correct Answer:** True"))
    assert tf.type == "truefalse" and tf.correct == ["A"] and [o.text for o in tf.choices] == ["True", "False"]
    # a key line that goes on past the option's text explains: it stays on the back
    said = classify(card("Which norm uses batch statistics?", "- [ ] A) LayerNorm\n- [ ] B) BatchNorm\n\nAnswer: B) BatchNorm, since it pools the batch"))
    assert said.correct == ["B"] and "since it pools" in said.answer


def test_a_summary_the_page_repeats_labels_the_answer_under_it():
    labels = repeated_labels(["<b>Peek</b>", "Peek", "Why ReLU?", "Why ReLU?", "Dropout in one line"])
    assert labels == frozenset({"peek"})  # a repeated question is a duplicate, not a label
    assert labels_answer("<b>Peek</b>", labels) and not labels_answer("Dropout in one line", labels)
    assert labels_answer("Click for Solution") and labels_answer("<b>查看答案</b>")
    assert not labels_answer("Solution architecture of a RAG system")


def test_true_false_with_implied_key_is_inferred_and_noted():
    c = assess(classify(card("这么说对还是不对?", "A.对 B.不对\n\n解析:。如他所说,可以进行这些操作。")))
    assert c.type == "truefalse" and c.correct == ["A"] and c.status == "ok" and c.notes


def test_choice_without_any_key_needs_review():
    c = assess(classify(card("下列哪项正确?", "A.甲\nB.乙\n解析:见教材。")))
    assert c.status == "needs_review" and c.correct == []


def test_enumerations_in_basic_answers_are_not_options():
    c = classify(card("CNN的卷积核是单层的还是多层的?", "A渔夫盯着品种;\nB渔夫盯着重量;"))
    assert c.type == "basic"


def test_real_answer_excludes_links_labels_placeholders():
    assert not has_real_answer("参考：\n\n- https://mp.weixin.qq.com/s/x")
    assert not has_real_answer("1.")
    assert not has_real_answer("- [ ] TODO")
    # a backslash line break between page pointers is no text of its own
    assert not has_real_answer("AdaGrad:p187;\\\nRMSProp:p188;") and has_real_answer("累积历史梯度\\\n从而抑制震荡，加快收敛。")
    assert not has_real_answer("![](https://a/b.png)")
    assert has_real_answer("DCGAN，Conditional GAN")
    assert has_real_answer("策略梯度")
    assert not has_real_answer("答：p24-p25")
    assert has_real_answer("关于非参数模型：p72；参数是无穷维的")
    # a list of chapters ("`Chapter 3.2; 3.4`") is references too; a number list in prose stays
    assert not has_real_answer("迁移学习 p201;p205     `Chapter 15.2; 15.4`")
    assert not has_real_answer("p43：3.10 上面那一段")
    assert has_real_answer("p43：学习率取 3.10 倍时损失发散，需要减小步长")
    assert has_real_answer("第 3 步用 section 2 的公式；2, 4 两层共享权重")
    assert not has_real_answer("- TF-IDF算法是做什么的？\n  - 为什么要用 IDF")
    assert has_real_answer("推导forget gate的变化;因为LSTM有进有出")
    # sub-headings with nothing under them, shown bold on the back, answer nothing
    assert not has_real_answer("**基础题**\n**进阶题**\n**高阶题**")
    assert has_real_answer("**基础题**\n先把损失函数写出来。")
    # a question left between placeholders (a heading that lost its marks) answers nothing
    assert not has_real_answer("- [ ] TODO\n\n核函数为什么能处理非线性问题？\n\n- [ ] TODO")
    assert has_real_answer("待补充\n\n核函数把样本映射到高维空间。")
    assert not has_real_answer(">待回答。") and not has_real_answer("待解答")
    assert has_real_answer("用户的问题待回答时，系统先检索相关文档。")
    # an answer that only names the document holding it points there; a name in a sentence answers
    assert not has_real_answer("见 2019_interview_notes") and not has_real_answer("详见 notes/cnn.md。")
    for text in ("见 LSTM 的门控结构，遗忘门决定保留多少。", "见 softmax", "见图", "参考 ResNet 的做法：加恒等捷径。"):
        assert has_real_answer(text), text
    assert has_real_answer("1. 在连续情况下是做积分 2. 这个和全连接神经网络没有区别")
    # link text may hold balanced brackets (CommonMark): still a link and nothing else
    assert not has_real_answer("- [优化笔记 [第二部分]](https://e.com/notes)")
    assert has_real_answer("[第二部分] 讲动量。")
    # a task's status where the answer would be says nothing about it
    for status_only in ("Done", "**NOT DONE**", "已完成", "not yet done."):
        assert not has_real_answer(status_only), status_only
    assert has_real_answer("Done when the validation loss stops improving.")
    assert has_real_answer("完成一次前向和反向传播。")
    # an answer that only names the file holding it is elsewhere
    assert not has_real_answer("代码见shuffle_channel.py")
    assert not has_real_answer("See `solution.ipynb`.")
    # (a link after it, its address gone, leaves the comma that set it off)
    assert not has_real_answer("见 schedulers.md, https://example.com/lr-notes")
    assert has_real_answer("见 train.py 第 20 行：先清零梯度再反向传播。")
    # a value after 在 names no file
    assert has_real_answer("在 0.5")


def test_an_author_who_could_not_work_it_out_gives_no_answer():
    for unsure in ("A：没想明白。", "没想通", "我不太清楚。", "答: 不知道"):
        assert not has_real_answer(unsure), unsure
    # the same words about a model, or a guess after them, are an answer
    assert has_real_answer("模型不知道该词，所以输出一个均匀分布。")
    assert has_real_answer("不知道的词用 <unk> 表示。")
    assert has_real_answer("我不太清楚，可能是学习率太大。")


def test_a_references_list_ends_at_a_bold_title_and_a_pointer_to_a_link_answers_nothing():
    assert has_real_answer("参考链接：\n- [一篇博客](https://e.com/a)\n\n**什么是投机解码？**\n\n小模型先猜，大模型验证。")
    assert not has_real_answer("**参考资料**\n\n张三，《优化方法》，第三章。\n\n**另见**")  # a title with nothing under it
    for pointer in ("在[推理笔记](../a.md)里面有详细介绍。", "- 详见[这篇文章](https://e.com/x)", "See [the notes](https://e.com) for details."):
        assert not has_real_answer(pointer), pointer
    # a link inside a sentence that answers is part of the answer
    assert has_real_answer("用[AdamW](https://e.com/adamw)即可，它把权重衰减和梯度更新分开。")
    assert has_real_answer("详细介绍见下文：批归一化把每层输入拉回同一尺度。")


def test_an_interview_logs_acknowledgements_and_asides_answer_nothing():
    for said in ("好的", "（终于轮到编程题了）好的", "嗯，了解", "OK", "（这题很简单，一遍过）", "balabala……"):
        assert not has_real_answer(said), said
    # a yes or no is an answer to a yes-or-no question, and a bracket that numbers a point is no aside
    for answer in ("可以。", "是的", "了解，它和 struct 类似，但成员共享内存。", "(1) 先归一化，再训练。", "(8, 3)."):
        assert has_real_answer(answer), answer


def test_an_answer_that_is_a_bank_of_further_questions_answers_nothing():
    bank = ("1. Basics\n   • What is a token? • Why normalise embeddings? • What does temperature change?\n"
            "2. Training\n   • Why warm up the learning rate? • What is gradient clipping for?\n   • Show how perplexity is computed.")
    assert not has_real_answer(bank)
    # an answer that asks on its way is mostly sentences that do not ask
    assert has_real_answer("Why does it help? The gradient stays bounded. Why not always? It costs memory.\n"
                           "What then? Use a smaller batch. Is that enough? Often it is. What else? Mixed precision.\n"
                           "Both cut the memory. Both keep the loss stable. Both are cheap to try.")
    assert has_real_answer("面试官可能追问：\n- 为什么小 batch 下 BN 差？\n- 推理时怎么算？\n\n答：统计量噪声大；推理用滑动平均。")
    # a checklist of questions shown in a code block is the answer's content
    checklist = ("```\nSteps:\n1. Data: Are the inputs scaled?\n2. Labels: Are any shuffled?\n3. Loss: Does it fall on one batch?\n"
                 "4. Gradients: Are they finite?\n5. Rate: Is it too high?\n```")
    assert has_real_answer(checklist) and not has_real_answer(checklist.replace("```\n", "").replace("\n```", ""))


def test_what_follows_a_references_label_is_no_answer_but_an_answer_label_opens_one():
    assert not has_real_answer("Links to refer:\n\nhttps://e.com/x\n\n**REFERENCES:**\n\n"
                               "Someone. 2020. Momentum explained. Available at: <https://e.com/y>.")
    assert not has_real_answer("**参考资料**\n\n张三，《优化方法》，第三章。")
    assert has_real_answer("动量累积历史梯度。\n\n**参考资料**\n\n张三，《优化方法》。")
    assert not has_real_answer("_暂缺_")
    assert has_real_answer("库存暂缺时返回默认值。")
    for label in ("**参考答案：**", "答案：", "**解析**", "A:"):
        assert has_real_answer(f"{label}\n前几百步线性增大学习率。"), label


def test_near_duplicates_merge_and_different_questions_do_not():
    assert why_same("简述神经网络的发展历史。", "", "请简述神经网络的发展史。", "")
    assert why_same("为什么LSTM模型中既存在sigmoid又存在tanh两种激活函数,而不是选择统一一种?", "",
                    "为什么LSTM模型中既存在sigmoid又存在tanh两种激活函数？", "")
    assert not why_same("介绍下GAN", "", "介绍下GCN", "")
    assert not why_same("什么是卷积?", "", "什么是梯度爆炸?", "")
    assert not why_same("ResNet-50 有多少层？", "", "ResNet-101 有多少层？", "")
    assert not why_same("一句话定义?", "梯度消失", "一句话定义?", "正则化")
    assert not why_same("为什么ResNet比VGG更适合小数据集？", "", "为什么VGG比ResNet更适合小数据集？", "")
    assert why_same("一句话定义?", "梯度消失", "一句话定义?", "梯度消失")


def test_questions_that_differ_in_one_named_thing_are_two():
    for a, b in [("什么是语义分割？有哪些经典方法？", "什么是实例分割？有哪些经典方法？"),
                 ("Dropout 的优点是什么？", "Dropout 的缺点是什么？"),
                 ("注意力机制的思路是什么？", "注意力机制的步骤是什么？"),
                 ("工具调用是怎么训练的？", "工具调用是怎么做的？")]:
        assert why_same(a, "", b, "") is None, (a, b)
    # an interrogative put for another, or a rewording here and there, is the same question
    assert why_same("卷积神经网络中，深度与宽度的关系，及其表示能力的差异", "",
                    "在卷积网络中，深度与宽度的关系及表示能力的差异", "")
    assert why_same("如何把预训练模型迁移到小数据集上？", "", "如何将预训练模型迁移到小数据集上？", "")


def test_a_question_that_asks_why_is_not_one_that_asks_what():
    # (they share a long English term, which made them near duplicates before)
    for a, b in [("什么是 gradient checkpointing？", "为什么 gradient checkpointing 重要？"),
                 ("什么是 mixed precision training？", "为何 mixed precision training 有效？")]:
        assert why_same(a, "", b, "") is None, (a, b)
    # both asking why, in other words, are one question
    assert why_same("为什么大模型训练时要做梯度累积？", "", "为何大模型训练时要做梯度累积？", "")


def test_ordinal_siblings_stay_apart_in_dedup_and_in_the_registry():
    siblings = ["第一种学习率衰减策略有什么缺点？", "第二种学习率衰减策略有什么缺点？", "第三种学习率衰减策略有什么缺点？"]
    merged, merges = deduplicate([card(q) for q in siblings])
    assert [c.question for c in merged] == siblings and merges == []
    for a, b in [("其一指的是哪种采样方式？", "其二指的是哪种采样方式？"),
                 ("解释一下方案二里数据增强的作用", "解释一下方案三里数据增强的作用"),
                 ("（一）词向量训练时负采样怎么做？", "（二）词向量训练时负采样怎么做？"),
                 ("反向传播的第十步在算什么梯度？", "反向传播的第十一步在算什么梯度？")]:
        assert not why_same(a, "", b, ""), (a, b)
    # a Chinese ordinal is the same number as its digits
    assert why_same("第二种学习率衰减策略有什么缺点？", "", "第2种学习率衰减策略有什么缺点？", "")
    # the registry's near match follows the same rule: a sibling gets an id of its own
    registry = Registry()
    first, _ = assign_ids([card(siblings[0])], registry)
    second, _ = assign_ids([card(siblings[1])], registry)
    assert second[0].id != first[0].id


def test_huge_near_identical_questions_are_compared_in_linear_time():
    # SequenceMatcher took minutes on two such questions; they are compared only exactly
    body = "为什么批归一化在小批量上的统计量不稳定" * 2_500
    started = time.process_time()
    assert why_same(body + "？", "", body + "呢？", "") is None
    assert why_same(body + "？", "", body + "？", "") == "exact"
    assert time.process_time() - started < 1


def test_near_duplicates_with_a_plain_one_in_them_still_merge():
    # 一 as "a"/"once"/"in general" is no numbering: these are rewordings
    assert why_same("请介绍一下注意力机制的计算过程", "", "请介绍下注意力机制的计算过程", "")
    assert why_same("这种归一化方法一般用在哪些网络里？", "", "这种归一化方法一般用于哪些网络里？", "")
    assert why_same("第一种学习率衰减策略有什么缺点？", "", "第一种学习率衰减策略有哪些缺点？", "")
    merged, merges = deduplicate([card("为什么要用一种自适应的优化器？"), card("为什么要用一种自适应优化器？")])
    assert len(merged) == 1 and len(merges) == 1


def test_merged_card_keeps_every_answer_phrasing_and_source():
    a = card("简述神经网络的发展历史。", "Hebb 1949", file="a.txt")
    b = card("请简述神经网络的发展史。", "WGAN-GP", file="b.txt", line=9)
    merged, merges = deduplicate([a, b, card("介绍下GCN")])
    assert len(merged) == 2 and len(merges) == 1
    assert merged[0].aliases == ["请简述神经网络的发展史。"]
    assert "Hebb" in merged[0].answer and "WGAN-GP" in merged[0].answer
    assert [s.file for s in merged[0].sources] == ["a.txt", "b.txt"]


def test_ids_survive_rewording_and_are_never_reused():
    registry = Registry()
    first, _ = assign_ids([card("什么是批量归一化的目的和原理？"), card("介绍下GAN")], registry)
    again, gone = assign_ids([card("什么是批量归一化的目的与原理？"), card("介绍下GCN")], registry)
    assert again[0].id == first[0].id
    assert again[1].id != first[1].id
    assert gone == [(first[1].id, "介绍下GAN")]
    back, _ = assign_ids([card("介绍下GAN")], registry)
    assert back[0].id == first[1].id


def test_a_front_that_lost_its_number_or_label_keeps_its_id():
    registry = Registry()
    first, _ = assign_ids([card("1: Explain backpropagation step by step."), card("Q2 How is KNN different?"),
                           card("2024年的模型有哪些？")], registry)
    again, _ = assign_ids([card("Explain backpropagation step by step."), card("How is KNN different?"),
                           card("年的模型有哪些？")], registry)
    assert [c.id for c in again[:2]] == [c.id for c in first[:2]]
    assert again[2].id != first[2].id  # a year is no label


def test_cards_yaml_of_the_seeds_matches_the_schema(seeds_build):
    out, data = seeds_build
    jsonschema.validate(data, CARD_SCHEMA)
    ids = [c["id"] for c in data["cards"]]
    assert len(ids) == len(set(ids))
    # one deck named in sources.yaml; the topic is a tag
    assert all(c["deck"] == "深度学习面试" and f"topic::{tag(c['topic'])}" in c["tags"] for c in data["cards"])
    assert all(" " not in t for c in data["cards"] for t in c["tags"])
    for c in data["cards"]:
        if c["status"] == "ok":
            assert c["answer"].strip() or c["correct"], c["id"]


def test_registry_round_trips(tmp_path):
    registry = Registry()
    assign_ids([card("什么是卷积？")], registry)
    registry.write(tmp_path / "ids.yaml")
    again = Registry.read(tmp_path / "ids.yaml")
    assert again.ids == yaml.safe_load((tmp_path / "ids.yaml").read_text(encoding="utf-8"))["ids"]


def test_blanks_are_underscore_runs_and_empty_brackets_not_names_bold_or_rules():
    assert len(blank_marks("优化器用____和____更新参数")) == 2
    assert len(blank_marks("池化层（ ）参数，卷积层（）参数，全连接层( )参数")) == 3
    assert len(blank_marks("和__两部分__组成的结构")) == 2  # inside a word, __ is no bold
    assert len(blank_marks("The three stages are sensing, (…) and acting.")) == 1
    assert len(blank_marks("反向传播先算（……），再逐层求梯度")) == 1
    for text in ("为什么要定义 __init__ 方法", "这是 __加粗__ 的文字", "________", "调用 f() 返回什么", "x___y 是变量名",
                 "调用 f(...) 返回什么", "model.fit(…) 训练模型", "取 a[0](...) 的值"):
        assert blank_marks(text) == [], text
    assert unbold("**注意** 填____和__两部分__") == "注意 填____和__两部分__"


def test_quiz_keys_that_are_not_keys_leave_the_card_as_it_is():
    # an answer that starts with a word beginning in A–H is no letter key
    c = classify(card("下列哪个优化器最常用？", "A. SGD\nB. Adam\n答案：Bad question, both work."))
    assert c.type == "choice" and c.correct == [] and assess(c).status == "needs_review"
    # a key naming a label that no option has is no key
    assert classify(card("下列哪个是激活函数？", "A. ReLU\nB. Adam\n答案：D")).correct == []
    # lower-case labels also number steps: without a key they stay an answer
    steps = classify(card("训练一个网络的步骤是什么？", "a. 前向传播\nb. 反向传播\nc. 更新参数"))
    assert steps.type == "basic"
    # a long first line is an answer, not a blank's key
    long = "因为它" + "在每一步都把历史梯度按指数衰减加权累积起来" * 3
    assert classify(card("动量法的____有什么作用？", long)).type == "basic"


def test_cloze_status_needs_one_key_per_blank_and_the_schema_takes_it():
    c = assess(classify(card("BN 在训练时用____的统计量，测试时用____的统计量。", "当前批；滑动平均")))
    assert c.type == "cloze" and c.blanks == ["当前批", "滑动平均"] and c.status == "ok"
    assert c.answer == "当前批；滑动平均"
    assert assess(replace(c, blanks=["当前批"])).status == "needs_review"
    record = card_record(replace(c, id="c-abcdef", deck="d"))
    jsonschema.validate({"pipeline_version": "1", "generated": "x", "cards": [record]}, CARD_SCHEMA)
    assert record["blanks"] == ["当前批", "滑动平均"] and "blanks" not in card_record(card("问？"))


def test_quiz_sections_in_english_name_the_kinds_the_chinese_labels_do():
    assert [quiz_section(t) for t in ("True or False", "Part B: True/False", "**Multiple-Choice Questions**",
                                      "Fill in the blanks (1 point each)", "Short Answer", "二、判断题（每题2分）")] == [
        "判断题", "判断题", "选择题", "填空题", "简答题", "判断题"]
    # the same words in a title or a sentence name no section
    assert [quiz_section(t) for t in ("True or false: the loss always falls", "Short answers about CNNs are fine",
                                      "Multiple choice of optimizers in practice", "Transformer")] == ["", "", "", ""]


def test_a_statement_prompted_true_or_false_is_one_to_judge_without_the_prompt():
    judged = classify(card("Dropout stays on at test time. (True / False)", "False"))
    assert (judged.type, judged.question, judged.correct) == ("truefalse", "Dropout stays on at test time.", ["B"])
    unkeyed = classify(card("梯度裁剪能缓解梯度爆炸。（对/错）", ""))
    assert (unkeyed.type, unkeyed.question, unkeyed.correct) == ("truefalse", "梯度裁剪能缓解梯度爆炸。", [])
    # brackets that hold other words are part of the statement
    assert classify(card("ReLU is cheap to compute (true for most hardware).", "Yes.")).type == "basic"


def test_a_key_line_labelled_by_its_section_keys_that_section():
    assert section_keys("*   **Multiple Choice:** 1(c), 2(a, d), 3（B）") == ("选择题", {1: "C", 2: "A, D", 3: "B"}, {})
    assert section_keys("- **True or False:** 1(False - the step may diverge), 2(True)") == (
        "判断题", {1: "False", 2: "True"}, {1: "the step may diverge"})
    assert section_keys("判断题：1-3 √×√") == ("判断题", {1: "√", 2: "×", 3: "√"}, {})
    # a label that names no quiz section, or words among the keys: no key line
    assert section_keys("**Chapter 2:** 1(c), 2(a)") is None
    assert section_keys("**Multiple Choice:** 1(c) is the best, see 2(a)") is None


def test_a_key_block_keys_numbered_questions_and_leaves_the_answer():
    assert block_keys("参考答案：1-5 BCADA 6-8 DDB") == {1: "B", 2: "C", 3: "A", 4: "D", 5: "A", 6: "D", 7: "D", 8: "B"}
    assert block_keys("9-12 √××√") == {9: "√", 10: "×", 11: "×", 12: "√"}
    assert block_keys("1-3 AB") == {} and block_keys("第 1-2 章讲了 AB 两种方法") == {}
    lines = ["1. 哪种层没有参数？ A. 卷积 B. 池化", "2. 词表外的词可以拆成子词。（ ）", "答案：1 B 2 √"]
    doc = [SourceLine(n, t) for n, t in enumerate(lines, start=1)]
    cards = [card("哪种层没有参数？ A. 卷积 B. 池化", "", line=1), card("词表外的词可以拆成子词。（ ）", "1 B 2 √", line=2)]
    first, second = classify_document(cards, doc)
    assert (first.type, first.question, first.correct) == ("choice", "哪种层没有参数？", ["B"])
    assert (second.type, second.correct, second.answer) == ("truefalse", ["A"], "")


def test_an_edit_can_give_a_sentence_its_blanks(tmp_path):
    (tmp_path / "edits.yaml").write_text("c-aaaaaa:\n  blanks: [残差, 恒等]\n", encoding="utf-8")
    wanted, path = read_edits(tmp_path)
    edited, _ = apply_edits([Card("网络用____连接把输入____地传下去", "残差、恒等", "T", [SourceSpan("a.md", 1, 2)], "t",
                                  id="c-aaaaaa")], wanted, path, Registry())
    assert (edited[0].type, edited[0].blanks, edited[0].status) == ("cloze", ["残差", "恒等"], "ok")


def test_quiz_reading_is_linear_on_hostile_lines():
    """Thousands of option labels, blanks or key groups on one line: each was read once, not
    once per label (the options at the end of a question line took 14 s on 20,000 characters)."""
    import time
    for line in ("A. " * 7000, "a) " * 7000, "Ａ． " * 7000, "__ " * 7000, "（ ）" * 7000, "1-2 AB " * 3000):
        start = time.perf_counter()
        classify(card(line, line, topic="判断题"))
        classify(card("下列哪个____？", line))
        block_keys(line)
        assert time.perf_counter() - start < 1.0, line[:10]
    # a front of thousands of bare fences (each tried as the opening of the options' fence)
    start = time.perf_counter()
    classify(card("选哪个？\n" + "```\n甲\n" * 20_000 + "~~~", "B"))
    assert time.perf_counter() - start < 1.0


def test_options_set_in_a_bare_fence_at_the_end_of_the_front_leave_it():
    fenced = classify(card("**下列哪种激活函数输出以零为中心？**\n```\nA. Sigmoid\nB. Tanh\n```", "答案：B"))
    assert (fenced.type, fenced.question, [c.text for c in fenced.choices], fenced.correct) == (
        "choice", "**下列哪种激活函数输出以零为中心？**", ["Sigmoid", "Tanh"], ["B"])
    # code in a fence with its language, or lines other than options, stay in the front
    for inside in ("```python\nA. x = 1\nB. y = 2\n```", "```\nA. Sigmoid\nprint(1)\nB. Tanh\n```"):
        assert classify(card("下面哪个对？\n" + inside, "答案：B")).question.endswith("```")


def test_a_question_and_its_opposite_stay_apart():
    for a, b in [("训练时如果批大小设得过大，会出现什么现象？", "训练时如果批大小设得过小，会出现什么现象？"),
                 ("模型出现过拟合时应该先调哪些超参数？", "模型出现欠拟合时应该先调哪些超参数？"),
                 ("为什么深层网络的学习率要调低一些？", "为什么深层网络的学习率要调高一些？")]:
        assert not why_same(a, "", b, ""), (a, b)
    # the same words in both, or a rewording, still merge
    assert why_same("大模型的上下文长度该如何扩展？", "", "大模型上下文长度该如何扩展？", "")


def test_a_front_repeated_over_three_different_answers_is_a_label_kept_apart():
    from pipeline.dedup import deduplicate
    from pipeline.edits import _patched
    from pipeline.status import LABEL_FRONT, assess_document
    answers = ["Weights shrink toward zero.", "Gradients stay in range.", "Each layer sees a stable input."]
    cards = [Card(question="Show answer", answer=a, topic="t", sources=[SourceSpan("a.md", n, n)], layout="heading")
             for n, a in enumerate(answers)]
    assessed = assess_document(cards)
    assert {c.status for c in assessed} == {"needs_review"} and all(LABEL_FRONT in c.notes for c in assessed)
    kept, merges = deduplicate(assessed)
    assert len(kept) == 3 and not merges
    # a question repeated with the same answer is a duplicate, no label; twice is no label
    assert {c.status for c in assess_document([replace(cards[0], answer=answers[0])] * 3)} == {"ok"}
    assert {c.status for c in assess_document(cards[:2])} == {"ok"}
    fixed = _patched(assessed[0], {"question": "What does weight decay do?"})
    assert fixed.status == "ok" and LABEL_FRONT not in fixed.notes


def test_a_short_answer_repeated_under_three_questions_is_a_templates_blank():
    from pipeline.edits import _patched
    from pipeline.status import TEMPLATE_BLANK, assess_document
    cards = [Card(question=f"问题{n}？", answer="Your answer here.", topic="t", sources=[SourceSpan("a.md", n, n)], layout="heading")
             for n in range(3)] + [Card(question="BN 是什么？", answer="批归一化。", topic="t", sources=[SourceSpan("a.md", 9, 9)], layout="heading")]
    assessed = assess_document(cards)
    assert [c.status for c in assessed] == ["needs_answer"] * 3 + ["ok"]
    assert TEMPLATE_BLANK in assessed[0].notes
    assert [c.status for c in assess_document(cards[1:])] == ["ok"] * 3  # twice is no template
    assert {c.status for c in assess_document([cards[3]] * 3)} == {"ok"}  # one question repeated is no template
    fixed = _patched(assessed[0], {"answer": "编码器、解码器和注意力。"})
    assert fixed.status == "ok" and TEMPLATE_BLANK not in fixed.notes


def test_an_empty_answer_label_where_the_page_fills_others_is_no_answer_until_an_edit_fills_it():
    from pipeline.edits import _patched
    from pipeline.model import SourceLine
    from pipeline.status import EMPTY_ANSWER, assess_document
    texts = ["**1. 梯度裁剪裁什么？**", "**答案**：梯度的范数", "**解析：** 超过阈值就按比例缩小。",
             "**2. 预热多少步？**", "**答案：**", "**解析：**", "**要点**", "调度器"]
    lines = [SourceLine(n, t) for n, t in enumerate(texts, start=1)]
    cards = [Card(question="梯度裁剪裁什么？", answer="梯度的范数\n**解析：** 超过阈值就按比例缩小。", topic="t",
                  sources=[SourceSpan("a.md", 1, 3)], layout="bold"),
             Card(question="预热多少步？", answer="**解析：**\n**要点**\n调度器", topic="t",
                  sources=[SourceSpan("a.md", 4, 8)], layout="bold")]
    assessed = assess_document(cards, lines)
    assert [c.status for c in assessed] == ["ok", "needs_answer"] and EMPTY_ANSWER in assessed[1].notes
    # with no filled label anywhere on the page, the same shape is how the page writes its answers
    assert [c.status for c in assess_document(cards[1:], lines)] == ["ok"]
    fixed = _patched(assessed[1], {"answer": "几百到几千步，看总步数。"})
    assert fixed.status == "ok" and EMPTY_ANSWER not in fixed.notes
