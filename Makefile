# Two commands do everything: `make lab` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt
# Each test worker runs one notebook kernel; two workers suit a 2-core machine.
WORKERS ?= 2
# The browser tests (tests/browser) drive a Chromium: LABKIT_CHROMIUM, else the system's.
CHROMIUM ?= $(or $(LABKIT_CHROMIUM),$(firstword $(wildcard /usr/bin/chromium /usr/bin/chromium-browser)))
# Jupyter refuses to run as root (containers, some cloud machines) unless told to.
ROOT_FLAG := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)
# Your own options for JupyterLab, e.g. `make lab LAB_ARGS=--port=9999`.
LAB_ARGS ?=

.PHONY: lab test test-browser build lint bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml constraints.txt | $(PY)
	$(PIP) -e . 2>&1 | grep -v "is ignored: it is neither" || true
	$(PY) -c "import labkit, torch, torchvision"
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PIP) -e ".[test]" 2>&1 | grep -v "is ignored: it is neither" || true
	$(PY) -c "import pytest, nbval, xdist, playwright"
	touch $@

lab: $(VENV)/.installed
	$(PY) -m jupyter lab --ServerApp.root_dir=notebooks $(ROOT_FLAG) $(LAB_ARGS)

build: $(VENV)/.installed
	$(PY) -m labkit build

lint: $(VENV)/.installed-test
	$(PY) -m ruff check labkit tests notebooks/src scripts benchmarks

test: $(VENV)/.installed-test lint
	$(PY) -m labkit build --solved-only
	$(PY) -m pytest -n $(WORKERS) --dist loadfile tests --ignore=tests/browser \
	    --nbval-lax --nbval-cell-timeout=600 notebooks build/solved
	@$(MAKE) --no-print-directory test-browser

# Every learner notebook in JupyterLab in a real browser, one at a time (see README).
test-browser: $(VENV)/.installed-test
ifeq ($(CHROMIUM),)
	@echo "Browser tests skipped: no Chromium found (apt-get install chromium, or set LABKIT_CHROMIUM=/path/to/chromium)."
else
	LABKIT_CHROMIUM=$(CHROMIUM) $(PY) -m pytest tests/browser
endif

bench: $(VENV)/.installed
	$(PY) benchmarks/import_time.py
	LABKIT_OFFLINE=1 $(PY) benchmarks/cnn_mnist.py
	LABKIT_OFFLINE=1 $(PY) benchmarks/optimizers_mnist.py
	LABKIT_OFFLINE=1 $(PY) benchmarks/gpu_ch05.py --quick
	LABKIT_OFFLINE=1 $(PY) benchmarks/deployment_table.py
	LABKIT_OFFLINE=1 $(PY) benchmarks/grade_throughput.py

clean:
	rm -rf build .pytest_cache .ruff_cache
