"""Chinese text in figures: find a CJK font, or keep the figure's words in English.

Matplotlib's default font has no Chinese glyphs: Chinese labels would be drawn as empty
boxes. So a figure speaks Chinese only when a CJK font is installed (``fonts-noto-cjk``
on Debian and Ubuntu, the set-up of Colab and Binder); otherwise its labels stay
English. Nothing happens until a Chinese notebook draws or picks its language.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from labkit.i18n import ENGLISH, _, current

# Families with Chinese glyphs, best first: Linux, then macOS and Windows.
CJK_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "Noto Sans CJK JP", "Noto Sans CJK TC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
    "Droid Sans Fallback", "PingFang SC", "Hiragino Sans GB", "Heiti SC", "STHeiti",
    "Microsoft YaHei", "SimHei", "Arial Unicode MS",
)


@cache
def cjk_font() -> str | None:
    """The first installed CJK font family, put first in Matplotlib's sans-serif list
    (Latin text keeps its look: these fonts have Latin glyphs too); None if there is none."""
    from matplotlib import font_manager, rcParams

    family = _first_cjk(font_manager)
    if family is None:
        # Matplotlib's font list is cached from the first time it ran: a font installed
        # since then is not in it. Add the system's CJK font files, then look again.
        for path in font_manager.findSystemFonts():
            if any(word in Path(path).name.lower() for word in _CJK_FILE_WORDS):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue  # a file Matplotlib cannot read is no reason to fail
        family = _first_cjk(font_manager)
    if family is not None:
        rcParams["font.sans-serif"] = [family, *[f for f in rcParams["font.sans-serif"]
                                                 if f != family]]
    return family


_CJK_FILE_WORDS = ("cjk", "wqy", "sourcehansans", "notosanssc", "droidsansfallback", "msyh",
                   "simhei", "pingfang", "hiragino", "stheiti")


def _first_cjk(font_manager) -> str | None:
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FAMILIES if name in installed), None)


def plot_text(english: str) -> str:
    """A figure's label in the current language, when a font can draw it; else English."""
    if current() == ENGLISH:
        return english
    return _(english) if cjk_font() else english


def font_note() -> str:
    """One line for the notebook: which font draws the figures' Chinese, or why none."""
    family = cjk_font()
    if family:
        return _("Figures label their axes in Chinese with the font {font}.").format(
            font=family)
    return _("No Chinese font is installed, so figures keep English labels. Install one "
             "(on Debian or Ubuntu: `apt-get install fonts-noto-cjk`), then restart the "
             "kernel.")
