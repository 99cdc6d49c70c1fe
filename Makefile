# `make` sets up .venv and builds everything; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SOURCES := $(wildcard source/*.txt source/*.md source/*.html) $(wildcard source/*.yaml)
CODE := $(shell find pipeline -name '*.py')
OUTPUTS := build/cards.yaml build/report.md build/deck.apkg build/study.md build/study.pdf build/quiz.pdf

.PHONY: all setup build test check bench clean fonts testtools
all: build

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

setup: $(VENV)/.installed fonts

# the sheets' fonts: CJK text, and colour emoji (🔥 ✅ would otherwise print as empty boxes)
fonts:
	@fc-list :lang=zh family 2>/dev/null | grep -qi "noto sans cjk" || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk; \
	  else echo "The PDF sheets need a CJK font: install Debian's fonts-noto-cjk (sudo apt-get install fonts-noto-cjk)"; exit 1; fi; }
	@fc-list "Noto Color Emoji" family 2>/dev/null | grep -q . || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-color-emoji; \
	  else echo "The PDF sheets need an emoji font: install Debian's fonts-noto-color-emoji (sudo apt-get install fonts-noto-color-emoji)"; exit 1; fi; }

# what the tests drive besides Python: the review page in Debian's chromium, PDFs read by poppler
testtools:
	@command -v chromium >/dev/null && command -v pdftotext >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils; \
	  else echo "The tests need Debian's chromium and poppler-utils (sudo apt-get install chromium poppler-utils)"; exit 1; fi; }

build: build/.stamp
build/.stamp: $(VENV)/.installed $(SOURCES) $(CODE) | fonts
	$(PY) -m pipeline build --source source --build build
	@touch $@

test: $(VENV)/.installed | fonts testtools
	$(PY) -m pytest -q -n auto

check: build
	$(PY) -m ruff check pipeline tests
	$(PY) -m pytest -q -p no:xdist tests/test_cards.py -k schema
	$(PY) ../shared/tools/score_extraction.py build/cards.yaml ../shared/gold

bench: $(VENV)/.installed
	cd tests/bench && PYTHONPATH=../.. ../../$(PY) -m pytest -q -p no:cacheprovider -m slow -s -o addopts="" test_bench.py test_review_bench.py test_stop_stress.py

clean:
	rm -rf build
