"""The course's own Chinese font: a subset of Noto Sans CJK SC with every character its
figures draw, so a Chinese notebook's figures are Chinese wherever it runs.

A figure's words come from two places: the strings of chapter code cells (their
translations in ``notebooks/locale/zh/NN_name.po``) and labkit's plot and widget labels
(``labkit/locale/zh/labkit.po``). ``characters`` collects every character of their
translations; ``write`` cuts those glyphs out of an installed Noto Sans CJK SC (Debian's
``fonts-noto-cjk``) into ``labkit/i18n/font/``, renamed so that it never stands in for the
full font. ``labkit i18n font`` runs it; a test names any character a figure text uses
that the shipped font lacks.
"""

from __future__ import annotations

from pathlib import Path

from labkit.i18n.fonts import COURSE_FAMILY, COURSE_FONT

# Where Debian and Ubuntu put Noto Sans CJK (fonts-noto-cjk); SC is face 2 of the collection.
SOURCES = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
           "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc")
SC_FACE = 2
COMMAND = "labkit i18n font"
# Always in the font: ASCII, and the punctuation a learner's own label is likely to use.
ALWAYS = "".join(chr(i) for i in range(32, 127)) + "，。：；！？（）、“”‘’《》…—·×÷±≈≤≥→"
FIGURE_MODULES = ("labkit/plot/", "labkit/widgets/")


def figure_texts(repo: Path, lang: str = "zh") -> dict[str, str]:
    """Every translated text a figure may draw, with where it comes from."""
    from labkit.i18n import finished_entries
    from labkit.notebook import catalogs
    from labkit.notebook.chapter import chapters

    texts: dict[str, str] = {}
    for chapter in chapters(repo):
        table = catalogs.chapter_table(repo, lang, chapter.stem)
        for unit in catalogs.chapter_units(chapter.source):
            if unit.kind == "string" and unit.text in table:
                texts[table[unit.text]] = f"{chapter.stem}, line {unit.line}"
    core = repo / "labkit" / "locale" / lang / "labkit.po"
    translated = finished_entries(core) if core.exists() else {}
    drawn = _drawn_messages(repo / "labkit")
    for key, where in drawn.items():
        if key in translated:
            texts[translated[key]] = where
    return texts


def _drawn_messages(package: Path) -> dict[str, str]:
    """labkit's messages that figures draw: those of the plot and widget modules, and
    every ``plot_text`` call."""
    from babel.messages.extract import extract_from_file

    from labkit.notebook.catalogs import KEYWORDS

    found = {}
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package.parent).as_posix()
        if relative.startswith(FIGURE_MODULES):
            keywords = KEYWORDS
        elif "plot_text(" in path.read_text(encoding="utf-8"):
            keywords = {"plot_text": None}
        else:
            continue
        for line, message, _c, _x in extract_from_file("python", path, keywords=keywords):
            key = message[0] if isinstance(message, tuple) else message
            if key:
                found[key] = f"{relative}:{line}"
    return found


def characters(repo: Path, lang: str = "zh") -> set[str]:
    """The characters the course font must have."""
    chars = set(ALWAYS)
    for text in figure_texts(repo, lang):
        chars.update(text)
    return {c for c in chars if c.isprintable()}


def shipped(repo: Path) -> Path:
    """Where the course font lives in the repository ``repo``."""
    return repo / "labkit" / "i18n" / "font" / COURSE_FONT.name


def missing(repo: Path, font: Path | None = None, lang: str = "zh", *,
            texts: dict[str, str] | None = None) -> dict[str, str]:
    """Characters of figure texts (``texts``, default: ``figure_texts``) that ``font``
    (default: the shipped one) cannot draw, with a text that uses each."""
    from fontTools.ttLib import TTFont

    font = font or shipped(repo)
    cmap = TTFont(font).getBestCmap() if font.exists() else {}
    out = {}
    for text, where in (texts if texts is not None else figure_texts(repo, lang)).items():
        for char in text:
            if char.isprintable() and ord(char) > 127 and ord(char) not in cmap:
                out.setdefault(char, f"{where}: {text!r}")
    return out


def source_font() -> Path:
    found = next((Path(p) for p in SOURCES if Path(p).exists()), None)
    if found is None:
        raise FileNotFoundError(
            "Noto Sans CJK is not installed, and the course font is cut from it: install "
            f"it (Debian or Ubuntu: `apt-get install fonts-noto-cjk`), then run `{COMMAND}`")
    return found


def write(repo: Path, target: Path | None = None, lang: str = "zh") -> tuple[int, int]:
    """Cut the course font from the installed Noto Sans CJK SC into ``target`` (default:
    the shipped one); (glyphs, bytes) written."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    target = target or shipped(repo)
    font = TTFont(source_font(), fontNumber=SC_FACE, recalcTimestamp=False)
    options = subset.Options()
    options.layout_features = []  # Matplotlib shapes no text: no ligatures, no variants
    options.hinting = False  # Matplotlib hints glyphs itself (text.hinting)
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14, 16, 17]  # names, copyright, licence
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(ord(c) for c in characters(repo, lang)))
    subsetter.subset(font)
    _rename(font)
    target.parent.mkdir(parents=True, exist_ok=True)
    font.save(target)
    return len(font.getGlyphOrder()), target.stat().st_size


def _rename(font) -> None:
    """A new family name: the subset must never be taken for the full Noto Sans CJK SC
    (and a modified font keeps the licence's reserved names for the original)."""
    postscript = COURSE_FAMILY.replace(" ", "")
    names = {1: COURSE_FAMILY, 2: "Regular", 4: COURSE_FAMILY, 6: postscript,
             16: COURSE_FAMILY, 17: "Regular",
             3: f"{postscript};subset of Noto Sans CJK SC for the course's figures"}
    table = font["name"]
    for record in list(table.names):
        if record.nameID in names:
            table.removeNames(nameID=record.nameID)
    for name_id, text in names.items():
        table.setName(text, name_id, 3, 1, 0x409)  # Windows, Unicode BMP, English (US)
        table.setName(text, name_id, 1, 0, 0)  # Macintosh, Roman, English
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [postscript]
        top = cff.topDictIndex[0]
        top.FamilyName = top.FullName = COURSE_FAMILY
