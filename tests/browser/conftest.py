"""Fixtures for the browser tests: one JupyterLab server and one Chromium per test
process (`make test` runs two, `pytest -n 2`; each has its own server and browser).

The tests run only where a Chromium is found (LABKIT_CHROMIUM=/path, or the system's
/usr/bin/chromium) and Playwright is installed; elsewhere they are skipped with a line
that says how to enable them. Playwright drives that Chromium directly: no browser is
ever downloaded.
"""

from __future__ import annotations

import atexit
import json
import signal
import time

import pytest
from browser.common import PHASES, SHOTS, TIMES, chromium_or_skip
from browser.labpage import open_jupyterlab
from browser.server import CHROMIUM_ARGS, LabServer

# A learner's laptop: a 1366 x 768 screen, the browser window filling it.
LAPTOP = {"width": 1366, "height": 768}


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    server = LabServer(tmp_path_factory.mktemp("jupyterlab"))
    atexit.register(server.stop)  # also when the session is interrupted
    # A plain `kill` (or a CI timeout) should tidy up like Ctrl+C does.
    signal.signal(signal.SIGTERM, _interrupt)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """A Chromium browser context with a fresh profile."""
    from playwright.sync_api import sync_playwright

    executable = chromium_or_skip()
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=executable,
            headless=True, args=CHROMIUM_ARGS, viewport=LAPTOP)
        yield context
        context.close()


@pytest.fixture(scope="session")
def jupyterlab(lab, browser):
    """One browser page with JupyterLab loaded; each test opens its notebook in it."""
    page = open_jupyterlab(browser, lab)
    yield page
    page.close()


@pytest.fixture
def timer(request):
    """Record how long a test took, for the summary at the end."""
    start = time.monotonic()
    yield
    TIMES[request.node.name] = time.monotonic() - start


STARTED = time.time()


def _process(config) -> str:
    return getattr(config, "workerinput", {}).get("workerid", "main")


def pytest_sessionfinish(session):
    """Each test process leaves its times beside the pictures, for the summary."""
    if TIMES or PHASES:
        SHOTS.mkdir(parents=True, exist_ok=True)
        part = SHOTS / f"times-{_process(session.config)}.json"
        part.write_text(json.dumps({"times": TIMES, "phases": PHASES}))


def _gather() -> tuple[dict, dict]:
    """The times every test process of this run left (older leftovers are ignored)."""
    times, phases = {}, {}
    for part in sorted(SHOTS.glob("times-*.json")):
        if part.stat().st_mtime >= STARTED:
            found = json.loads(part.read_text())
            times.update(found["times"])
            phases.update(found["phases"])
        part.unlink()
    return times, phases


def pytest_terminal_summary(terminalreporter):
    if _process(terminalreporter.config) != "main":
        return
    times, phases_of = _gather()
    if not times:
        return
    write = terminalreporter.write_line
    terminalreporter.section("browser test times")
    for name, seconds in sorted(times.items(), key=lambda item: -item[1]):
        write(f"{seconds:7.1f} s  {name}")
    details = [f"{notebook}: " + ", ".join(
        f"{k} {v:.1f} s" if isinstance(v, float) else f"{k}: {v}" for k, v in phases.items())
        for notebook, phases in sorted(phases_of.items())]
    for line in details:
        write(f"          {line}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "times.txt").write_text(
        "".join(f"{s:.1f}\t{n}\n" for n, s in times.items()) + "".join(
            f"\t{line}\n" for line in details))

