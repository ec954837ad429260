"""Drive one notebook in JupyterLab as a learner would, and list what looks wrong.

Every check returns *problems*: short sentences naming the notebook, the cell and the
text that was seen. The tests assert that the list is empty; the self-test plants
faults and asserts that each one shows up in it.

The page is read through JupyterLab's own objects (``window.jupyterapp``, exposed by
the server flag ``--expose-app-in-browser``): its commands run the cells, its models
hold the outputs, and its logger registry holds what the log console shows. What a
person sees (rendered HTML, widgets, figures) is read from the page itself.
"""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

from labkit.i18n import LANGUAGES

# Installed once per page: small helpers over JupyterLab's objects.
HELPERS_JS = r"""
() => {
  const app = window.jupyterapp;
  const CONTROLS = '.widget-slider, .widget-dropdown, .widget-text';
  const panel = (path) => Array.from(app.shell.widgets('main'))
      .find(w => w.context && w.context.path === path) || null;
  const brief = (out) => {
    const o = Object.assign({}, out);
    if (o.data) {
      const d = {};
      for (const [k, v] of Object.entries(o.data)) {
        d[k] = k.startsWith('text/') ? String(v).slice(0, 4000) : '(' + k + ')';
      }
      o.data = d;
    }
    if (o.traceback) o.traceback = o.traceback.slice(-3);
    return o;
  };
  let registry = null;
  const loggerRegistry = async () => {
    if (registry) return registry;
    const services = app.pluginRegistry && app.pluginRegistry._services;
    const token = services && Array.from(services.keys())
        .find(t => t.name === '@jupyterlab/logconsole:ILoggerRegistry');
    registry = token ? await app.resolveRequiredService(token) : null;
    return registry;
  };
  window.__lk = {
    ready(path) {
      const p = panel(path);
      return !!(p && p.context.isReady && p.sessionContext.session &&
                p.sessionContext.session.kernel &&
                p.sessionContext.session.kernel.status === 'idle');
    },
    // How many times this notebook's kernel has gone busy (counted from the first call).
    busyCount(path) {
      const p = panel(path);
      if (p.__lkBusy === undefined) {
        p.__lkBusy = 0;
        p.sessionContext.statusChanged.connect((_, status) => {
          if (status === 'busy') p.__lkBusy += 1;
        });
      }
      return p.__lkBusy;
    },
    // What a control of an explorer holds now: a slider's readout, the option, the text.
    controlValue(id, j) {
      const c = document.querySelector(
          '[data-lk-explorer="' + id + '"] [data-lk-control="' + j + '"]');
      if (!c) return null;
      const field = c.querySelector('.widget-readout, select, input');
      return field ? (field.value !== undefined && field.tagName !== 'DIV'
                      ? field.value : field.textContent) : null;
    },
    kernelStatus(path) {
      const p = panel(path);
      const k = p && p.sessionContext.session && p.sessionContext.session.kernel;
      return k ? k.status : 'none';
    },
    busy(path) {
      const p = panel(path);
      const k = p.sessionContext.session && p.sessionContext.session.kernel;
      const running = p.content.widgets.some(c => c.model.type === 'code' &&
          /\*/.test((c.node.querySelector('.jp-InputPrompt') || {}).textContent || ''));
      return running || !k || k.status !== 'idle';
    },
    open(path) {
      window.__lkOpened = false;
      app.commands.execute('docmanager:open', {path, factory: 'Notebook'})
        .then(() => { window.__lkOpened = true; });
      return true;
    },
    close(path) {
      const p = panel(path);
      if (!p) return false;
      p.context.model.dirty = false;  // no "save your changes?" dialog
      p.close();
      return true;
    },
    runAll(path) {
      const p = panel(path);
      app.shell.activateById(p.id);
      window.__lkRunAll = {done: false, error: null};
      app.commands.execute('notebook:run-all-cells')
        .then(() => { window.__lkRunAll.done = true; })
        .catch(e => { window.__lkRunAll.done = true; window.__lkRunAll.error = String(e); });
    },
    count(path, i) {
      const c = panel(path).content.widgets[i];
      return c.model.type === 'code' ? c.model.executionCount : null;
    },
    toTop(path) {
      const p = panel(path);
      p.content.activeCellIndex = 0;
      (p.content.outerNode || p.content.node).scrollTop = 0;
      return true;
    },
    dialogs() {
      return Array.from(document.querySelectorAll('.jp-Dialog')).map(
        d => d.getAttribute('aria-label') || d.innerText);
    },
    runAllState() { return window.__lkRunAll; },
    async runCells(path, indices) {
      const p = panel(path);
      app.shell.activateById(p.id);
      for (const i of indices) {
        p.content.activeCellIndex = i;
        await app.commands.execute('notebook:run-cell');
      }
      return true;
    },
    leftArea() {
      const shell = app.shell;
      const browser = document.querySelector('.jp-FileBrowser');
      return {collapsed: shell.leftCollapsed,
              browserWidth: browser ? browser.getBoundingClientRect().width : 0,
              window: window.innerWidth};
    },
    cells(path) {
      const p = panel(path);
      return p.content.widgets.map((cell, i) => {
        const m = cell.model;
        cell.node.setAttribute('data-lk-cell', String(i));
        const info = {index: i, type: m.type, source: m.sharedModel.getSource()};
        if (m.type !== 'code') return info;
        info.count = m.executionCount;
        const timing = m.getMetadata('execution') || {};
        const t0 = Date.parse(timing['iopub.execute_input']);
        const t1 = Date.parse(timing['shell.execute_reply']);
        info.seconds = (t0 && t1) ? (t1 - t0) / 1000 : null;
        info.outputs = [];
        for (let k = 0; k < m.outputs.length; k++) {
          info.outputs.push(brief(m.outputs.get(k).toJSON()));
        }
        const area = cell.outputArea.node;
        info.text = area.innerText;
        info.images = area.querySelectorAll('img').length;
        info.brokenWidgets = Array.from(area.querySelectorAll('.jupyter-widgets-error-widget'))
            .map(e => e.innerText.trim());
        info.results = Array.from(area.querySelectorAll('.labkit-result')).map(e => ({
          cls: e.className, text: e.innerText, lines: e.children.length}));
        info.explorers = [];
        area.querySelectorAll('.jp-OutputArea-output').forEach((out, k) => {
          const controls = Array.from(out.querySelectorAll(CONTROLS));
          if (!controls.length) return;
          out.setAttribute('data-lk-explorer', i + '-' + k);
          info.explorers.push({id: i + '-' + k, controls: controls.map((c, j) => {
            c.setAttribute('data-lk-control', String(j));
            const kind = c.classList.contains('widget-slider') ? 'slider'
                : c.classList.contains('widget-dropdown') ? 'dropdown' : 'text';
            const label = c.querySelector('.widget-label');
            // The part a person aims at: a slider's track, the list, the text box.
            const part = kind === 'slider' ? c.querySelector('.noUi-target, .ui-slider')
                : c.querySelector(kind === 'dropdown' ? 'select' : 'input');
            const width = part ? part.getBoundingClientRect().width : 0;
            return {kind, index: j, label: label ? label.innerText.trim() : '', width};
          })});
        });
        return info;
      });
    },
    // What an explorer shows, leaving out its own controls (a slider's readout moves
    // with the handle even when nothing else reacts).
    view(id) {
      const node = document.querySelector('[data-lk-explorer="' + id + '"]');
      if (!node) return null;
      const clone = node.cloneNode(true);
      clone.querySelectorAll(CONTROLS).forEach(e => e.remove());
      return {text: clone.textContent,
              images: Array.from(clone.querySelectorAll('img')).map(e => e.src),
              canvases: clone.querySelectorAll('canvas').length};
    },
    async logEntries(path) {
      const reg = await loggerRegistry();
      if (!reg) return null;
      const model = reg.getLogger(path).outputAreaModel;
      const out = [];
      for (let k = 0; k < model.length; k++) {
        const item = model.get(k);
        out.push({level: item.level, output: brief(item.toJSON())});
      }
      return out;
    },
  };
  return true;
}
"""

CHECK_CALL = re.compile(r"^\s*q\.(\w+)\.check\(\)\s*$", re.M)
# The narrowest a control's working part may be and still be operated with a mouse: a
# slider's track (its steps must be pixels apart), a dropdown's list, a text box.
MIN_WIDTH = {"slider": 120, "dropdown": 80, "text": 80}
EXPLORER_CALL = re.compile(r"\b\w+_explorer\(")
RAW_RESULT = re.compile(r"<div class=\"labkit-(result|note)")
OUTCOME_CLASS = {"passed": "labkit-passed", "incorrect": "labkit-incorrect",
                 "not attempted": "labkit-not_attempted"}


class NotebookFailure(AssertionError):
    pass


def first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line.strip()[:80]
    return source.strip().splitlines()[0][:80] if source.strip() else "(empty)"


def _short(text: str, n: int = 300) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(text))  # ANSI colours of tracebacks
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 3] + "..."


def _output_message(output: dict) -> str:
    """One line for a log or cell output: an error's name and value, or its text."""
    kind = output.get("output_type")
    if kind == "error":
        return f"{output.get('ename')}: {output.get('evalue')}"
    if kind == "stream":
        return output.get("text", "")
    data = output.get("data") or {}
    return data.get("text/plain") or data.get("text/html") or str(output)


def _digest(view: dict | None) -> str:
    if view is None:
        return "(gone)"
    h = hashlib.sha1(view["text"].encode())
    for src in view["images"]:
        h.update(src.encode())
    h.update(str(view["canvases"]).encode())
    return h.hexdigest()


def open_jupyterlab(context, server, timeout: float = 120):
    """A browser page with JupyterLab loaded and the helpers installed."""
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(server.url())
    page.wait_for_function("() => !!(window.jupyterapp && window.jupyterapp.shell)",
                           timeout=timeout * 1000)
    page.evaluate("() => window.jupyterapp.restored")
    page.evaluate(HELPERS_JS)
    # JupyterLab's default layout, as a learner first sees it: the file browser open.
    page.evaluate("() => window.jupyterapp.shell.leftCollapsed && "
                  "window.jupyterapp.commands.execute('filebrowser:activate')")
    return page


def _steady_box(locator, tries: int = 20) -> dict:
    """The element's box once two readings 100 ms apart agree (the notebook may still be
    scrolling, and a drag at a stale position would land on another cell)."""
    box = locator.bounding_box()
    for _ in range(tries):
        time.sleep(0.1)
        again = locator.bounding_box()
        if again == box:
            return box
        box = again
    return box


class NotebookPage:
    """One notebook open in JupyterLab (in a page that `open_jupyterlab` prepared)."""

    def __init__(self, page, server, path: str, shots: Path):
        self.server = server
        self.path = path  # relative to the server root, e.g. "03_mlp.ipynb"
        # A translation lives one folder down ("zh/03_mlp.ipynb") and speaks its language.
        folder = path.split("/")[0] if "/" in path else "en"
        self.language = folder if folder in LANGUAGES else "en"
        self.name = path
        self.shots = Path(shots)
        self.shots.mkdir(parents=True, exist_ok=True)
        self.page = page
        self.browser_errors: list[str] = []
        self._on_error = lambda e: self.browser_errors.append(f"page error: {e}")
        self.page.on("pageerror", self._on_error)
        self.page.on("console", self._console)
        self._log_seen = 0

    def _console(self, message) -> None:
        if message.type == "error":
            self.browser_errors.append(f"browser console error: {_short(message.text)}")

    def where(self, cell: dict) -> str:
        return f"{self.name}, cell {cell['index'] + 1} `{first_line(cell['source'])}`"

    # -- opening and running ------------------------------------------------------------
    def open(self, timeout: float = 120) -> NotebookPage:
        """Open the notebook with JupyterLab's own command; wait for an idle kernel."""
        self.page.evaluate("(p) => window.__lk.open(p)", self.path)
        self.page.wait_for_function("(p) => window.__lk.ready(p)", arg=self.path,
                                    timeout=timeout * 1000, polling=250)
        return self

    def wait_idle(self, timeout: float, settle: float = 0.5) -> None:
        """Wait until no cell runs and the kernel has been idle for `settle` seconds."""
        deadline = time.monotonic() + timeout
        quiet_since = None
        while time.monotonic() < deadline:
            if self.page.evaluate("(p) => window.__lk.busy(p)", self.path):
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= settle:
                return
            time.sleep(0.15)
        raise NotebookFailure(f"{self.name}: still running after {timeout:.0f} s")

    def run_all(self, timeout: float) -> float:
        """Run All with JupyterLab's own command; returns the seconds it took."""
        start = time.monotonic()
        self.page.evaluate("(p) => window.__lk.runAll(p)", self.path)
        deadline = start + timeout
        while time.monotonic() < deadline:
            state = self.page.evaluate("() => window.__lk.runAllState()")
            if state["done"]:
                break
            time.sleep(0.5)
        else:
            raise NotebookFailure(f"{self.name}: Run All did not finish in {timeout:.0f} s")
        if state["error"]:
            raise NotebookFailure(f"{self.name}: Run All failed: {state['error']}")
        self.wait_idle(max(10.0, deadline - time.monotonic()))
        return time.monotonic() - start

    def run_cells(self, indices: list[int], timeout: float) -> float:
        """Run just these cells, in order, as Shift+Enter on each would; seconds taken."""
        start = time.monotonic()
        self.page.evaluate("([p, ids]) => window.__lk.runCells(p, ids)", [self.path, indices])
        self.wait_idle(timeout)
        return time.monotonic() - start

    def cells(self) -> list[dict]:
        return self.page.evaluate("(p) => window.__lk.cells(p)", self.path)

    def slowest(self, n: int = 3) -> str:
        """The `n` slowest cells of the last run, e.g. "cell 26 12.3 s, ..."."""
        timed = [c for c in self.cells() if c["type"] == "code" and c.get("seconds")]
        timed.sort(key=lambda c: -c["seconds"])
        return ", ".join(f"cell {c['index'] + 1} {c['seconds']:.1f} s" for c in timed[:n])

    def cell(self, index: int):
        return self.page.locator(f'[data-lk-cell="{index}"]')

    # -- what went wrong ----------------------------------------------------------------
    def log_errors(self, where: str = "") -> list[str]:
        """New errors in JupyterLab's log console for this notebook (since the last call);
        `where` says what was just done, e.g. which control was moved."""
        entries = self.page.evaluate("(p) => window.__lk.logEntries(p)", self.path)
        if entries is None:
            return [f"{self.name}: could not read JupyterLab's log console"]
        new, self._log_seen = entries[self._log_seen:], len(entries)
        where = where or self.name
        return [f"{where}: log console {e['level']}: {_short(_output_message(e['output']))}"
                for e in new if e["level"] in ("error", "critical")
                or e["output"].get("output_type") == "error"]

    def take_browser_errors(self) -> list[str]:
        found, self.browser_errors = self.browser_errors, []
        return [f"{self.name}: {e}" for e in found]

    def wait_widgets(self, timeout: float = 20) -> list[dict]:
        """Cells, once no widget says "Loading widget" any more (or `timeout` passed)."""
        deadline = time.monotonic() + timeout
        while True:
            cells = self.cells()
            loading = any("Loading widget" in c.get("text", "") for c in cells)
            if not loading or time.monotonic() > deadline:
                return cells
            time.sleep(0.5)

    def audit(self, expect_outcome: str = "not attempted",
              only: set[int] | None = None) -> list[str]:
        """Problems after Run All (or after running the cells ``only``): errors, unrun
        cells, widgets, check results, log."""
        problems = []
        for cell in self.wait_widgets():
            if cell["type"] != "code" or not cell["source"].strip():
                continue
            if only is not None and cell["index"] not in only:
                continue
            where = self.where(cell)
            if cell["count"] is None:
                problems.append(f"{where}: not run")
            for output in cell["outputs"]:
                if output.get("output_type") == "error":
                    problems.append(f"{where}: error output {_short(_output_message(output))}")
            text = cell["text"]
            for shown in cell["brokenWidgets"]:
                problems.append(f"{where}: widget failed to display: {_short(shown, 200)!r}")
            if "Error displaying widget" in text and not cell["brokenWidgets"]:
                problems.append(f"{where}: widget shows {_short(text, 200)!r}")
            if "Loading widget" in text:
                problems.append(f"{where}: widget never left 'Loading widget...'")
            if RAW_RESULT.search(text):
                problems.append(f"{where}: check result shown as raw HTML: {_short(text, 160)!r}")
            if CHECK_CALL.search(cell["source"]) and cell["count"] is not None:
                problems += self._check_result(cell, where, expect_outcome)
        problems += self.dialogs()
        problems += self.log_errors()
        problems += self.take_browser_errors()
        return problems

    def dialogs(self) -> list[str]:
        """JupyterLab dialogs in the way (a dead kernel, a missing file...)."""
        return [f"{self.name}: JupyterLab shows a dialog: {_short(text, 200)!r}"
                for text in self.page.evaluate("() => window.__lk.dialogs()")]

    def _check_result(self, cell: dict, where: str, outcome: str) -> list[str]:
        if not cell["results"]:
            seen = _short(cell["text"], 200) or "(no output)"
            return [f"{where}: no rendered check result; saw {seen!r}"]
        result = cell["results"][-1]
        word = self.outcome_word(outcome)
        if OUTCOME_CLASS[outcome] not in result["cls"].split() or word not in result["text"]:
            return [f"{where}: expected {word!r}, saw {_short(result['text'], 200)!r}"]
        return []

    def outcome_word(self, outcome: str) -> str:
        """How the notebook's language writes an outcome ("not attempted", "尚未作答")."""
        from labkit.check.result import OUTCOME_WORDS
        from labkit.i18n import _, language

        with language(self.language):
            return _(OUTCOME_WORDS[outcome])

    # -- explorers ----------------------------------------------------------------------
    def explorers(self) -> list[tuple[dict, dict]]:
        return [(cell, explorer) for cell in self.cells() if cell["type"] == "code"
                for explorer in cell.get("explorers", [])]

    def operate_explorers(self, timeout: float = 60,
                          first_only: bool = False) -> tuple[list[str], list[str]]:
        """Operate every control of every explorer (or, with ``first_only``, the first of
        each, every control's width still checked); (problems, what was done)."""
        problems, done = [], []
        for n, (cell, explorer) in enumerate(self.explorers(), start=1):
            node = self.page.locator(f'[data-lk-explorer="{explorer["id"]}"]')
            for control in explorer["controls"]:
                label = f" {control['label']!r}" if control["label"] else ""
                action = {"slider": "moving the slider", "dropdown": "picking another option in",
                          "text": "typing into the text box"}[control["kind"]]
                if control["kind"] == "dropdown":
                    action += f" the dropdown{label}"
                else:
                    action += label
                where = self.where(cell)
                narrow = MIN_WIDTH[control["kind"]]
                if control["width"] < narrow:
                    problems.append(
                        f"{where}: the {control['kind']}{label} is {control['width']:.0f} px "
                        f"wide, too narrow to operate (at least {narrow} px) in a "
                        f"{self.viewport_width()}-pixel window with the file browser open")
                if first_only and control is not explorer["controls"][0]:
                    continue
                before = self.page.evaluate("(id) => window.__lk.view(id)", explorer["id"])
                value = [explorer["id"], control["index"]]
                held = self.page.evaluate("([id, j]) => window.__lk.controlValue(id, j)", value)
                busy = self.page.evaluate("(p) => window.__lk.busyCount(p)", self.path)
                widget = node.locator(f'[data-lk-control="{control["index"]}"]')
                widget.scroll_into_view_if_needed()
                getattr(self, f"_operate_{control['kind']}")(widget)
                time.sleep(0.2)
                if held is not None and self.page.evaluate(
                        "([id, j]) => window.__lk.controlValue(id, j)", value) == held:
                    problems.append(f"{where}: {action} left its value at {held!r}")
                    done.append(f"{where}: {action}")
                    continue
                changed = self._wait_view_change(explorer["id"], _digest(before), timeout, busy)
                if not changed:
                    seen = _short((before or {}).get("text", ""), 160)
                    problems.append(f"{where}: {action} did not change the output "
                                    f"(it still shows {seen!r})")
                done.append(f"{where}: {action}")
                problems += self.log_errors(f"{where}, after {action}")
            node.screenshot(path=str(self.shots / f"explorer-{n}.png"))
        return problems, done

    def viewport_width(self) -> int:
        return self.page.evaluate("() => window.innerWidth")

    def left_area(self) -> dict:
        return self.page.evaluate("() => window.__lk.leftArea()")

    def _wait_view_change(self, explorer_id: str, before: str, timeout: float,
                          busy: int) -> bool:
        """Did the explorer's view change? Waits until it does, or until the kernel has
        taken up the change (gone busy since `busy`) and been idle for 1.5 s without
        one, or until `timeout`."""
        deadline = time.monotonic() + timeout
        quiet_since = None
        while time.monotonic() < deadline:
            if _digest(self.page.evaluate("(id) => window.__lk.view(id)", explorer_id)) != before:
                # It changed; let the redraw finish, then compare the settled view.
                self.wait_idle(max(5.0, deadline - time.monotonic()), settle=0.75)
                view = self.page.evaluate("(id) => window.__lk.view(id)", explorer_id)
                return _digest(view) != before
            answered = self.page.evaluate("(p) => window.__lk.busyCount(p)", self.path) > busy
            if not answered or self.page.evaluate("(p) => window.__lk.busy(p)", self.path):
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= 1.5:
                return False
            time.sleep(0.25)
        return False

    def _operate_slider(self, widget) -> None:
        """Drag the handle with the mouse to a quarter or three quarters of the track."""
        knob = widget.locator(".noUi-handle").first
        knob.hover()  # scrolls it into view and waits until it stops moving
        track, handle = _steady_box(widget.locator(".noUi-target")), _steady_box(knob)
        x0, y = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
        targets = [track["x"] + f * track["width"] for f in (0.25, 0.75)]
        x1 = max(targets, key=lambda x: abs(x - x0))
        mouse = self.page.mouse
        mouse.move(x0, y)
        mouse.down()
        mouse.move(x1, y, steps=8)
        mouse.up()

    def _operate_dropdown(self, widget) -> None:
        """Pick the next option (the first one when the last is selected)."""
        select = widget.locator("select")
        options = select.locator("option").all_inner_texts()
        current = select.evaluate("(s) => s.selectedIndex")
        select.select_option(index=(current + 1) % len(options))

    def _operate_text(self, widget) -> None:
        """Type a new value and press Enter."""
        box = widget.locator("input")
        new = "2, 3" if box.input_value().strip() != "2, 3" else "4, 1, 3"
        box.click()
        self.page.keyboard.press("ControlOrMeta+a")
        self.page.keyboard.type(new, delay=20)
        self.page.keyboard.press("Enter")

    # -- solving an exercise ------------------------------------------------------------
    def check_cell(self, exercise: str) -> tuple[dict, dict]:
        """(the exercise cell, its check cell): the code cell before `q.<name>.check()`."""
        code = [c for c in self.cells() if c["type"] == "code"]
        for k, cell in enumerate(code):
            match = CHECK_CALL.search(cell["source"])
            if match and match.group(1) == exercise and k > 0:
                return code[k - 1], cell
        raise NotebookFailure(f"{self.name}: no cell `q.{exercise}.check()`")

    def type_into(self, cell: dict, text: str) -> None:
        """Replace a cell's code the way a person pastes it: select all, insert."""
        editor = self.cell(cell["index"]).locator(".cm-content")
        editor.scroll_into_view_if_needed()
        editor.click()
        self.page.keyboard.press("ControlOrMeta+a")
        self.page.keyboard.press("Delete")
        self.page.keyboard.insert_text(text)

    def run_cell(self, cell: dict, timeout: float = 120) -> dict:
        """Click into the cell, press Shift+Enter, wait; return the cell as it is now."""
        index = cell["index"]
        count = "([p, i]) => window.__lk.count(p, i)"
        before = self.page.evaluate(count, [self.path, index])
        self.cell(index).locator(".cm-content").click()
        self.page.keyboard.press("Shift+Enter")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            now = self.page.evaluate(count, [self.path, index])
            if now is not None and now != before:
                break
            time.sleep(0.15)
        else:
            raise NotebookFailure(f"{self.where(cell)}: Shift+Enter did not run it")
        self.wait_idle(max(5.0, deadline - time.monotonic()), settle=0.3)
        return self.cells()[index]

    def solve(self, exercise: str, answer: str, outcome: str,
              fragment: str = "") -> list[str]:
        """Type `answer` into the exercise, run it and its check; problems if the check
        does not say `outcome` (and, for "incorrect", explain why, mentioning `fragment`)."""
        work, check = self.check_cell(exercise)
        self.type_into(work, answer)
        after = self.run_cell(work)
        problems = [f"{self.where(after)}: error output {_short(_output_message(o))}"
                    for o in after["outputs"] if o.get("output_type") == "error"]
        check = self.run_cell(check)
        where = self.where(check)
        problems += self._check_result(check, where, outcome)
        if not problems and outcome == "incorrect":
            result = check["results"][-1]
            if result["lines"] < 2:
                problems.append(f"{where}: 'incorrect' without an explanation: "
                                f"{_short(result['text'])!r}")
            elif self.language != "en" and not re.search(r"[\u4e00-\u9fff]", result["text"]):
                problems.append(f"{where}: the explanation is not in {self.language}: "
                                f"{_short(result['text'])!r}")
            elif fragment and fragment not in result["text"]:
                problems.append(f"{where}: the explanation does not mention {fragment!r}: "
                                f"{_short(result['text'])!r}")
        self.cell(check["index"]).screenshot(
            path=str(self.shots / f"solve-{outcome.replace(' ', '-')}.png"))
        return problems + self.dialogs() + self.log_errors() + self.take_browser_errors()

    # -- pictures -----------------------------------------------------------------------
    def figure_shots(self, n: int = 3) -> list[Path]:
        """Screenshots of `n` figures spread over the notebook (first, middle, last)."""
        cells = [c for c in self.cells() if c["type"] == "code" and c.get("images")]
        if not cells:
            return []
        picks = sorted({round(k * (len(cells) - 1) / max(n - 1, 1)) for k in range(n)})
        paths = []
        for k, pick in enumerate(picks, start=1):
            path = self.shots / f"figure-{k}.png"
            area = self.cell(cells[pick]["index"]).locator(".jp-Cell-outputWrapper")
            area.screenshot(path=str(path))
            paths.append(path)
        return paths

    def scroll_to_top(self) -> None:
        self.page.evaluate("(p) => window.__lk.toTop(p)", self.path)

    def screenshot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def close(self) -> None:
        """Close the notebook's tab (its kernel is shut down by the server fixture)."""
        self.page.remove_listener("pageerror", self._on_error)
        self.page.remove_listener("console", self._console)
        self.page.evaluate("(p) => window.__lk.close(p)", self.path)
