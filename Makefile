# Affinity: `make run` starts the demo server, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-python test-frontend bench eval lint clean cluster cluster-stop

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/affinity demo
	AFFINITY_DEMO_MODE=true $(BIN)/affinity serve

test: test-python test-frontend

# The frontend's packages (playwright-core drives Chromium for some Python tests too).
NODE_STAMP := frontend-snippets/node_modules/.installed

$(NODE_STAMP): frontend-snippets/package-lock.json
	cd frontend-snippets && npm ci --no-audit --no-fund --silent
	touch $(NODE_STAMP)

test-python: install $(NODE_STAMP)
	$(BIN)/pytest -rs

test-frontend: $(NODE_STAMP)
	cd frontend-snippets && npm test && npm run test:e2e

# The production topology on this machine (docs/deploy.md): PostgreSQL and Redis as
# installed, two servers, a worker, the inbox processor, nginx on 127.0.0.1:8080.
cluster: install
	scripts/cluster.sh start

cluster-stop:
	scripts/cluster.sh stop

bench: install
	$(BIN)/python -m benchmarks.run

eval: install
	$(BIN)/affinity evaluate --data ../shared/datasets/online-retail --mode all --output var/eval-all.json
	$(BIN)/affinity evaluate --data ../shared/datasets/online-retail --mode explore --output var/eval-explore.json
	$(BIN)/affinity evaluate --data ../shared/datasets/online-retail --task search --output var/eval-search.json
	$(BIN)/affinity evaluate --data ../shared/datasets/online-retail --gate-refresh tests/quality/ndcg_floor.json

lint: install
	$(BIN)/ruff check app webhooks tests migrations benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var
