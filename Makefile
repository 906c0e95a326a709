# The two quick-start commands: `make demo` and `make test`. Each sets up what it needs.
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench browser

$(BIN)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	@# The distribution was once called linkcheck: drop it so it cannot shadow this one.
	$(BIN)/pip uninstall --quiet --yes linkcheck 2>/dev/null || true
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/linkcheck demo

browser:
	@bash .ci/ensure-chromium

lint: $(BIN)/.installed
	$(BIN)/ruff check linkcheck tests bench
	$(BIN)/ruff format --check linkcheck tests bench

test: $(BIN)/.installed browser lint
	$(BIN)/pytest -q

bench: $(BIN)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[bench]'
