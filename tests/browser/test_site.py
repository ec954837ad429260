"""The course site (`labkit site`), opened in a browser page by page, in both languages.

Every chapter page must show every figure its executed notebook has (each image file
loads), its check results rendered and saying "not attempted" in the page's language,
and the course's bar: the other language, the neighbouring chapters, Colab and Binder at
the release's tag, and a notebook to download that the server really has. Three figures
of each page are kept as screenshots in build/browser/site/.
"""

from __future__ import annotations

import json
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from browser.common import SHOTS, chromium_or_skip
from browser.server import REPO

from labkit.notebook.project import release_tag, version
from labkit.site.build import pages

chromium_or_skip()

SITE = REPO / "build" / "site"
EXECUTED = REPO / "build" / "executed"
PAGES = pages(REPO, EXECUTED)
NOT_ATTEMPTED = {"en": "not attempted", "zh": "尚未作答"}


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site():
    """The built site, served on a loopback port (built here when `make site` was not)."""
    if not (SITE / "index.html").exists():
        from labkit.site import build_site

        build_site(REPO, SITE, executed=EXECUTED, echo=lambda *a: None)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(SITE)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def tab(browser):
    page = browser.new_page()
    yield page
    page.close()


def _image_outputs(executed: Path) -> int:
    nb = json.loads(executed.read_text())
    return sum(1 for cell in nb["cells"] if cell["cell_type"] == "code"
               for out in cell.get("outputs", []) if "image/png" in out.get("data", {}))


READ_PAGE = """() => ({
  lang: document.documentElement.lang,
  images: Array.from(document.images).map(i => ({src: i.getAttribute('src'),
      ok: i.complete && i.naturalWidth > 0})),
  links: Object.fromEntries(['course-colab', 'course-binder', 'course-download',
      'course-previous', 'course-next'].map(c => {
        const a = document.querySelector('a.' + c); return [c, a && a.getAttribute('href')];
      })),
  languages: Array.from(document.querySelectorAll('.course-languages a'))
      .map(a => a.getAttribute('href')),
  results: Array.from(document.querySelectorAll('.labkit-result')).map(e => e.innerText),
})"""


@pytest.mark.parametrize("page", PAGES, ids=[f"{p.lang}/{p.stem}" for p in PAGES])
def test_site_page_shows_every_figure_and_its_links(site, tab, page):
    url = f"{site}{page.folder}{page.stem}.html"
    response = tab.goto(url, wait_until="load")
    assert response and response.ok, url
    seen = tab.evaluate(READ_PAGE)
    assert seen["lang"] == page.lang
    broken = [i["src"] for i in seen["images"] if not i["ok"]]
    assert not broken, f"{url}: figures that do not load: {broken}"
    assert len(seen["images"]) >= _image_outputs(page.executed) > 0 or page.stem == "00_setup"
    tag = release_tag(version(REPO))
    assert tag in seen["links"]["course-colab"] and tag in seen["links"]["course-binder"]
    for name in ("course-download", "course-previous", "course-next"):
        href = seen["links"][name]
        if href:
            assert tab.request.get(f"{site}{page.folder}{href}").ok, (name, href)
    assert seen["links"]["course-previous"] or seen["links"]["course-next"]
    for href in seen["languages"]:  # the same chapter in the other language
        assert page.stem in href and tab.request.get(f"{site}{page.folder}{href}").ok, href
    assert seen["languages"], "no link to the other language"
    assert seen["results"] and all(NOT_ATTEMPTED[page.lang] in r or "/" in r
                                   for r in seen["results"]), seen["results"][:3]
    figures = tab.locator(".jp-OutputArea-output img")
    count = figures.count()
    shots = SHOTS / "site" / page.lang / page.stem
    shots.mkdir(parents=True, exist_ok=True)
    for k, n in enumerate(sorted({0, count // 2, count - 1}) if count else [], start=1):
        figures.nth(n).screenshot(path=str(shots / f"figure-{k}.png"))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_site_index_lists_every_chapter(site, tab, lang):
    folder = "" if lang == "en" else f"{lang}/"
    assert tab.goto(f"{site}{folder}index.html").ok
    hrefs = tab.evaluate("() => Array.from(document.querySelectorAll('td a'))"
                         ".map(a => a.getAttribute('href'))")
    assert hrefs == [f"{p.stem}.html" for p in PAGES if p.lang == lang]
    for href in hrefs:
        assert tab.request.get(f"{site}{folder}{href}").ok
