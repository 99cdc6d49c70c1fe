"""Small text helpers shared by the stages: blank lines, links, question wording, folding."""
from __future__ import annotations

import ast
import re
import unicodedata
from collections import Counter


def is_blank(text: str) -> bool:
    """Blank means ASCII spaces and tabs only: a line of NBSPs is debris to be accounted for."""
    return not text.strip(" \t\r\n")


CHROME_MARKER = re.compile(
    r"评论|留言|发表|回复|点赞|赞赏|打赏|收藏|书签|分享|转发|关注|粉丝|阅读|浏览|举报|版权|转载|原文链接|"
    r"本文链接|引用|上一篇|下一篇|前一篇|后一篇|猜你|相关推荐|推荐阅读|热门文章|红包|余额|充值|支付|扫码|"
    r"二维码|公众号|登录|注册|站点地图|联系我们|关于我们|©|copyright|all rights reserved|powered by|"
    r"previous post|next post|leave a (comment|reply)|subscribe|👍|⭐", re.I)

THEMATIC_BREAK = re.compile(r"^ {0,3}(?:(?:-[ \t]*+){3,}|(?:\*[ \t]*+){3,}|(?:_[ \t]*+){3,})$")  # CommonMark 4.1
_LIST_MARKER = re.compile(r"^\s*(?:[-*+•·▪●○◦]|\d{1,3}[.)、]|[a-zA-Z][.)])\s+")


def strip_list_marker(text: str) -> str:
    return _LIST_MARKER.sub("", text, count=1)


URL = re.compile(r"<?https?://[^\s<>()（）\]]+>?|www\.[^\s<>()]+")
# Link label and target stop at "[", an autolink at "<" (as CommonMark's do): each scan then
# ends where the next link could start, instead of at the end of the line from every "[".
# link text may hold balanced brackets, as CommonMark allows: "[[Answer]](…)", "[Notes [Part 1]](…)"
_MD_LINK = re.compile(r"!?\[((?:[^\[\]]|\[[^\[\]]*+\])*+)\]\(([^)\[]*+)\)")
AUTOLINK = re.compile(r"<(https?://[^<>\s]++)>")
DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.S)
INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\s)([^$\n]+?)(?<![\s\\])\$(?!\d)")


def link_text(text: str, images: bool = True) -> str:
    """The text with each Markdown link replaced by its label; images left as they are, or
    taken out (`images` false: a title that reads as text)."""
    return _MD_LINK.sub(lambda m: (m.group(0) if images else "") if m.group(0).startswith("!") else m.group(1), text)


def markdown_links(text: str) -> list[str]:
    """The Markdown links of a text as written (`[label](url)`), images left out."""
    return [m.group(0) for m in _MD_LINK.finditer(text) if not m.group(0).startswith("!")]


def link_free(text: str) -> str:
    """The text with links, images and bare URLs removed (link labels too)."""
    text = _MD_LINK.sub("", text)
    text = AUTOLINK.sub("", text)
    return URL.sub("", text)


# possessive runs (*+): the spaces around the marks and colon could be split among several
# \s* in every way, which took minutes on 答案 followed by a few thousand spaces
_LABEL_LINE = r"^[*_#>\s-]*+(?:{})\s*+[*_]*+\s*+(?:[:：]\s*+)?[*_]*+\s*+$"
_REFERENCE_WORDS = (r"参考(?:资料|文献|链接|博客|自)?|引自|转自|来源|出处|相关(?:资料|链接)|references?|sources?|bibliography|"
                    r"see also|延伸阅读|更多|详见|详情见")
# a label that opens a list of references ("**参考资料**", "REFERENCES:"): what follows answers nothing
REFERENCES_LABEL = re.compile(_LABEL_LINE.format(_REFERENCE_WORDS), re.I)
# a credit line: a source label and the name it credits ("Source: Prof. X, University Y", "来源：某书")
CREDIT_LINE = re.compile(rf"^\s*+(?:[-*+]\s++)?(?:\*\*|__)?(?:{_REFERENCE_WORDS})(?:\*\*|__)?\s*+[:：]\s*+[^\n]{{1,100}}$", re.I)
# ... or any label a line may hold alone, answer labels included ("答案：", "解析")
REFERENCE_LABEL = re.compile(_LABEL_LINE.format(_REFERENCE_WORDS + r"|参考答案|解析|答案|答|a"), re.I)
# a short label that only introduces what follows ("…博客:", "Links to refer:")
LEAD_IN = re.compile(r"^[^。！？?!\n]{0,30}?[:：]\s*+$")


# words that only send the reader elsewhere ("请参考[…](…)。", "see [the notes](…)")
_POINTER = re.compile(r"^(?:请\s*+)?(?:参考|参见|详见|见|查看|请看|阅读|see|refer\s++to|cf\.?)(?:\s*+(?:原文|下文|文章|链接|博客|this|here))?"
                      r"\s*+[:：]?$", re.I)


# the site a link is on, named after it ("[…](…) - CSDN博客", "[…](…) | 知乎")
_SITE_AFTER_LINK = re.compile(r"\)\s*+[-–—|·]\s*+[^\s，。；,;!?！？]{0,8}(?:博客|blog|知乎|zhihu|简书|csdn|掘金|公众号|medium|github)"
                              r"[^\s，。；,;!?！？]{0,8}\s*+$", re.I)


def is_link_only(text: str) -> bool:
    """A line that carries nothing but links: bare URLs, Markdown links, or a short
    label ("…博客:", "参考：", "请参考") or the site's name ("… - 知乎") with them, in a
    list item or a quote or not."""
    if not URL.search(text) and not _MD_LINK.search(text):
        return False
    rest = link_free(_SITE_AFTER_LINK.sub(")", text))
    rest = re.sub(r"^\s*(?:>\s*)*(?:[-*+•]\s+|\d+[.)、]\s*)?", "", rest)
    rest = re.sub(r"[和与及,，、;；\s|]+", " ", rest).strip().rstrip("。.！!").strip()
    return (not rest or bool(LEAD_IN.match(rest)) or bool(REFERENCE_LABEL.match(rest))
            or bool(_POINTER.match(rest)))


_ZH_DIGITS = {c: i for i, c in enumerate("一二三四五六七八九十", start=1)} | {"两": 2}


def zh_number(text: str) -> int:
    """The value of a Chinese numeral from 一 to 九十九 (两 is 2); 0 when `text` is none."""
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + _ZH_DIGITS.get(text[1:], 0)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return _ZH_DIGITS.get(tens, 0) * 10 + _ZH_DIGITS.get(ones, 0)
    return _ZH_DIGITS.get(text, 0)


_NOT_WORD = re.compile(r"[\W_]+")


def undecorated(text: str) -> str:
    """The text without the pictographs and symbols that decorate its start ("🚀 6. …",
    "🔹 什么时候用…？", "📌 关键的层"): Unicode symbols (So, Sk) and their variation selectors."""
    start = 0
    # (ASCII's modifier symbols are markup, not decoration: "`torch.optim`" opens a code span)
    while start < len(text) and (text[start] in " \t\ufe0f\u200d"
                                 or (unicodedata.category(text[start]) in ("So", "Sk") and not text[start].isascii())):
        start += 1
    return text[start:]


# An editor's hard wrap breaks lines at 72 or 80 columns (pandoc, Emacs, Vim's textwidth);
# a line this wide that stops inside a sentence was broken there
_WRAP_COLUMNS = 60
_MID_SENTENCE = re.compile(r"[\w，,、（(]$")


def display_width(text: str) -> int:
    """Columns `text` takes in a monospaced editor: two for a wide or full-width character
    (Unicode's East Asian Width W and F), one for any other."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def hard_wrapped(line: str) -> bool:
    """Whether an editor's hard wrap broke `line` (as written, markers included): at least
    `_WRAP_COLUMNS` wide and ending inside a sentence (a word, a comma, an open bracket)."""
    line = line.rstrip()
    # a character takes one or two columns: the width is measured only between len and 2 len
    return bool(_MID_SENTENCE.search(line)) and (len(line) >= _WRAP_COLUMNS or (
        2 * len(line) >= _WRAP_COLUMNS and display_width(line) >= _WRAP_COLUMNS))


def continues_sentence(line: str, following: str) -> bool:
    """Whether the line `following` goes on with the sentence that `line` (as written) broke
    off: `line` a line of Latin text stopping inside a sentence (on a word or a comma, emphasis
    closing after it aside: "…split the *train/dev/test*"), and `following` opening in a
    lower-case Latin letter, which starts no sentence, answer or title of its own. (A line with
    Chinese in it ends its own words as often as not: "…是如何对应的" over "encoder的输出…", "关于
    word2vec" over "word2vec如何训练…", are two things.)"""
    line = line.rstrip().rstrip("*_")
    start = following.lstrip()[:1]
    return (bool(_MID_SENTENCE.search(line)) and line[-1:].isascii() and start.isascii() and start.islower()
            and not CJK.search(line))


def join_wrapped(lines: list[str]) -> str:
    """The lines of a hard-wrapped paragraph as one: joined with a space between two Latin
    words or numbers (as a browser shows a soft break), with nothing where CJK text was broken."""
    out = lines[0].rstrip()
    for line in lines[1:]:
        line = line.strip()
        out += (" " if out[-1:].isascii() and line[:1].isascii() else "") + line
    return out


def fold(text: str) -> str:
    """Fold for matching: NFKC, lower case, no spaces, punctuation, symbols or markup
    (the folding the gold scorer uses)."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).lower().replace("麽", "么"))


# Words that make a line ask something. Chinese interrogatives and the imperative verbs of
# interview prompts (简述…, 介绍一下…); English wh-words and auxiliaries at the start.
# ("但是不是 0" reads 但是 + 不是: no 是不是 there)
_ZH_ASK = re.compile(
    r"什么|为什么|为何|为啥|怎么|怎样|如何|哪一?(?:些|个|种|项|里|几)|多少|是否|能否|可否|有没有|(?<![但可])是不是|会不会|"
    r"有何|何为|何时|区别|差别|异同|优缺点|(吗|呢)\s*[。.]?$|"
    r"^((请|试)?(?:简单|简要|大致|具体)?(简述|简要|简单说|介绍|说明|说说|讲讲|讲述|讲一下|谈谈|谈一下|聊聊|阐述|解释|描述|列举|推导|"
    r"证明|分析|总结|概述|论述|举例|画出|写出|手推|说一下|说下|讲下|介绍下)(?=[ \t]?\S{2,})|"
    # "write it by hand" prompts name what to write, a model or formula in Latin letters
    # (手写 Softmax, 手撕IoU); 手写数字识别 names a task
    r"^请?(?:手写|手撕)(?=[ \t]?[A-Za-z])|"
    # a textbook exercise's "试 + verb" ("试述…", "试设计…", "试求…"): 试验, 试卷 are no such verb
    r"试(?:述|设计|构造|编程|给出|讨论|计算|比较|实现|求|判断)(?=\S{2,}))")
_EN_IMPERATIVES = r"explain|describe|define|compare|contrast|list|name|give|derive|prove|calculate|compute|write|implement|discuss|state|summarize|justify"
EN_IMPERATIVE = re.compile(rf"^(?:{_EN_IMPERATIVES})\b", re.I)
EN_ASK = re.compile(r"^(what|why|how|when|which|who|whom|whose|where|is|are|can|could|do|does|did|should|"
                    rf"would|will|{_EN_IMPERATIVES})\b", re.I)
# a question mark may be followed by a short aside in brackets ("…怎么做？（高频）", "…? (hard)",
# "…？【必考】")
_ASK_END = re.compile(r"[?？]\s*+(?:[(（【][^()（）【】\n]{1,20}[)）】]\s*+)?$")
# a quiz blank: a run of underscores that is no __dunder__, empty brackets, or brackets round
# an ellipsis that call nothing ("…, (…) and …"; "f(...)" elides a call's arguments)
BLANK = re.compile(r"(?<![A-Za-z0-9_])_{2,}+(?![A-Za-z0-9_])|（\s*+）|\(\s++\)"
                   r"|(?<![A-Za-z0-9_)\]])[(（]\s*+(?:…{1,2}|\.{3,6})\s*+[)）]")
# __bold__ as CommonMark reads it: the marks not inside a word (和__两部分__组成 has two blanks)
_UNDERSCORE_BOLD = re.compile(r"(?<!\w)__(?=[^\s_])[^\n]*?(?<=[^\s_])__(?!\w)")


def blank_marks(text: str) -> list[re.Match]:
    """The quiz blanks (`____`, `（ ）`, `( )`) of a sentence, in order; none in a line
    that is nothing but underscores (a Markdown rule) or has almost no words around them."""
    bold = {at for b in _UNDERSCORE_BOLD.finditer(text) for at in (b.start(), b.end() - 2)}
    found = [m for m in BLANK.finditer(text) if m.start() not in bold]
    return found if found and len(fold(BLANK.sub("", text))) >= 4 else []


_BOLD_MARK = re.compile(r"\*\*|(?<!_)__(?!_)")


_CODE_SPANS = re.compile(r"(`++)[^`]+?\1")  # inline code: its marks are literal ("`__call__`")


def unbold(text: str) -> str:
    """The text without its bold marks (`**`, `__`); a blank written `__` stays, and so does
    what a code span holds."""
    kept = {m.start() for m in blank_marks(text)}
    if "`" in text:
        kept.update(k for m in _CODE_SPANS.finditer(text) for k in range(m.start(), m.end()))
    return _BOLD_MARK.sub(lambda m: m.group() if m.start() in kept else "", text)


def ends_with_question_mark(text: str) -> bool:
    return bool(_ASK_END.search(text))


_ASK_START = re.compile(r"^(什么|为什么|为何|为啥|怎么|怎样|如何|哪|是否|能否)")


def asks_outright(text: str) -> bool:
    """Stricter than is_question_like: ends with a question mark or opens with an
    interrogative (imperatives such as 推导… also open answers)."""
    text = text.strip().strip("*_ ")
    return bool(_ASK_END.search(text) or _ASK_START.match(text))


def is_question_like(text: str) -> bool:
    """Does this (already unnumbered) text ask something? A sentence with blanks asks for them."""
    blanks = blank_marks(text)
    text = text.strip().strip("*_ ")
    if not text:
        return False
    if _ASK_END.search(text) or blanks:
        return True
    if len(text) > 120:
        return False
    return bool(_ZH_ASK.search(text) or EN_ASK.match(text))


# a heading that names an aspect of its subject asks to explain it ("BN的作用", "Dropout 基本原理",
# "BN和Dropout在训练和测试时的差别", "反向传播推导"), and so does one that sets two things side by side
# ("LayerNorm vs BatchNorm"): the gold of our sets cards such headings, and a bare aspect ("### 基本原理",
# "#### 优势") is a part of something else. A short aside may follow ("…（必考）").
_ASPECT = re.compile(r"^(?:(?P<subject>.*?)\s*+的?\s*+(?:基本|核心|工作|具体|主要)?(?:作用|原理|思想|差别|区别|异同|对比|比较|优势|优缺点|利弊|好处|意义|"
                     r"推导(?:过程)?|解决(?:方法|办法|方案))|(?P<pair>\S.*?\s(?i:vs\.?|versus)\s++\S.*?))"
                     r"\s*+(?:[(（][^()（）]{1,10}[)）])?$")


_ASPECT_LENGTH = 60  # characters: a heading longer than this is a sentence, not a named aspect


def bare_aspect(text: str) -> bool:
    """Whether `text` is an aspect with no subject ("基本原理", "优缺点", "作用"): it names the
    aspect of something said elsewhere, the heading above it."""
    m = _ASPECT.match(text.strip().strip("*_ ")) if len(text) <= _ASPECT_LENGTH else None
    return m is not None and m.group("pair") is None and not fold(m.group("subject") or "")


def names_aspect(text: str) -> bool:
    """Whether `text` (a heading's words) names an aspect of a subject of two or more word
    characters (the role, principle, difference, merits, meaning, derivation or remedy of it)
    or compares two things (`A vs B`)."""
    if len(text) > _ASPECT_LENGTH:  # (first: the pattern's lazy runs are quadratic in a long text)
        return False
    m = _ASPECT.match(text.strip().strip("*_ "))
    return m is not None and (m.group("pair") is not None or len(fold(m.group("subject") or "")) >= 2)


PROSE_END = re.compile(r"[。．.!！;；,，:：、]\s*$")  # a sentence or clause ends here


# labels that say what kind of items a quiz section holds ("一、单选题", "三、填空题（每空2分）",
# "Part B: True or False", "Multiple-Choice Questions"): they are not topics
_QUIZ_SECTION = re.compile(r"^(?:(?:[一二三四五六七八九十\d]{1,3}|(?i:part|section)\s++[A-Z\d]{1,3})\s*+[、.．:：]\s*+)?"
                          r"(?P<kind>单项选择题|多项选择题|不定项选择题|单选题|多选题|选择题|判断题|填空题|简答题|问答题|"
                          r"(?i:(?:multiple|single)[ -]choices?|MCQs?|true\s*+(?:or|/|-|and)\s*+false|T\s*+/\s*+F|"
                          r"fill[ -]in[ -]the[ -]blanks?|short[ -]answers?)(?:\s++(?i:questions?))?)"
                          r"\s*+(?:[（(][^）)]*+[）)])?\s*+[:：]?\s*+$")
# an English label's kind, named as the Chinese one is
_QUIZ_KIND = (("true", "判断题"), ("t", "判断题"), ("fill", "填空题"), ("short", "简答题"), ("multiple", "选择题"),
              ("single", "单选题"), ("mcq", "选择题"))


def quiz_section(text: str) -> str:
    """The kind a quiz section label names, as its Chinese name ("二、判断题（每题2分）" ->
    "判断题", "True or False" -> "判断题", "Multiple Choice" -> "选择题"), or ""."""
    m = _QUIZ_SECTION.match(text.strip().strip("*_ ").strip())
    if m is None:
        return ""
    kind = m.group("kind")
    return next((name for start, name in _QUIZ_KIND if kind.lower().startswith(start)), kind)


CJK = re.compile(r"[\u4e00-\u9fff]")  # a Chinese character
# the words that key a statement true or false ("**True**", "错", "√")
TRUE_FALSE_WORD = r"正确|错误|不对|对|错|√|×|✓|✗|✔|✘|(?i:true|false)"
# what ends a statement to be judged, in brackets: "… (True / False)", "…（对/错）", "… [T/F]"
TRUE_FALSE_PROMPT = re.compile(r"[(（\[][ \t]*+(?i:true[ \t]*+(?:/|or)[ \t]*+false|t[ \t]*+/[ \t]*+f|对[ \t]*+/[ \t]*+错|"
                               r"正确[ \t]*+/[ \t]*+错误)[ \t]*+[)）\]][ \t]*+[.。]?[ \t]*+$")
# … or opens it: "True or false: …", "判断正误：…"
TRUE_FALSE_LEAD = re.compile(r"^\s*+(?:(?i:true[ \t]*+or[ \t]*+false)|判断(?:正误|对错)?)[ \t]*+[:：]")
OPTION_LETTERS = "A-Ha-hＡ-Ｈａ-ｈ"  # option labels, in either case and width


def introduces(text: str) -> bool:
    """Whether a line only introduces what follows: it ends in a colon, emphasis aside
    ("### 使用场景：", "**Steps**:", "Consider the code:")."""
    return text.rstrip("*_ ").endswith((":", "："))


def is_section_title(text: str) -> bool:
    """Short, no sentence punctuation at the end, no label-colon inside, no equation
    (`P(A/X)=TP/(TP+FP)`): a title."""
    text = text.strip().strip("*_ ")
    return bool(text) and len(text) <= 40 and not PROSE_END.search(text) and not re.search(r"[:：]\s*\S", text) \
        and not _ASK_END.search(text) and "=" not in text


_CODE_PUNCT = re.compile(r"[=(:]")
# statements that a line of prose never is: an assignment, a call, a def, a loop header …
_CODE_STATEMENTS = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Import, ast.ImportFrom,
                    ast.FunctionDef, ast.ClassDef, ast.For, ast.While, ast.If, ast.With, ast.Try)


def is_code_statement(text: str) -> bool:
    """Whether a line is one Python statement (by Python's own parser): `x, y = box`,
    `def f(a):`, `print(x)`. A bare name or number ("Dropout", "42") is no statement."""
    line = text.strip()
    # (a statement has an "=", a call's "(" or a header's ":"; Chinese prose is none: cheap tests
    # before the parser)
    if not line or len(line) > 200 or not _CODE_PUNCT.search(line) or CJK.search(line):
        return False
    try:
        tree = ast.parse(line + ("\n    pass" if line.endswith(":") else ""))
    except (SyntaxError, ValueError):
        return False
    if len(tree.body) != 1:
        return False
    node = tree.body[0]
    return isinstance(node, _CODE_STATEMENTS) or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call))


# a <details> summary that only labels the answer under it ("答案", "Show answer"): no question
_ANSWER_SUMMARY = re.compile(r"<summary\b[^>]*+>\s*+(?:<[^>]*+>\s*+)*+(?:[^\w\s<>]++\s*+)?(?:(?:点击)?(?:查看|显示|展开)?(?:参考|详细)?(?:答案|解答|解决方案)|解析|答|"
                             r"(?:(?:click |tap )?(?:here )?(?:for |(?:to )?(?:show|view|see|reveal|display|expand) ))?(?:the )?(?:answer|solution)s?)\s*+[:：]?\s*+(?:<(?!/summary)[^>]*+>\s*+)*+</summary>", re.I)


_TAG = re.compile(r"<[^<>]*+>")


def _summary_words(summary: str) -> str:
    return " ".join(_TAG.sub("", summary).split()).casefold()


def repeated_labels(summaries: list[str]) -> frozenset[str]:
    """The <details> summaries of one page that label by repetition: the same words over two or
    more blocks ("Click for Solution" over every quiz item), none of them a question mark. Two
    blocks that ask the same thing in one page are a duplicate, not a layout; a page's label is
    one phrase the page repeats, whatever its wording, so no word list has to know it.
    In: each summary's inner text (tags allowed). Out: their folded words, for `labels_answer`."""
    seen = Counter(words for summary in summaries
                   if (words := _summary_words(summary)) and "?" not in words and "？" not in words)
    return frozenset(words for words, count in seen.items() if count >= 2)


def labels_answer(summary: str, repeated: frozenset[str] = frozenset()) -> bool:
    """Whether a <details> summary's text only labels the answer under it: its wording
    ("Answer", "查看答案") or, given the page's `repeated_labels`, its repetition."""
    return (_ANSWER_SUMMARY.fullmatch(f"<summary>{summary.strip()}</summary>") is not None
            or _summary_words(summary) in repeated)
