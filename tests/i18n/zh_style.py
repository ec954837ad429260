"""The house style of the Chinese text (notebooks/locale/zh/GLOSSARY.md), as checks.

Each check takes a translation and returns what is wrong with it, in words a translator
acts on. Code (fenced blocks, `code spans`), formulas ($...$), link targets and HTML
tags are left out of every check but the one about code spans.
"""

from __future__ import annotations

import re

CJK = "\u4e00-\u9fff"
_FENCED = re.compile(r"```.*?```", re.S)
_SPAN = re.compile(r"`[^`]*`")
_MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]*\$", re.S)
_LINK_TARGET = re.compile(r"\]\([^)\s]*\)")
_TAG = re.compile(r"<[^>\n]*>")
_URL = re.compile(r"https?://\S+")
_FIELD = re.compile(r"\{[^{}\n]*\}")

HALF_WIDTH_BESIDE_CJK = re.compile(rf"[{CJK}][,.:;!?()\"]|[,.:;!?()\"][{CJK}]")
_HAS_CJK = re.compile(rf"[{CJK}]")
SPACE_BEFORE_PERCENT = re.compile(r"[\d}] +%")
X_FOR_TIMES = re.compile(r"(?:\d|\})\s*x\s*(?:\d|\{|\|)")

# Words the glossary rules out, with the word to use instead.
FORBIDDEN = {
    r"笔记本(?!电脑)": "notebook (笔记本 is a laptop, 笔记本电脑)",
    r"[全]?规约": "归约 (reduction), all-reduce（全归约）",
    r"(?i)(?<![A-Za-z_])bugs?(?![A-Za-z_])": "错误",
    r"台(?:设备|加速器| ?GPU)": "个设备, 块 GPU (台 counts machines)",
    r"第 ?\d\d[a-z]?_\w+ ?章": "the chapter id as a name: 03_mlp 这一章, or 第 03 章",
    r"检查程序的错误": "检查程序出错",
    r"可以调用的东西": "可调用对象",
    r"批次": "批量",
    r"学习速率": "学习率",
    r"过度拟合": "过拟合",
    r"(?:前向|反向)传递": "前向传播, 反向传播",
    r"激励函数": "激活函数",
    r"权值": "权重",
    r"纪元|时期数": "轮（epoch）",
    r"小部件|小组件": "交互控件",
    r"装置": "设备",
}


def prose(text: str) -> str:
    """``text`` without code, formulas, link targets, tags, URLs and format fields."""
    for pattern in (_FENCED, _SPAN, _MATH, _LINK_TARGET, _TAG, _URL, _FIELD):
        text = pattern.sub(" ", text)
    return text


def faults(text: str) -> list[str]:
    """Every house-style fault of one Chinese text."""
    out = []
    words = prose(text)
    for match in HALF_WIDTH_BESIDE_CJK.finditer(words):
        out.append(f"half-width punctuation beside Chinese: {_near(words, match)!r} "
                   "(use ，。：；！？（）“”)")
    for match in _SPAN.finditer(_FENCED.sub(" ", text)):
        if _HAS_CJK.search(match.group()):
            out.append(f"Chinese inside a code span: {match.group()!r} (keep the words out "
                       "of the backticks)")
    for match in SPACE_BEFORE_PERCENT.finditer(words):
        out.append(f"a space before %: {_near(words, match)!r}")
    for match in X_FOR_TIMES.finditer(words):
        out.append(f"x for times or a size: {_near(words, match)!r} (use ×)")
    for pattern, instead in FORBIDDEN.items():
        for match in re.finditer(pattern, words):
            out.append(f"{match.group()!r} is not a glossary term: {instead} "
                       f"({_near(words, match)!r})")
    return out


def _near(text: str, match: re.Match, width: int = 12) -> str:
    return text[max(0, match.start() - width):match.end() + width].replace("\n", " ")
