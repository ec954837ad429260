"""Chinese figure labels only when a CJK font can draw them."""

import pytest

from labkit.i18n import fonts, language


@pytest.fixture
def no_cjk_font(monkeypatch):
    monkeypatch.setattr(fonts, "cjk_font", lambda: None)


def test_english_notebooks_never_look_for_a_font(monkeypatch):
    monkeypatch.setattr(fonts, "cjk_font", lambda: pytest.fail("looked for a font"))
    with language("en"):
        assert fonts.plot_text("loss") == "loss"


def test_without_a_cjk_font_labels_stay_english_and_the_note_says_how_to_get_one(no_cjk_font):
    with language("zh"):
        assert fonts.plot_text("loss") == "loss"
        assert "fonts-noto-cjk" in fonts.font_note()


def test_with_a_cjk_font_labels_are_chinese(monkeypatch):
    monkeypatch.setattr(fonts, "cjk_font", lambda: "Noto Sans CJK SC")
    with language("zh"):
        assert fonts.plot_text("loss") == "损失"
        assert fonts.plot_text("epoch") == "轮"
        assert "Noto Sans CJK SC" in fonts.font_note()


def test_a_found_font_draws_chinese_without_missing_glyphs():
    family = fonts.cjk_font()
    if family is None:
        pytest.skip("no CJK font on this machine (apt-get install fonts-noto-cjk)")
    import warnings

    from matplotlib.figure import Figure

    figure = Figure(figsize=(2, 1))
    figure.add_subplot().set_title("损失与准确率")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font" would be a warning
        figure.savefig(__import__("io").BytesIO(), format="png")
