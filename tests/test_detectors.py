"""Each layout detector on small inputs, seed layouts and layouts the seeds lack."""
from __future__ import annotations

from pipeline.clean import clean
from pipeline.extract import bare_line, bold, bullet, extract, heading, numbered, qa_marker, question_line, quote_title, table_row
from pipeline.extract.base import answer_label_alone, opens_with_answer_label
from pipeline.extract.lines import analyse, last_content, next_content
from pipeline.model import Document, SourceLine


def lines_of(text: str, kind: str = "markdown"):
    src = [SourceLine(i, t) for i, t in enumerate(text.split("\n"), start=1)]
    return analyse(clean(Document("t.md", kind, src, len(src), "utf-8")).lines)


def cards_of(text: str, kind: str = "markdown"):
    src = [SourceLine(i, t) for i, t in enumerate(text.split("\n"), start=1)]
    ex = extract(clean(Document("t.md", kind, src, len(src), "utf-8")), "标题")
    return [(c.question, c.answer, c.topic, c.layout) for c in ex.cards]


def questions(marks):
    return [m.text for m in marks if m.role == "question"]


def test_the_lines_around_a_position_skip_blank_lines_within_bounds():
    lines = lines_of("一\n\n二\n\n\n三")
    assert [next_content(lines, k).text for k in range(0, 4)] == ["一", "二", "二", "三"]
    assert next_content(lines, 6) is None and next_content(lines, 3, 5) is None
    assert [last_content(lines, k).text for k in (1, 2, 3, 5, 6)] == ["一", "一", "二", "二", "三"]
    assert last_content(lines, 0) is None and last_content(lines, 5, 3) is None


def test_answer_labels_at_a_line_start_and_alone():
    assert opens_with_answer_label("答：打破对称性。") and opens_with_answer_label("- **Answer:** gradient clipping")
    # the same words as content, not labels
    assert not opens_with_answer_label("答辩时通常会问什么？") and not opens_with_answer_label("Answers vary with the data.")
    assert answer_label_alone("**参考答案：**") and answer_label_alone("Solution:") and answer_label_alone("> 答：")
    assert not answer_label_alone("答：打破对称性。") and not answer_label_alone("**答**：**Adam** 更快")


def test_qa_marker_q_and_a_lines():
    text = "Q: 什么是BN？\nA: 批量归一化。\n\n问：Dropout 的作用？\n答：防止过拟合。"
    assert questions(qa_marker.detect(lines_of(text))) == ["什么是BN？", "Dropout 的作用？"]
    assert cards_of(text) == [("什么是BN？", "批量归一化。", "标题", "qa_marker"),
                              ("Dropout 的作用？", "防止过拟合。", "标题", "qa_marker")]


def test_question_and_answer_on_one_line():
    text = "- **Q:** What is batch norm? **A:** Normalizing activations per mini-batch.\n- Q: 什么是BN？ 答：批量归一化。"
    assert [c[:2] for c in cards_of(text)] == [("What is batch norm?", "Normalizing activations per mini-batch."),
                                                ("什么是BN？", "批量归一化。")]


def test_answer_label_in_an_italic_list_item():
    text = "*   **Q: Why use ReLU?**\n    - *A:* It avoids vanishing gradients.\n*   **Q: What is BN?**\n    - *A:* Normalization."
    assert [c[:2] for c in cards_of(text)] == [("Why use ReLU?", "It avoids vanishing gradients."),
                                                ("What is BN?", "Normalization.")]


def test_a_bold_that_opens_before_the_answer_label_and_closes_inside_the_answer_leaves_no_stars():
    text = ("**Q: 线性回归怎么推导？**\n\n**A: 先推一元的情形。**$y=wx+b$，再推到多元。\n\n"
            "**Q: 为什么要归一化？**\n\n**A:** 让梯度下降更快收敛。")
    assert [c[:2] for c in cards_of(text)] == [("线性回归怎么推导？", "先推一元的情形。$y=wx+b$，再推到多元。"),
                                                ("为什么要归一化？", "让梯度下降更快收敛。")]


def test_wrapped_chinese_section_numbers_open_topics():
    text = "（一）卷积神经网络\n\n问：感受野如何计算？\n答：逐层累加。\n\n（二）循环神经网络\n\n问：LSTM 有几个门？\n答：三个。"
    assert [(c[0], c[2]) for c in cards_of(text, "text")] == [("感受野如何计算？", "卷积神经网络"),
                                                              ("LSTM 有几个门？", "循环神经网络")]


def test_markdown_ordered_list_of_bold_questions_with_indented_answers():
    text = ("1. **What is the vanishing gradient problem?**\n\n   Gradients shrink.\n\n"
            "2. **How does batch normalization help?**\n\n   It normalizes inputs.\n\n   It regularizes.\n\n"
            "3. **Explain dropout.**\n\n   Randomly zeroing activations.")
    cards = cards_of(text)
    assert [c[0] for c in cards] == ["What is the vanishing gradient problem?", "How does batch normalization help?",
                                     "Explain dropout."]
    assert cards[1][1] == "It normalizes inputs.\n\nIt regularizes."


def test_numbered_answer_labels():
    text = "Q1：什么是过拟合？\nA1：训练好，测试差。\n\nQ2：怎么解决？\nA2：正则化。"
    assert [c[:2] for c in cards_of(text, "text")] == [("什么是过拟合？", "训练好，测试差。"), ("怎么解决？", "正则化。")]


def test_bracketed_question_and_answer_labels():
    text = "【问题】什么是梯度裁剪？\n【答案】把梯度的范数限制在阈值以内。\n\n【问题1】为什么要归一化？\n【答案】加速收敛。"
    assert cards_of(text, "text") == [("什么是梯度裁剪？", "把梯度的范数限制在阈值以内。", "标题", "qa_marker"),
                                      ("为什么要归一化？", "加速收敛。", "标题", "qa_marker")]


def test_table_rows_pairing_questions_and_answers():
    text = "## 速记\n\n| 问题 | 答案 |\n|---|---|\n| 什么是BN？ | 批量归一化 |\n| Dropout 的作用是什么？ | 防止过拟合 |\n| 备注 | 无 |"
    assert questions(table_row.detect(lines_of(text))) == ["什么是BN？", "Dropout 的作用是什么？"]
    assert cards_of(text)[:2] == [("什么是BN？", "批量归一化", "速记", "table_row"),
                                  ("Dropout 的作用是什么？", "防止过拟合", "速记", "table_row")]


def test_a_table_header_row_names_columns_even_when_a_cell_asks():
    text = "| 做法 | 可逆? | 代价 |\n| --- | --- | --- |\n| 剪枝 | 否 | 精度 |\n| 量化后能否恢复原权重？ | 不能 | 误差 |"
    assert questions(table_row.detect(lines_of(text))) == ["量化后能否恢复原权重？"]


def test_qa_marker_dotted_numbers_and_template_placeholders():
    # "Question 2.1:" is one label; "Question: ..." in a format description asks no word
    text = "Question: ...\nAnswer: ...\n\n- Question 2.1: Which norm keeps the mean?\n  - Answer: LayerNorm"
    assert questions(qa_marker.detect(lines_of(text))) == ["Which norm keeps the mean?"]
    # the word Question as content opens no label
    assert questions(qa_marker.detect(lines_of("Question marks end every prompt here."))) == []


def test_qa_marker_without_answer_label_and_bold_question():
    text = "**Q1: 为什么用ReLU?**\n计算快。\n\nQ:Sigmoid 还能用吗?\n能,仅用于输出层。"
    assert cards_of(text)[0][:2] == ("为什么用ReLU?", "计算快。")
    assert cards_of(text)[1][:2] == ("Sigmoid 还能用吗?", "能,仅用于输出层。")


def test_heading_questions_with_subheadings_inside_the_answer():
    text = ("# 前向网络\n\n#### ReLU有什么优点？\n\n##### 优点\n\n计算简单\n\n##### 缺点\n\n会死亡\n\n"
            "### 训练技巧\n\n#### 能否全零初始化？\n\n不能。")
    marks = heading.detect(lines_of(text))
    assert questions(marks) == ["ReLU有什么优点？", "能否全零初始化？"]
    cards = cards_of(text)
    assert "**优点**" in cards[0][1] and "会死亡" in cards[0][1]
    assert cards[1][2] == "训练技巧"


def test_heading_without_question_mark_among_asking_siblings():
    text = "## 面试题\n\n### 什么是A？\n\n甲\n\n### 什么是B？\n\n乙\n\n### 数据不平衡的解决方法\n\n重采样\n\n### 为什么C？\n\n丙"
    assert "数据不平衡的解决方法" in questions(heading.detect(lines_of(text)))


def test_numbered_question_headings_without_a_question_mark():
    text = "## Q1: 为什么要除以根号 d_k？\n\n防止饱和。\n\n## Q2: 位置编码有哪些？\n\nRoPE。\n\n## Q3: Multi-head 的作用\n\n**A:** 不同子空间。"
    assert cards_of(text)[2][:2] == ("Multi-head 的作用", "不同子空间。")


def test_numbered_section_headings_are_topics():
    text = "## 3. 梯度下降\n\n### 3.1 随机梯度下降\n\n### 3.2 批梯度下降\n\n## 面试题\n\n### 3.5.1 为什么要归一化？\n\n加速。"
    marks = heading.detect(lines_of(text))
    assert questions(marks) == ["为什么要归一化？"]
    assert [m.text for m in marks if m.role == "topic"] == ["梯度下降", "随机梯度下降", "批梯度下降", "面试题"]


def test_question_n_headings():
    text = "## 问题1: 什么是过拟合\n\n模型记住了噪声。\n\n## 问题2: 如何缓解？\n\n正则化。"
    assert cards_of(text) == [("什么是过拟合", "模型记住了噪声。", "标题", "heading"),
                              ("如何缓解？", "正则化。", "标题", "heading")]


def test_html_h3_questions_and_details(tmp_path):
    from pipeline.ingest import ingest
    page = tmp_path / "p.html"
    page.write_text("<html><body><article><h2>面试题</h2><h3>什么是感受野？</h3><p>映射回输入的区域。</p>"
                    "<h3>空洞卷积的作用？</h3><p>缺点：</p><p>如何解决？</p><p>混合膨胀率。</p>"
                    "<details><summary>为什么卷积网络要用池化层？</summary><p>降维。</p></details></article></body></html>",
                    encoding="utf-8")
    ex = extract(clean(ingest(page)), "p")
    assert [(c.question, c.topic) for c in ex.cards] == [("什么是感受野？", "面试题"), ("空洞卷积的作用？", "面试题"),
                                                         ("为什么卷积网络要用池化层？", "面试题")]
    assert "如何解决？" in ex.cards[1].answer


def test_html_definition_list_faq(tmp_path):
    from pipeline.ingest import ingest
    page = tmp_path / "faq.html"
    page.write_text("<html><body><main><dl><dt>什么是过拟合？</dt><dd>训练好、测试差。</dd>"
                    "<dt>如何缓解过拟合？</dt><dd>正则化、数据增强。</dd></dl></main></body></html>", encoding="utf-8")
    ex = extract(clean(ingest(page)), "faq")
    assert [(c.question, c.answer, c.layout) for c in ex.cards] == [
        ("什么是过拟合？", "训练好、测试差。", "bold"), ("如何缓解过拟合？", "正则化、数据增强。", "bold")]


def test_numbered_items_and_gap_in_the_run():
    text = "1、什么是A?\n\n甲\n\n2、已知:\n\n- 前提\n\n给定上述,什么是B?\n\n乙\n\n3、什么是C?\n\n丙"
    assert questions(numbered.detect(lines_of(text, "text"))) == ["什么是A?", "已知:", "什么是C?"]


def test_numbered_points_inside_answers_are_not_questions():
    text = ("16. 简述BN的目的。\n\n一、目的\n\n1. 加速训练收敛:\n  • 更稳定\n2. 提高泛化能力:\n  • 更鲁棒\n\n"
            "17. 解释池化层的作用。\n\n1. 降维:\n  • 减少参数")
    assert questions(numbered.detect(lines_of(text, "text"))) == ["简述BN的目的。", "解释池化层的作用。"]
    cards = cards_of(text, "text")
    assert len(cards) == 2 and "一、目的" in cards[0][1]


def test_numbered_topics_above_q_lines():
    text = "1. 激活函数\n\nQ:ReLU 的优势?\n\n  1. 计算快\n  2. 稀疏\n\n2. 正则化\n\nQ:L1 与 L2 区别?\n\nL1 稀疏。"
    cards = cards_of(text, "text")
    assert [(c[0], c[2]) for c in cards] == [("ReLU 的优势?", "激活函数"), ("L1 与 L2 区别?", "正则化")]
    assert "2. 稀疏" in cards[0][1]


def test_dotted_numbering_with_subquestions():
    text = "6. 面试题\n\n6.1 为什么要归一化？\n\n加速收敛。\n\n6.2 激活函数是什么？\n\n6.2.1 什么是激活函数？\n\n非线性函数。"
    cards = cards_of(text, "text")
    assert [c[0] for c in cards] == ["为什么要归一化？", "激活函数是什么？", "什么是激活函数？"]
    assert cards[1][1] == ""


def test_numbers_with_a_dot_inside_their_brackets_number_items():
    text = "（1.）为什么要归一化？\n加速收敛。\n\n（2.）什么是 BN？\n批归一化。\n\n1.) 早停\n2.) 权重衰减"
    cards = cards_of(text, "text")
    assert [(c[0], c[1]) for c in cards] == [("为什么要归一化？", "加速收敛。"), ("什么是 BN？", "批归一化。\n\n1.) 早停\n2.) 权重衰减")]


def test_bold_question_lines():
    text = "**为什么要归一化？**\n\n加速收敛。\n\n**BN 和 LN 有何区别？**\n\n维度不同。"
    assert questions(bold.detect(lines_of(text))) == ["为什么要归一化？", "BN 和 LN 有何区别？"]


def test_bullet_prompt_answer_with_continuation_and_missing_answer():
    text = ("BN\n\n- 为什么要有BN: 1. 分布漂移\n- BN的作用: 1. 更大的学习率 2. 更快收敛\n"
            "以上是主要作用 3. 缓解梯度消失\n- 反向传播推导 <手推>\n\nCNN\n\n- 如何理解卷积：加权求和")
    marks = bullet.detect(lines_of(text, "text"))
    assert questions(marks) == ["为什么要有BN", "BN的作用", "反向传播推导 <手推>", "如何理解卷积"]
    cards = cards_of(text, "text")
    assert cards[1][1].endswith("3. 缓解梯度消失")
    assert cards[2][1] == "" and cards[3][2] == "CNN"


def test_bullet_prompt_does_not_split_inside_a_url():
    assert bullet.split_prompt("各种公式; 求导 <https://a.b/c>") == ("各种公式; 求导 <https://a.b/c>", "", "")


def test_question_lines_and_glued_questions():
    text = ("4.4 反向传播\n什么是链式法则?\n链式法则是求复合函数导数的方法,什么是反向传播,举例说明?\n分解为计算单元。\n"
            "什么是内积?\n点乘。如果有多个路径,则相加。怎么理解静态图?\n程序编译时构建图。")
    marks = question_line.detect(lines_of(text, "text"))
    assert questions(marks) == ["什么是链式法则?", "什么是反向传播,举例说明?", "什么是内积?", "怎么理解静态图?"]
    cards = cards_of(text, "text")
    assert cards[0][1] == "链式法则是求复合函数导数的方法,"
    assert "则相加。" in cards[2][1] and "怎么理解" not in cards[2][1]
    assert cards[0][2] == "反向传播"


def test_rhetorical_questions_in_prose_are_not_a_layout():
    prose = "\n".join(["这是一段很长的讲义正文，解释支持向量机的原理。"] * 30 + ["神奇吧？"])
    assert question_line.detect(lines_of(prose, "text")) == []


def test_speaker_turns_are_not_questions():
    text = "\n".join(["**吴恩达：**你对新人有什么建议？", "**Ian：**多写代码。"] * 5)
    assert question_line.detect(lines_of(text)) == []


def test_bare_titles_open_topics_and_title_with_prose_is_a_question():
    text = ("BN\n\n- 为什么要有BN: 1. 分布漂移\n\n激活函数零中心的问题\n\n"
            "但是这个问题似乎并不严重，因为优化过程使用的是小批量随机梯度下降方法，不同的输入可能有或正或负的参数梯度，"
            "因而其和并不会很严重地偏离最优解的方向。\n\n"
            "CNN\n\n- 如何理解卷积：加权求和")
    cards = cards_of(text, "text")
    assert [(c[0], c[2], c[3]) for c in cards] == [("为什么要有BN", "BN", "bullet"),
                                                    ("激活函数零中心的问题", "BN", bare_line.NAME),
                                                    ("如何理解卷积", "CNN", "bullet")]


def test_pictographs_that_decorate_a_start_are_no_text():
    from pipeline.text import undecorated
    assert undecorated("🚀 **6. 池化**") == "**6. 池化**"
    assert undecorated("🔹️ 什么时候用？") == "什么时候用？"
    for kept in ("∑ 求和的含义", "$x$ 的范围", "Adam 为什么快？", "（1）第一问"):
        assert undecorated(kept) == kept


def test_numbered_items_that_do_not_ask_end_their_asking_siblings_answers():
    text = ("1. 数据预处理方法\n2. 梯度下降是否收敛？\n3. 参数共享怎么回事？\n> 同一个卷积核，权重相同。\n"
            "4. 池化的作用\n> 降维。\n5. 批大小的选择依据\n6. word2vec\n7. 编程题：统计词频")
    lines = lines_of(text)
    marks = {lines[m.index].number: m.role for m in numbered.detect(lines)}
    assert marks == {1: "boundary", 2: "question", 3: "question", 5: "boundary", 7: "boundary", 8: "boundary",
                     9: "boundary"}
    assert [c[:2] for c in cards_of("## 一面\n" + text)] == [
        ("梯度下降是否收敛？", ""), ("参数共享怎么回事？", "> 同一个卷积核，权重相同。")]


def test_hard_wrapped_lines_are_wide_and_stop_inside_a_sentence():
    from pipeline.text import display_width, hard_wrapped, join_wrapped
    assert display_width("批归一化 BN") == 11
    broken = "1. 为什么深层网络在训练初期容易出现梯度爆炸，而加入残差连接以后"
    assert hard_wrapped(broken) and hard_wrapped("1. Why does a very deep plain network train worse than a shallower one, and")
    # a sentence that ends, a short line and a wide line ending in a question mark are whole
    for whole in (broken + "。", "1. 什么是残差连接", broken + "？", "2. " + "x" * 40):
        assert not hard_wrapped(whole)
    assert join_wrapped(["1. 为什么梯度会", "   消失？"]) == "1. 为什么梯度会消失？"
    assert join_wrapped(["1. Why do gradients", "   vanish?"]) == "1. Why do gradients vanish?"


def test_a_line_goes_on_with_a_latin_sentence_broken_off_above_it():
    from pipeline.text import continues_sentence
    assert continues_sentence("1. Which split of the *data*", "should we use?")
    assert continues_sentence("- How does momentum,", "in short, help?")
    # a sentence that ended, a capital that opens one, a line with Chinese in it: two things
    for line, following in (("1. Which split is best?", "more data helps."), ("1. Which split of the data", "Use 98/1/1."),
                            ("1. 关于word2vec", "word2vec如何训练？"), ("1. Which split of the data", "数据越多越好")):
        assert not continues_sentence(line, following)
    # the same lower-case start under a Chinese item does not run on into it
    assert cards_of("1. 关于word2vec\nword2vec如何训练？\n\n2. 什么是BN？\n\n批归一化。\n\n3. 什么是LN？\n\n层归一化。")[0][:2] == (
        "关于word2vec", "word2vec如何训练？")


def test_a_bold_number_labels_its_question_and_exam_points_leave_the_front():
    from pipeline.extract.base import question_text, split_inline_answer
    assert split_inline_answer("**3.** 残差连接解决什么问题？（5 分）") == ("**3.** 残差连接解决什么问题？（5 分）", "")
    assert split_inline_answer("**What is dropout?** Zeroing units at random.") == ("What is dropout?", "Zeroing units at random.")
    assert question_text("**3.** 残差连接解决什么问题？（5 分）") == "残差连接解决什么问题？"
    assert question_text("Explain weight decay. (10 points)") == "Explain weight decay."
    # a duration or a count in brackets is the question's own
    assert question_text("训练一轮要多久？（5 分钟）") == "训练一轮要多久？（5 分钟）"
    assert question_text("Which of these is right (3 answers)?") == "Which of these is right (3 answers)?"


def test_a_numbered_title_that_is_only_a_link_shows_its_text_and_a_bare_link_is_no_question():
    from pipeline.extract.base import question_text
    assert question_text("8、[RetinaNet](https://example.com/retina)") == "RetinaNet"
    # a short link alone, with no number of its own, is a source link, as after a question
    assert question_text("[**什么是 BN？**](bn.md)") == ""


def test_trailing_spaces_break_a_line_only_in_markdown():
    text = "## 什么是动量？\n\n累积历史梯度  \n抑制震荡\n\n## 什么是BN？\n\n批归一化。\n\n## 什么是LN？\n\n层归一化。"
    assert cards_of(text)[0][1] == "累积历史梯度\\\n抑制震荡"
    # in a text copy the spaces are debris
    assert cards_of(text, kind="text")[0][1] == "累积历史梯度\n抑制震荡"


def test_question_labels_with_dotted_numbers_leave_the_front():
    from pipeline.extract.base import question_text
    assert question_text("Q2.1: Explain backpropagation step by step.") == "Explain backpropagation step by step."
    assert question_text("**Q2 How does KNN differ?**") == "How does KNN differ?"
    # a reference to a question inside the question is no label
    assert question_text("Q13 的结论对动量法成立吗？") == "Q13 的结论对动量法成立吗？"
    # a follow-up's label leaves it, and so do the quotes around the question; the word in a question stays
    assert question_text('追问2："为什么不直接用输入？"') == "为什么不直接用输入？"
    assert question_text("Follow-up 1: Why not a larger batch?") == "Why not a larger batch?"
    # a step's label in a derivation leaves it too; a question about a step keeps its words
    assert question_text("第二步: 反向传播时梯度如何求导？") == "反向传播时梯度如何求导？"
    assert question_text("Step 3: Why rescale by the keep probability?") == "Why rescale by the keep probability?"
    assert question_text("第一步做什么？") == "第一步做什么？" and question_text("Step by step: why?") == "Step by step: why?"
    # a dotted number is the label's whole number, not a label and a number after it
    assert question_text("习题21.1") == "习题21.1" and question_text("习题 5.1：试述梯度下降。") == "试述梯度下降。"
    assert question_text("追问的时机怎么把握？") == "追问的时机怎么把握？"
    # what a code span holds is literal: its underscores are no bold marks
    assert question_text("4. Why do we use `__call__` in **LayerNorm**?") == "Why do we use `__call__` in LayerNorm?"


def test_quote_title_one_line_quotes_over_text():
    text = "> 为什么要归一化\n让特征尺度相近。\n\n> 批大小的影响\n大批次更稳，小批次噪声大。"
    marks = quote_title.detect(lines_of(text))
    assert [(m.text, m.asks) for m in marks] == [("为什么要归一化", True), ("批大小的影响", False)]
    # a quote of several lines is a passage, a sentence is a note, one prompt alone is no layout
    assert quote_title.detect(lines_of("> 第一行\n> 第二行\n正文。\n\n> 注：以上适用于 SGD。\n正文。")) == []
    assert quote_title.detect(lines_of("> 为什么要归一化\n让特征尺度相近。")) == []


def test_a_problem_statement_shown_on_its_parts_fronts_is_no_text_left_out():
    text = ("## Problem 1\n\n### Statement\n\nA layer has 4 inputs and 3 outputs.\n\n**a)** Count its weights.\n\n"
            "**b)** Count its biases.\n\n### Solution\n\n#### Part (a)\n\n12.\n\n#### Part (b)\n\n3.\n\n## Notes\n\nGood luck.")
    lines = [SourceLine(i, t) for i, t in enumerate(text.split("\n"), start=1)]
    result = extract(clean(Document("d.md", "markdown", lines, len(lines), "utf-8")), "d")
    assert [c.question.split("\n")[0] for c in result.cards] == ["A layer has 4 inputs and 3 outputs."] * 2
    assert [d.text for d in result.drops] == ["Good luck."]



def test_lettered_parts_are_read_by_their_bold_letter_only():
    from pipeline.extract.deferred import _PART
    assert [bool(_PART.match(t)) for t in ("**a)** Count it.", "**(b)** Count it.", "**c.** Do it.", "a) SGD")] == [
        True, True, True, False]


def test_a_statement_to_judge_poses_a_question_and_the_words_in_prose_do_not():
    from pipeline.extract.qa_marker import _poses
    assert _poses("True or false: pruning lowers variance.") and _poses("判断正误：测试时也做 dropout。")
    assert _poses("Dropout is used at test time. (T/F)")
    assert not _poses("True or false questions test recall.") and not _poses("判断依据是验证集上的损失。")
