# The two commands a fresh machine needs: `make serve` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
HOST   ?= 127.0.0.1
PORT   ?= 8000
INDEX  ?= var/index
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install install-dev serve build test lint clean

$(VENV)/bin/python:
	python3 -m venv $(VENV)

# torch first: the pinned CPU build lies in the machine's wheel cache.
$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e .
	$(PY) -m index.onnx_encoder
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(PIP) install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# Built when missing, when its manifest (or a shard's) is one this cited no longer reads (an older format version),
# or when its vectors came from a backend whose vectors CITED_BACKEND does not reproduce (int8 against fp32, or an
# earlier int8 export).
build: install
	@$(PY) -c "from pathlib import Path; from index.shards import read_index_manifest; from index.load import check_backend; from service.settings import Settings; p = Path('$(INDEX)'); check_backend(p, read_index_manifest(p), Settings().backend)" 2>/dev/null \
		|| $(VENV)/bin/cited build --index $(INDEX)

serve: install build
	$(VENV)/bin/cited serve --host $(HOST) --port $(PORT) --index $(INDEX)

test: install-dev
	$(VENV)/bin/python -m pytest -q $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .

clean:
	rm -rf var/ out/ test-artifacts/ .pytest_cache
