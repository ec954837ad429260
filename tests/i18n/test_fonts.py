"""Chinese figures everywhere: an installed CJK font, else the course's own, never boxes."""

import fnmatch
import io
import sys
import warnings
from pathlib import Path

import matplotlib
import pytest

from labkit.i18n import fonts, language
from labkit.notebook import figure_font

# One worker runs this module: its shared fixture (a batch, an environment) is built once.
pytestmark = pytest.mark.xdist_group("fonts")

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def figure_texts():
    return figure_font.figure_texts(REPO)


@pytest.fixture
def fresh_font_choice():
    """cjk_font() chooses again, and Matplotlib's settings come back afterwards."""
    fonts.cjk_font.cache_clear()
    with matplotlib.rc_context():
        yield
    fonts.cjk_font.cache_clear()


def test_english_notebooks_never_look_for_a_font(monkeypatch):
    monkeypatch.setattr(fonts, "cjk_font", lambda: pytest.fail("looked for a font"))
    with language("en"):
        assert fonts.plot_text("loss") == "loss"


def test_without_an_installed_font_the_course_font_draws_chinese(monkeypatch, fresh_font_choice):
    monkeypatch.setattr(fonts, "system_cjk_font", lambda: None)
    assert fonts.cjk_font() == fonts.COURSE_FAMILY
    assert matplotlib.rcParams["font.sans-serif"][0] == fonts.COURSE_FAMILY
    with language("zh"):
        assert fonts.plot_text("loss") == "损失"
        note = fonts.font_note()
    assert "课程自带的字体" in note and "fonts-noto-cjk" in note  # how to get a full one


def test_an_installed_font_comes_first(monkeypatch, fresh_font_choice):
    monkeypatch.setattr(fonts, "system_cjk_font", lambda: "Noto Sans CJK SC")
    assert fonts.cjk_font() == "Noto Sans CJK SC"
    with language("zh"):
        assert fonts.plot_text("epoch") == "轮"
        assert "Noto Sans CJK SC" in fonts.font_note()


def test_with_no_font_at_all_labels_stay_english(monkeypatch, fresh_font_choice, tmp_path):
    monkeypatch.setattr(fonts, "system_cjk_font", lambda: None)
    monkeypatch.setattr(fonts, "COURSE_FONT", tmp_path / "missing.otf")  # a broken install
    with language("zh"):
        assert fonts.plot_text("loss") == "loss"
        assert "fonts-noto-cjk" in fonts.font_note()


def test_the_course_font_has_every_character_the_figures_draw(figure_texts):
    """Does the shipped font draw every character of every figure text (chapter code
    strings and labkit's plot labels, translated)?"""
    assert "损失" in figure_texts and "预测 {label}" in figure_texts  # both sources read
    lacking = figure_font.missing(REPO, texts=figure_texts)
    assert not lacking, (
        f"the course font lacks {len(lacking)} character(s) a figure uses: "
        f"{''.join(sorted(lacking))}\n"
        + "\n".join(f"  {char} in {where}" for char, where in list(lacking.items())[:10])
        + f"\nrun `{figure_font.COMMAND}` (it needs fonts-noto-cjk) and commit the font")


def test_a_figure_text_beyond_the_font_is_named():
    """The check above can fail: a new figure text with a character the font lacks."""
    lacking = figure_font.missing(REPO, texts={"損失龘": "03_mlp, line 9"})
    assert set(lacking) == {"損", "龘"} and "03_mlp, line 9" in lacking["龘"]


def test_the_course_font_draws_them_without_a_missing_glyph(figure_texts):
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    texts = sorted(figure_texts)
    figure = Figure(figsize=(4, 3))
    axes = figure.add_subplot()
    course = FontProperties(fname=fonts.COURSE_FONT)
    for row in range(0, len(texts), 40):
        axes.text(0, row, "\n".join(texts[row:row + 40]), fontproperties=course,
                  parse_math=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font" would be a warning
        figure.savefig(io.BytesIO(), format="png", dpi=20)


def test_the_font_and_its_licence_ship_with_labkit():
    data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = data["package-data"]["labkit"]
    for path in (fonts.COURSE_FONT, fonts.COURSE_FONT.with_name("OFL.txt")):
        relative = path.relative_to(REPO / "labkit").as_posix()
        assert path.exists() and any(fnmatch.fnmatch(relative, p) for p in patterns), relative
    assert "SIL OPEN FONT LICENSE Version 1.1" in fonts.COURSE_FONT.with_name(
        "OFL.txt").read_text()
