# Two commands do everything: `make lab` and `make test`. Both create .venv when missing.
# `make site` builds the course site into build/site (every chapter, both languages).
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
# PyTorch's own wheel index, e.g. its CPU-only wheels for a laptop without an NVIDIA GPU:
# `make lab TORCH_INDEX=https://download.pytorch.org/whl/cpu` (see README).
TORCH_INDEX ?=
# Your own options for JupyterLab, e.g. `make lab LAB_ARGS=--port=9999`.
LAB_ARGS ?=

# Each phase of `make test` prints its time and the machine's load (scripts/timed.py).
TIMED  := $(PY) scripts/timed.py
# The switches the tests run the notebooks under: the site phase reuses those runs.
TEST_ENV := LABKIT_OFFLINE=1 LABKIT_QUIET=1 LABKIT_FAST=1 LABKIT_DATA=$(CURDIR)/build/test-data
# A stand-in for Colab (another PyTorch, ipywidgets 7, no labkit) for tests/test_colab.py.
COLAB_ENV := build/colab/.ready

.PHONY: lab test test-browser build site lint bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml constraints.txt | $(PY)
	$(if $(TORCH_INDEX),$(PIP) torch torchvision --index-url $(TORCH_INDEX))
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

$(COLAB_ENV): scripts/colab_env.sh constraints.txt | $(VENV)/.installed-test
	@$(TIMED) "Colab stand-in environment (once)" -- scripts/colab_env.sh build/colab $(PYTHON)

# Unit tests and one run of every notebook (kept in build/executed), then the site built
# from those runs, then the browser: the site's pages and every notebook in JupyterLab.
test: $(VENV)/.installed-test lint $(COLAB_ENV)
	@$(TIMED) --reset
	@$(TIMED) "solved notebooks" -- $(PY) -m labkit build --solved-only -q
	@$(TIMED) "unit tests and notebook runs" -- $(PY) -m pytest -n $(WORKERS) \
	    --dist loadgroup tests --ignore=tests/browser --durations=15
	@$(TIMED) "course site" -- env $(TEST_ENV) $(PY) -m labkit site -q
	@$(MAKE) --no-print-directory test-browser
	@$(TIMED) --summary

# The site's pages and every learner notebook in JupyterLab in a real browser (see README);
# each test worker has its own JupyterLab and Chromium.
test-browser: $(VENV)/.installed-test
ifeq ($(CHROMIUM),)
	@echo "Browser tests skipped: no Chromium found (apt-get install chromium, or set LABKIT_CHROMIUM=/path/to/chromium)."
else
	@LABKIT_CHROMIUM=$(CHROMIUM) $(TIMED) "browser" -- $(PY) -m pytest -n $(WORKERS) \
	    --dist loadgroup tests/browser
endif

# The course site in build/site: every chapter run top to bottom (runs kept in
# build/executed are reused when their notebook has not changed).
site: $(VENV)/.installed
	$(PY) -m labkit site

bench: $(VENV)/.installed
	$(PY) benchmarks/import_time.py
	LABKIT_OFFLINE=1 $(PY) benchmarks/cnn_mnist.py
	LABKIT_OFFLINE=1 $(PY) benchmarks/optimizers_mnist.py
	LABKIT_OFFLINE=1 $(PY) benchmarks/gpu_ch05.py --quick
	LABKIT_OFFLINE=1 $(PY) benchmarks/deployment_table.py
	LABKIT_OFFLINE=1 $(PY) benchmarks/grade_throughput.py

clean:
	rm -rf build .pytest_cache .ruff_cache
