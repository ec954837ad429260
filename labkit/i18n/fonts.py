"""Chinese text in figures: a CJK font for Matplotlib, found or shipped.

Matplotlib's default font has no Chinese glyphs: Chinese labels would be drawn as empty
boxes. A Chinese notebook therefore draws with the first CJK font installed on the
machine (``fonts-noto-cjk`` on Debian and Ubuntu, Binder's set-up), and where there is
none (Colab, a fresh laptop) with the course's own font, a subset of Noto Sans CJK SC
that has every character the course's figures use (``labkit/i18n/font/``, made by
``labkit i18n font``). A figure is Chinese either way, never half English, never boxes.
Nothing happens until a Chinese notebook draws or picks its language.
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
COURSE_FONT = Path(__file__).resolve().parent / "font" / "NotoSansCJKsc-Course.otf"
COURSE_FAMILY = "Noto Sans CJK SC Course"


@cache
def cjk_font() -> str | None:
    """The CJK font family figures use, put first in Matplotlib's sans-serif list (Latin
    text keeps its look: these fonts have Latin glyphs too): an installed one, else the
    course's own; None only if the course's font cannot be read."""
    from matplotlib import rcParams

    family = system_cjk_font() or _course_font()
    if family is not None:
        rcParams["font.sans-serif"] = [family, *[f for f in rcParams["font.sans-serif"]
                                                 if f != family]]
    return family


def system_cjk_font() -> str | None:
    """The first CJK font family installed on this machine, or None."""
    from matplotlib import font_manager

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
    return family


def _course_font() -> str | None:
    from matplotlib import font_manager

    try:
        font_manager.fontManager.addfont(str(COURSE_FONT))
    except (OSError, RuntimeError, ValueError):
        return None
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    return COURSE_FAMILY if COURSE_FAMILY in installed else None


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
    if family == COURSE_FAMILY:
        return _("Figures draw their Chinese with the course's own font, which has every "
                 "character the course uses. For Chinese of your own in a figure, install a "
                 "full font (on Debian or Ubuntu: `apt-get install fonts-noto-cjk`), then "
                 "restart the kernel.")
    if family:
        return _("Figures label their axes in Chinese with the font {font}.").format(
            font=family)
    return _("No Chinese font is installed, so figures keep English labels. Install one "
             "(on Debian or Ubuntu: `apt-get install fonts-noto-cjk`), then restart the "
             "kernel.")
