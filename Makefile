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

test-python: install
	$(BIN)/pytest -rs

test-frontend:
	@if [ -f frontend-snippets/package.json ]; then \
		cd frontend-snippets && npm ci --no-audit --no-fund --silent && npm test && npm run test:e2e; \
	fi

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

lint: install
	$(BIN)/ruff check app webhooks tests migrations benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var
