# make demo: set up .venv and run the default example end to end.
# make test: set up .venv, check lint and formatting (ruff), run the whole test suite (slow tests included).
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
LINTED := trigger tests examples benchmarks scripts
STAMP := $(VENV)/.installed
VENV3 := .venv-keras3
STAMP3 := $(VENV3)/.installed
DEMO  := build/jet_tagger_synthetic

.PHONY: setup demo test test-quick lint bench examples clean

setup: $(STAMP) $(STAMP3)

$(STAMP): pyproject.toml constraints.txt scripts/setup.sh
	bash scripts/setup.sh $(VENV)
	touch $(STAMP)

# the Keras-3 environment (HGQ2, QKeras-v3, float Keras 3 models; README "Two environments")
$(STAMP3): requirements-keras3.txt constraints-keras3.txt scripts/setup-keras3.sh
	bash scripts/setup-keras3.sh $(VENV3)
	touch $(STAMP3)

demo: $(STAMP)
	@start=$$(date +%s%N); \
	echo "== training the QKeras jet tagger on synthetic jets, exporting to QONNX"; \
	$(PY) examples/jet_tagger_synthetic/train.py --out $(DEMO) || exit $$?; \
	echo "== trigger-compile $(DEMO)/jet_tagger.onnx --target xcvu9p"; \
	$(VENV)/bin/trigger-compile $(DEMO)/jet_tagger.onnx --target xcvu9p --force; rc=$$?; \
	ms=$$(( ($$(date +%s%N) - start) / 1000000 )); \
	echo "demo wall time: $$((ms / 1000)).$$((ms % 1000 / 100)) s (exit code $$rc)"; exit $$rc

test: $(STAMP) $(STAMP3)
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)
	$(PY) -m pytest -ra -n 2 --dist loadgroup
	$(VENV3)/bin/python -m pytest -ra -n 2 --dist loadfile tests/keras3

test-quick: $(STAMP) $(STAMP3)
	$(PY) -m pytest -ra -n 2 --dist loadgroup -m "not slow"
	$(VENV3)/bin/python -m pytest -ra -n 2 --dist loadfile -m "not slow" tests/keras3

bench: $(STAMP)
	$(PY) benchmarks/cosim_jet.py
	$(PY) benchmarks/synth.py
	$(PY) benchmarks/zoo.py
	$(PY) benchmarks/fuzz.py

examples: $(STAMP) $(STAMP3)
	$(PY) examples/jet_tagger/run.py
	$(PY) examples/deepsets_tagger/run.py
	$(PY) examples/jet_image_cnn/run.py
	$(PY) examples/anomaly_detection/run.py
	$(PY) examples/jet_tagger_hgq/run.py

lint: $(STAMP)
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)

clean:
	rm -rf build vivado_projects/*/ .pytest_cache
