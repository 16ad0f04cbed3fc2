# Two commands on a fresh machine (see README):
#   make demo   installs the gateway in .venv and serves the demo on https://localhost:8443
#   make test   installs the gateway and its test tools in .venv and runs the whole test suite
PYTHON ?= python3.11
VENV   ?= .venv
DATA   ?= var/demo
PORT   ?= 8443
PYTEST_ARGS ?=

.PHONY: demo test lint install clean

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required (spyne 2.14): set PYTHON=/path/to/python3.11"'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(VENV)/bin/python setup.cfg pyproject.toml
	$(VENV)/bin/python -m pip install --quiet -e '.[test]'
	@touch $@

install: $(VENV)/.installed

demo: $(VENV)/.installed
	$(VENV)/bin/esav serve --demo --data $(DATA) --port $(PORT)

test: $(VENV)/.installed
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check gateway tests
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) var build *.egg-info
