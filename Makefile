# Two commands on a fresh machine (see README):
#   make demo   installs the gateway in .venv and serves the demo on https://localhost:8443
#   make test   installs the gateway, its test tools and the interoperability clients and browser
#               (when the machine allows: missing ones make their tests skip), checks lint, format and
#               types, and runs the whole suite
# The interpreter: the system's Python 3.11 when it has one that makes virtual environments (Debian
# 12's, the one docs/deployment.md installs the gateway with, built with profile-guided and link-time
# optimisation: about a fifth less CPU a deposit than a build without them, bench/README.md), else the
# first python3.11 on the PATH. PYTHON=/path/to/python3.11 chooses another.
PYTHON ?= $(or $(shell /usr/bin/python3.11 -c 'import ensurepip, venv' 2>/dev/null && echo /usr/bin/python3.11),python3.11)
VENV   ?= .venv
DATA   ?= var/demo
PORT   ?= 8443
PYTEST_ARGS ?=

.PHONY: demo test test-fast lint install clean toolchains wheel screenshots

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required (spyne 2.14): set PYTHON=/path/to/python3.11"'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(VENV)/bin/python setup.cfg pyproject.toml
	$(VENV)/bin/python -m pip install --quiet -e '.[test]'
	@touch $@

install: $(VENV)/.installed

demo: $(VENV)/.installed
	$(VENV)/bin/esav servir --demo --donnees $(DATA) --port $(PORT)

# PHP SoapClient, Java JAX-WS, node-soap for tests/interop; Chromium for the portal's browser tests.
# Idempotent and never failing: what cannot be installed makes its tests skip with the reason.
# Then the JAX-WS and Mono clients and the benchmark's JAX-WS peer are compiled, once per state of the
# WSDLs and of their sources (build/interop/, build/bench/, folders named by their hash): nothing to
# do when those have not changed.
toolchains: $(VENV)/.installed
	@bash tests/interop/install-toolchains.sh
	@bash tests/web/install-browser.sh
	@$(VENV)/bin/python tests/interop/client_builds.py
	@$(VENV)/bin/python -m bench.peers

# The wheel of the current sources installed in a virtual environment outside the checkout, for
# tests/test_wheel.py: built once per state of the sources (a folder of the temporary directory named by
# their hash), nothing to do when the sources have not changed since the last build.
wheel: $(VENV)/.installed
	@$(VENV)/bin/python tests/wheel_support.py

# Lint, format and types first (seconds), then every test, one pytest process per core (a test
# module stays on one process, so its module-wide fixtures are built once), the modules handed out in
# the suite's order (tests/conftest.py: the longest first), not re-sorted by their number of tests.
# Python keeps its compiled modules, and pytest its rewritten test modules, between runs and for the
# processes the tests start, even where the environment says otherwise (PYTHONDONTWRITEBYTECODE):
# compiling them again in every process costs seconds.
test: $(VENV)/.installed toolchains wheel lint
	PYTHONDONTWRITEBYTECODE= $(VENV)/bin/python -m pytest -n auto --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

# The browser tests, keeping a full-page screenshot of each page they visit in artifacts/screenshots/
# (the usage guide's pictures are copies of them); `make test` takes none.
screenshots: $(VENV)/.installed toolchains
	TEST_SCREENSHOTS=1 $(VENV)/bin/python -m pytest -p no:cacheprovider tests/test_web_browser.py \
		tests/test_web_browser_provider.py tests/test_web_evolutions.py

# The in-process tests only (no server, no browser, no other process): seconds, for the edit-test loop.
test-fast: $(VENV)/.installed
	PYTHONDONTWRITEBYTECODE= $(VENV)/bin/python -m pytest -n auto -m unit $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check gateway tests bench
	$(VENV)/bin/ruff format --check gateway tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache --no-logo

clean:
	rm -rf $(VENV) var build *.egg-info
