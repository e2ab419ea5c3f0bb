# Everyday tasks. `make serve` and `make test` set everything up from a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# Exported model and built index live here (git-ignored); override to share them between clones.
export CASESEARCH_HOME ?= $(CURDIR)/var

.PHONY: help install dev index serve mcp-http browser screenshots test test-fast lint format eval sweep bench cluster-check image image-tools image-check wheels clean lock

help:
	@echo "make serve      set up, build the index if needed, serve on $(HOST):$(PORT)"
	@echo "make mcp-http   the MCP server over streamable HTTP on 127.0.0.1 (CASESEARCH_MCP_PORT, 8001)/mcp"
	@echo "make test       set up, then lint and run the whole test suite (slow tests too)"
	@echo "make test-fast  the fast tests only (fake embedder, no model)"
	@echo "make screenshots  refresh docs/img/ from headless Chromium"
	@echo "make index      export the model and (re)build the index if stale"
	@echo "make eval       tune the model if needed, then retrieval quality per mode and slice,"
	@echo "                before and after tuning (writes docs/quality.json, docs/tuning.json)"
	@echo "make bench      measure query latency and memory (writes docs/bench.json)"
	@echo "make cluster-check  build on a local Ray cluster (a head and a worker) and compare"
	@echo "make image      build the container image (deploy/Containerfile) with Podman"
	@echo "make image-check  build the image, run it and check /readyz and a search in it"
	@echo "make lint       ruff"
	@echo "make clean      remove .venv and var/"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# What the service needs (requirements.lock), and on top of it what the tests and tools need
# (requirements-dev.lock): `make serve` installs only the first.
$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

$(VENV)/.dev-installed: requirements-dev.lock $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	@touch $@

install: $(VENV)/.installed

dev: $(VENV)/.dev-installed

index: install
	$(BIN)/casesearch --verbose build --if-stale

serve: index
	$(BIN)/casesearch serve --host $(HOST) --port $(PORT)

mcp-http: index
	$(BIN)/casesearch mcp --http

# Debian's Chromium for the browser tests (Playwright drives it; it downloads no browser),
# a CJK font so that screenshots show Chinese, nginx for the deploy check, and LibreOffice
# (headless, no GUI) to check that a Word brief opens and paginates, to make PDF fixtures, and
# (Calc) to open the workbooks we export; poppler-utils (pdftotext) reads PDFs in reading order.
CHROMIUM ?= /usr/bin/chromium
NGINX ?= /usr/sbin/nginx
SOFFICE ?= /usr/bin/soffice
SYSTEM_PACKAGES := chromium fonts-wqy-microhei nginx libreoffice-writer-nogui libreoffice-calc-nogui poppler-utils
CALC := /usr/lib/libreoffice/program/libsclo.so
browser:
	@if [ ! -x "$(CHROMIUM)" ] || [ ! -x /usr/bin/pdftotext ] || [ ! -x "$(NGINX)" ] || [ ! -x "$(SOFFICE)" ] || [ ! -e "$(CALC)" ] || ! fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk"; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	  else \
	    echo "The tests need: sudo apt-get install $(SYSTEM_PACKAGES)"; exit 1; \
	  fi; \
	fi

test: index dev browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -m "not image and not cluster" -p no:cacheprovider

test-fast: dev
	$(BIN)/python -m pytest

lint: dev
	$(BIN)/ruff check .

format: dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The model tuned for the corpus first (about 7 min on 2 cores the first time; kept after),
# then the figures of the default engine, and before / after tuning.
eval: index dev
	$(BIN)/casesearch --verbose tune --if-stale
	$(BIN)/casesearch eval --json docs/quality.json
	$(BIN)/python -m scripts.tuning_report --out docs/tuning.json

sweep: index dev
	$(BIN)/python -m scripts.tune_fusion --out docs/fusion-sweep.json

screenshots: index dev browser
	CASESEARCH_SCREENSHOTS=docs/img $(BIN)/python -m pytest -q -m slow tests/service/test_browser.py

bench: index
	$(BIN)/python -m scripts.bench --out docs/bench.json

# The container image: Podman (and runc, which runs where crun refuses the cgroups), and
# mmdebstrap to make a base image from Debian's packages where no registry is reachable.
IMAGE_PACKAGES := podman buildah runc mmdebstrap uidmap
image-tools:
	@if ! command -v podman >/dev/null || ! command -v mmdebstrap >/dev/null || ! command -v runc >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(IMAGE_PACKAGES) >/dev/null; \
	  else \
	    echo "The image needs: sudo apt-get install $(IMAGE_PACKAGES)"; exit 1; \
	  fi; \
	fi

image: install image-tools
	$(BIN)/python -m scripts.image

# The pinned dependencies as wheels in build/wheels, which deploy/Containerfile installs from
# (for `docker build`; `make image` gathers them itself).
wheels: install
	$(BIN)/python -m scripts.image --wheels-only

# A build on a local Ray cluster, compared with one made here (tests/index/test_cluster.py).
cluster-check: dev
	$(BIN)/python -m pytest -m cluster -p no:cacheprovider tests/index/test_cluster.py

image-check: dev image-tools
	$(BIN)/python -m pytest -m image -p no:cacheprovider tests/image

# Re-resolve the pinned versions (needs the package registry); commit the results.
lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/pip install --quiet --disable-pip-version-check -e .
	.lockenv/bin/pip freeze --exclude-editable | sed 's/+cpu$$//' > requirements.lock
	.lockenv/bin/pip install --quiet --disable-pip-version-check -e '.[dev]'
	.lockenv/bin/pip freeze --exclude-editable | sed 's/+cpu$$//' \
	  | grep -vxFf requirements.lock > requirements-dev.lock
	rm -rf .lockenv

clean:
	rm -rf $(VENV) var build
