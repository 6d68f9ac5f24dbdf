# AVA: every target installs into .venv/ first if needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE ?= 1
export TRANSFORMERS_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false

.PHONY: install demo test train retrain evaluate clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: install
	$(PY) -m ava_model.demo

test: install
	$(PY) -m pytest -q

train: install
	$(VENV)/bin/ava train

retrain: install
	$(VENV)/bin/ava train --since-champion

evaluate: install
	$(VENV)/bin/ava evaluate --report reports/evaluation.html

clean:
	rm -rf $(VENV) .cache mlruns mlflow.db reports
