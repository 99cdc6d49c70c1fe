"""Each cleaning rule on a small input: what it drops (by name) and what it keeps."""
from __future__ import annotations

from pipeline.clean import clean
from pipeline.model import Document, SourceLine


def run(text: str, kind: str = "text"):
    lines = [SourceLine(i, t) for i, t in enumerate(text.split("\n"), start=1)]
    doc = clean(Document("doc.txt", kind, lines, len(lines), "utf-8"))
    return [ln.text for ln in doc.lines if ln.text.strip()], {d.line: d.rule for d in doc.drops}


def test_nbsp_only_lines_are_dropped_and_nbsp_becomes_space():
    kept, drops = run("甲\u00a0乙\n\u00a0\n丙")
    assert kept == ["甲 乙", "丙"]
    assert drops == {2: "nbsp_only"}


def test_tabs_after_an_invisible_character_are_no_indentation_outside_code():
    text = "**1. 循环网络解决什么问题**\n\n\u200b\t\t普通前馈网络的输入彼此独立。\n\n```\n\u200b\tx = 1\n```"
    kept, _ = run(text, "markdown")
    assert kept == ["**1. 循环网络解决什么问题**", "普通前馈网络的输入彼此独立。", "```", "    x = 1", "```"]


def test_look_alike_radicals_and_space_entities():
    kept, _ = run("⾸先⼀条就是使⽤(Q, K, V)&#x20;\n甲&nbsp;乙")
    assert kept == ["首先一条就是使用(Q, K, V) ", "甲 乙"]


def test_image_alt_text_runs():
    kept, drops = run("正文一。\n标题 试题_激活函数_02\n标题 试题_卷积_03\n标题 试题_神经网络_04\n正文二。")
    assert kept == ["正文一。", "正文二。"]
    assert set(drops.values()) == {"image_alt_text"}


def test_identifiers_with_underscores_in_prose_stay():
    kept, _ = run("调用 clip_grad_norm_ 即可。\nuse torch_utils here, it works.")
    assert len(kept) == 2


def test_table_debris_and_empty_images():
    kept, drops = run("问题?\n![]() |\n![]() ![]() |\n---|---|\n答案。")
    assert kept == ["问题?", "答案。"]
    assert drops == {2: "table_debris", 3: "table_debris", 4: "table_debris"}


def test_real_markdown_table_keeps_its_delimiter_row():
    kept, _ = run("| a | b |\n|---|---|\n| 1 | 2 |", kind="markdown")
    assert kept == ["| a | b |", "|---|---|", "| 1 | 2 |"]


def test_markdown_escapes_are_literal_outside_math():
    kept, _ = run(r"\(1\)计算简单，$\frac{a}{b}$ 与 F\(x\)")
    assert kept == [r"(1)计算简单，$\frac{a}{b}$ 与 F(x)"]


def test_a_backslash_ending_its_block_breaks_nothing_and_goes():
    text = "优点：并行度高\\\n缺点：显存占用大\\\n\n### 下一题\n末行\\\n## 标题\n$$\na & b \\\\\nc & d\n$$\n最后一行\\"
    kept, _ = run(text, kind="markdown")
    # inside the paragraph the backslash is a hard line break and stays; two end a LaTeX row
    assert kept == ["优点：并行度高\\", "缺点：显存占用大", "### 下一题", "末行", "## 标题", "$$", "a & b \\\\",
                    "c & d", "$$", "最后一行"]
    # in a text copy a backslash is no markup
    assert run("路径以\\\n\n结尾", kind="text")[0] == ["路径以\\", "结尾"]


def test_an_image_address_alone_on_its_line_is_that_image():
    text = ("https://img.example.org/figs/relu.png?w=600\n\n见 https://img.example.org/a.png 的曲线\n\n"
            "https://example.org/posts/relu.html\n\nhttps://cdn.example.org/photo")
    kept, _ = run(text, kind="markdown")
    assert kept == ["![](https://img.example.org/figs/relu.png?w=600)", "见 https://img.example.org/a.png 的曲线",
                    "https://example.org/posts/relu.html", "https://cdn.example.org/photo"]
    assert run("https://img.example.org/figs/relu.png", kind="text")[0] == ["https://img.example.org/figs/relu.png"]


def test_reference_links_become_inline_links_and_their_definitions_go():
    text = ("- [何为梯度裁剪？][clip] 见 [讲义][] 与 [Notes]\n- [未定义][nowhere] 和 `[代码][clip]`\n- [ ] 待办\n\n"
            "[clip]: https://a.example/clip\n[讲义]: <https://a.example/notes> \"讲义\"\n[notes]:https://a.example/n")
    kept, drops = run(text, kind="markdown")
    assert kept == ["- [何为梯度裁剪？](https://a.example/clip) 见 [讲义](https://a.example/notes) 与 [Notes](https://a.example/n)",
                    "- [未定义][nowhere] 和 `[代码][clip]`", "- [ ] 待办"]
    assert drops == {5: "link_definition", 6: "link_definition", 7: "link_definition"}
    # an image so written keeps its definition: the export resolves it and names a missing one
    kept, drops = run("见 ![示意图][fig] 与 [讲义][notes]\n\n[fig]: figs/a.png\n[notes]: https://a.example/n", kind="markdown")
    assert kept == ["见 ![示意图][fig] 与 [讲义](https://a.example/n)", "[fig]: figs/a.png"] and drops == {4: "link_definition"}
    # a line that only looks like a definition inside code stays, and nothing is resolved by it
    kept, drops = run("```\n[a]: https://a.example\n```\n见 [a]", kind="markdown")
    assert kept == ["```", "[a]: https://a.example", "```", "见 [a]"] and not drops


def test_latex_paren_math_is_math_not_an_escape():
    kept, _ = run(r"\(2\) 投影矩阵 \( P \) 满足 \(P^2 = P\)，记作 f\(P\)")
    assert kept == [r"(2) 投影矩阵 $P$ 满足 $P^2 = P$，记作 f(P)"]


def test_escaped_brackets_around_words_or_quoted_strings_are_brackets_not_math():
    kept, _ = run("each \\(token\\) gets an id, but \\(x\\) is a variable\n\\[\"Chat\", \"Tool\"\\]\n\\[ y = Wx \\]")
    # (the brackets keep their escapes, as Markdown needs them: "[" may open a link)
    assert kept == ["each (token) gets an id, but $x$ is a variable", '\\["Chat", "Tool"\\]', "$$y = Wx$$"]


def test_bracket_display_math_escaped_or_not_and_over_several_lines_is_dollar_math():
    text = "范数记为\n\\\\[||x||_2\\\\]\n矩阵范数\n\\\\[\n\\sqrt{\\sum a^2}\n\\\\]\n\\[ y = Wx \\]\n文中的 \\[1\\] 是引用"
    kept, _ = run(text)
    assert kept == ["范数记为", "$$||x||_2$$", "矩阵范数", "$$", "\\sqrt{\\sum a^2}", "$$", "$$y = Wx$$",
                    "文中的 \\[1\\] 是引用"]


def test_kern_debris_is_removed_inside_math():
    kept, _ = run(r"$$\kern{8 em}f(z) = z$$")
    assert kept == ["$$f(z) = z$$"]


def test_a_math_span_of_spacing_alone_is_layout_spacing_inside_a_formula_is_math():
    kept, _ = run("$\\qquad$ 答：不一定。\n$\\quad\\,$解：设 $x \\quad y$ 两个量。\n$~$ 首行", "markdown")
    assert kept == ["答：不一定。", "解：设 $x \\quad y$ 两个量。", "首行"]
    for text in ("间距写作 $\\quad x$ 与 `$\\qquad$`", "分为（ $T1$ ~ $T4$ ）四块"):
        kept, _ = run(text, "markdown")
        assert kept == [text], text


def test_inline_math_padded_inside_its_dollars_loses_the_padding_prices_and_display_math_stay():
    kept, _ = run("$ v_{ih} $ 只在计算 $ b_{h} $，因$ x_{i} $ 时用上", "markdown")
    assert kept == ["$v_{ih}$ 只在计算 $b_{h}$，因$x_{i}$ 时用上"]
    for text in ("costs $ 5 and $ 10 a month", "$$ x_1 + x_2 $$", "`$ a_{i} $` in code"):
        kept, _ = run(text, "markdown")
        assert kept == [text], text


def test_page_commands_alone_on_a_line_are_dropped_by_name():
    kept, drops = run("答案见下。\n\\newpage\n在正文里写 \\newpage 会换页。\n```latex\n\\clearpage\n```", "markdown")
    assert kept == ["答案见下。", "在正文里写 \\newpage 会换页。", "```latex", "\\clearpage", "```"]
    assert drops == {2: "latex_layout"}


def test_an_html_heading_left_unclosed_is_still_a_heading():
    kept, _ = run("<h3>8. Explain logistic regression.\n<h3>a</h3> and more text", "markdown")
    assert kept == ["### 8. Explain logistic regression.", "a and more text"]


def test_an_escaped_blank_is_a_blank_and_other_escapes_stay():
    kept, _ = run("学习率记作 \\*\\*\\_\\_\\*\\*，名字里的 a\\_b 不是空。", "markdown")
    assert kept == ["学习率记作 ____，名字里的 a\\_b 不是空。"]


def test_stray_bold_marker():
    kept, _ = run("一、卷积层的作用**\n**加粗**保留")
    assert kept == ["一、卷积层的作用", "**加粗**保留"]


def test_stars_that_end_a_heading_stay_they_rate_it():
    kept, _ = run("# 残差连接的好处**\n正文**\n", "markdown")
    assert kept == ["# 残差连接的好处**", "正文"]


def test_advert_and_toc_marker():
    kept, drops = run("学习资源可以通过公众号滴滴我\n\n文章目录\n\n1. 问题？")
    assert kept == ["1. 问题？"]
    assert drops == {1: "advert", 3: "toc"}


def test_content_about_ads_is_not_an_ad():
    kept, drops = run("DNN可以用于广告点击率预估,推荐等。\n推广到多分类的情形。")
    assert drops == {} and len(kept) == 2


def test_table_of_contents_repeating_later_questions():
    text = "本页导航\n6.1 甲是什么？\n6.2 乙是什么？\n6.3 丙是什么？\n\n6.1 甲是什么？\n答甲。\n\n6.2 乙是什么？\n答乙。\n\n6.3 丙是什么？\n答丙。"
    kept, drops = run(text)
    assert [drops.get(i) for i in (1, 2, 3, 4)] == ["toc"] * 4
    assert kept.count("6.1 甲是什么？") == 1


def test_repeated_list_items_are_not_a_toc():
    text = "**优点**:\n- 训练稳定\n- 有明确的概率模型\n- 可以插值和采样\n\n正文。\n\n**优点**:\n- 训练稳定\n- 有明确的概率模型\n- 可以插值和采样"
    assert run(text)[1] == {}


def test_latex_matrix_rows_are_not_image_captions():
    text = "$$\n\\hat{y}_{1} & 0 \\\\\n\\hat{y}_{2} & 0 \\\\\n\\hat{y}_{3} & 0\n$$\n\\hat{y}_{1} x\n\\hat{y}_{2} x\n\\hat{y}_{3} x"
    assert run(text)[1] == {}


def test_duplicated_question_is_not_a_toc():
    text = "3、对不对?\n\nA.对 B.不对\n\n解析:可以。\n\n3、对不对?\n\nA.对 B.不对\n\n解析:可以。"
    kept, drops = run(text)
    assert drops == {}


def test_page_footer_comment_box_and_tip_jar():
    text = ("1. 问题？\n\n很长的一段正文答案，没有任何站点元素，只是解释一个概念而已，足够长以免被当作页脚。\n"
            "评论\n添加红包\n请填写红包祝福语或标题\n红包个数最小为10个\n余额充值")
    kept, drops = run(text)
    assert kept[-1].startswith("很长的一段正文答案")
    assert set(drops.values()) == {"page_footer"} and len(drops) == 5


def test_a_single_closing_call_to_like_and_follow_is_a_footer():
    kept, drops = run("### 为什么？\n\n因为随机。\n\n如果觉得有用，欢迎点赞收藏关注！")
    assert drops == {5: "page_footer"}
    kept, drops = run("### 为什么？\n\n引用计数在垃圾回收中很常用。")
    assert drops == {}


def test_page_chrome_lines():
    kept, drops = run("展开全文 ▾\n你在这里：首页 › 深度学习 › 神经网络\n正文。")
    assert kept == ["正文。"]
    assert drops == {1: "page_chrome", 2: "page_chrome"}


def test_code_blocks_are_never_touched():
    text = "```python\nx_1 = a_b_c  # 公众号\n\\(1\\)\n```"
    kept, drops = run(text, kind="markdown")
    assert kept == text.split("\n") and drops == {}


def test_inline_html_heading_and_front_matter():
    kept, drops = run("---\ntitle: x\n---\n<h2 id='a'>1.什么是token？</h2>\n<p align=center>\n正文", kind="markdown")
    assert kept == ["## 1.什么是token？", "正文"]
    assert drops == {1: "front_matter", 2: "front_matter", 3: "front_matter", 5: "html_tag"}


def test_missing_local_image_and_path_outside_source_are_dropped(tmp_path):
    lines = [SourceLine(1, "![](../../etc/passwd)"), SourceLine(2, "![](/assets/a.png)"), SourceLine(3, "![x](https://e.com/a.png)")]
    doc = clean(Document("d.md", "markdown", lines, 3, "utf-8", str(tmp_path)))
    assert [ln.text for ln in doc.lines] == ["![x](https://e.com/a.png)"]
    assert {d.rule for d in doc.drops} == {"missing_image"}


def test_end_matter_after_the_last_thematic_break():
    kept, drops = run("### Why?\n\nBecause.\n\n---\n\nHappy studying, see you next time.", "markdown")
    assert drops == {5: "lone_marker", 7: "end_matter"}
    # a bold sentence is a remark too, a pictograph after its end or not; a bold label is structure
    kept, drops = run("### Why?\n\nBecause.\n\n---\n\n**Good luck! 🍀**", "markdown")
    assert drops == {5: "lone_marker", 7: "end_matter"}
    _, drops = run("### Why?\n\nBecause.\n\n---\n\n**Summary 📌**", "markdown")
    assert "end_matter" not in drops.values()
    # more than a short remark, a list, a question or nothing before the break: kept
    for text in ("### Why?\n\nBecause.\n\n***\n\none\ntwo\nthree\nfour",
                 "### Why?\n\nBecause.\n\n---\n\n- a list item",
                 "### Why?\n\nBecause.\n\n---\n\nWhat is next?",
                 "---\n\nA page that opens with a rule."):
        _, drops = run(text, "markdown")
        assert "end_matter" not in drops.values(), text


def test_an_underline_indented_past_three_spaces_makes_no_setext_heading():
    kept, drops = run("1. 常见模型\n    AlexNet 的改进\n    ----------\n    用了 ReLU", "markdown")
    assert "    AlexNet 的改进" in kept and not any(k.startswith("#") for k in kept)
    kept, drops = run("BN 的作用\n---\n稳定分布", "markdown")
    assert kept[0] == "## BN 的作用" and drops == {2: "setext_underline"}


def test_front_matter_gives_the_document_title_and_leaves_the_text(tmp_path):
    from pipeline.__main__ import read_source
    source = tmp_path / "2023-07-10-post.md"
    source.write_text('---\nlayout: post\ntitle: "常见问题 (2 / 3)"\ntags: [ML]\n---\n\n'
                      "### 什么是过拟合？\n训练集好、测试集差。\n", encoding="utf-8")
    result = read_source(source)
    assert [c.topic for c in result.cards] == ["常见问题 (2 / 3)"]
    assert read_source(source, "我的标题").cards[0].topic == "我的标题"  # sources.yaml's title wins
    source.write_text("### 什么是过拟合？\n训练集好、测试集差。\n", encoding="utf-8")
    assert read_source(source).cards[0].topic == "2023-07-10-post"


def test_chrome_words_in_the_section_of_a_closing_heading_are_content():
    text = ("### 什么是 IoU？\n交并比。\n\n### 总结\n\n- **检测**：主要关注 IoU 和 mAP。\n"
            "- **分类**：主要关注 F1 和 AUC，阅读时先看混淆矩阵。")
    kept, drops = run(text, "markdown")
    assert "page_footer" not in drops.values() and kept[-1].startswith("- **分类**")


def test_script_and_style_blocks_of_markdown_are_dropped_as_programs():
    text = ("## 自测\n\n<script setup>\nconst quiz = [\n  { question: '为什么要归一化？' },\n]\n</script>\n\n"
            "<style>\n.q { color: red }\n</style>\n\n为什么要归一化？让各层输入尺度相近。\n\n"
            "文中写 <script> 标签的地方只是文字。")
    kept, drops = run(text, "markdown")
    assert kept[:2] == ["## 自测", "为什么要归一化？让各层输入尺度相近。"] and kept[2].endswith("标签的地方只是文字。")
    assert set(drops.values()) == {"script"} and sorted(drops) == [3, 4, 5, 6, 7, 9, 10, 11]
    # a text copy has no HTML blocks: its lines are text
    assert "const quiz = [" in run(text, "text")[0]


def test_highlight_marks_go_and_comparisons_stay():
    text = ("==15. 为什么量化后精度下降？==\n==可能的原因有：\n校准数据太少。==\n"
            "判断 a == b 时用 x==y，这里 ==  不是标记。")
    kept, drops = run(text, "markdown")
    assert kept == ["15. 为什么量化后精度下降？", "可能的原因有：", "校准数据太少。",
                    "判断 a == b 时用 x==y，这里 ==  不是标记。"]
    assert not drops


def test_a_signature_after_the_last_thematic_break_is_end_matter_a_closing_summary_is_not():
    answer = "## 如何部署？\n\n用推理服务加载权重。\n\n---\n\n"
    kept, drops = run(answer + "**系列教程**\n\n**更新：2026 年 1 月**\n**版本：v2.1**\n**作者：某人**", "markdown")
    assert kept == ["## 如何部署？", "用推理服务加载权重。"] and set(drops.values()) == {"end_matter", "lone_marker"}
    kept, drops = run(answer + "**总结**\n\n一句话：部署时先量化，再做批处理。\n**作者：某人**", "markdown")
    assert "一句话：部署时先量化，再做批处理。" in kept and "end_matter" not in drops.values()


def test_formulas_written_as_renderer_images_or_editor_links_are_latex():
    text = ('A1. <img src="https://latex.codecogs.com/gif.latex?\\inline&space;P(y^{<t>}|y^{<1>})" title="P" />\n'
            "![](https://latex.codecogs.com/png.latex?\\dpi{120}&space;\\frac{a}{b})\n"
            "[![](公式_01.png)](http://www.codecogs.com/eqnedit.php?latex=U(-\\sqrt{\\frac{6}{m&plus;n}},1))\n"
            # (parentheses in the formula nest deeper than one level)
            "损失：[![](公式_02.png)](http://www.codecogs.com/eqnedit.php?latex=L(x,g(f(x)))) 最小\n"
            "![a chart](https://example.com/loss.png)")
    kept, _ = run(text, "markdown")
    assert kept == ["A1. $P(y^{<t>}|y^{<1>})$", "$\\frac{a}{b}$", "$U(-\\sqrt{\\frac{6}{m+n}},1)$",
                    "损失：$L(x,g(f(x)))$ 最小", "![a chart](https://example.com/loss.png)"]


def test_a_bold_span_over_two_lines_of_a_paragraph_stays_a_stray_one_goes():
    text = "**Q1. Suppose the batch is tiny.\nWhich norm still works?**\n\n作用**在于稳定训练。\n\n下一段"
    kept, drops = run(text, "markdown")
    assert kept == ["**Q1. Suppose the batch is tiny.", "Which norm still works?**", "作用在于稳定训练。", "下一段"]


def test_kramdown_attribute_lists_alone_on_a_line_are_markup():
    text = "**读写**\n{:.warning}\n说明文字 {:.warning} 写在句中时是文字。\n{: #top .note}\n{:not a list}"
    kept, drops = run(text, "markdown")
    assert kept == ["**读写**", "说明文字 {:.warning} 写在句中时是文字。", "{:not a list}"]
    assert set(drops.values()) == {"attribute_list"}


def test_attributes_after_a_heading_or_an_image_and_a_headings_permalink_are_markup():
    text = ("### 什么是梯度裁剪？ {#clip}\n### 为什么要权重衰减？ [🔗](#wd)\n# 小测验 [[小测验]]\n![损失曲线](https://e.com/a.png){#fig:loss width=50%}\n"
            "集合写作 {#a, #b} 时是文字。\n见 [上一节](#wd) 的推导\n$$x^{.5}$$")
    kept, _ = run(text, "markdown")
    assert kept == ["### 什么是梯度裁剪？", "### 为什么要权重衰减？", "# 小测验", "![损失曲线](https://e.com/a.png)", "集合写作 {#a, #b} 时是文字。",
                    "见 [上一节](#wd) 的推导", "$$x^{.5}$$"]


def test_a_callouts_marker_line_is_its_title():
    text = "> [!WARNING]\n> 学习率太大会发散。\n\n> [!note]- 补充说明\n> 正文\n\n> [!TIP] **要点**\n\n文中写 [!NOTE] 不是标记。"
    kept, _ = run(text, "markdown")
    assert kept == ["> **Warning**", "> 学习率太大会发散。", "> **补充说明**", "> 正文", "> **要点**",
                    "文中写 [!NOTE] 不是标记。"]


def test_a_line_of_hashtags_is_a_feed_tag_line_tags_in_text_or_numbers_are_content():
    kept, drops = run("### Why quantize?\n\nLess memory.\n\n**#Inference #Quantization #EdgeAI**", "markdown")
    assert kept == ["### Why quantize?", "Less memory."] and drops == {5: "hashtags"}
    for text in ("Ranks: #1 #2 #3", "用 #pragma once 和 #define 控制头文件", "#Inference #EdgeAI",
                 "Tags like #Inference #Quantization #EdgeAI mark a post's topics."):
        kept, drops = run(text, "markdown")
        assert "hashtags" not in drops.values() and kept == [text], text


def test_a_dated_record_of_fields_set_apart_by_bars_is_a_record_line_pros_and_cons_are_content():
    kept, drops = run("### 为什么用 RMSNorm？\n> **公司**: 某厂 ｜ **轮次**: 一面 ｜ **日期**: 2025-03-02\n\n省去减均值，更快。", "markdown")
    assert kept == ["### 为什么用 RMSNorm？", "省去减均值，更快。"] and drops == {2: "record_line"}
    for text in ("**优点**：快 ｜ **缺点**：占内存 ｜ **适用**：小模型",
                 "| **公司** | 某厂 | 2025-03-02 |",
                 "**发布**: 2025-03-02 ｜ 共 3 页"):
        kept, drops = run(text, "markdown")
        assert "record_line" not in drops.values() and kept == [text], text


def test_a_record_under_each_question_with_the_same_field_names_is_a_record_line():
    def page(records: list[str]) -> str:
        return "\n\n".join(f"### Q{n}. 第 {n} 题问什么？\n{r}\n选 A。" for n, r in enumerate(records, 1))

    graded = [f"**Unit**: {n} | **Level**: Easy | **Origin**: Bank {n}" for n in (1, 2, 3)]
    kept, drops = run(page(graded), "markdown")
    assert sorted(drops.items()) == [(2, "record_line"), (6, "record_line"), (10, "record_line")]
    assert all(r not in kept for r in graded)
    # under two questions only, with names that change, with no number, or not under a heading: content
    for records in (graded[:2],
                    ["**Unit**: 1 | **Level**: Easy | **Origin**: Bank 1", "**Unit**: 2 | **Rank**: Hard | **Origin**: Bank 2",
                     "**Unit**: 3 | **Level**: Easy | **Source**: Bank 3"],
                    ["**优点**：快 ｜ **缺点**：占内存 ｜ **适用**：小模型"] * 3):
        kept, drops = run(page(records), "markdown")
        assert "record_line" not in drops.values() and all(r in kept for r in records), records
    text = "\n\n".join(f"### Q{n}. 问什么？\n选 A。\n{r}" for n, r in enumerate(graded, 1))
    kept, drops = run(text, "markdown")
    assert "record_line" not in drops.values(), text
