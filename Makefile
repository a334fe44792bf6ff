# Connect: make help lists the targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help run test test-fast lint fmt bench migrations-check clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

run: $(BIN)/.installed ## Migrate and serve on 127.0.0.1:8000 (a Celery worker too when REDIS_URL is set)
	$(BIN)/python manage.py migrate --noinput
	bin/serve $(HOST) $(PORT)

test: $(BIN)/.installed ## Run every test (PostgreSQL and Redis when DATABASE_URL and REDIS_URL are set)
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

test-fast: $(BIN)/.installed ## Run the tests without those marked slow
	$(BIN)/pytest -m "not slow"

lint: $(BIN)/.installed ## Check style with ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(BIN)/.installed ## Format the code with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(BIN)/.installed ## Run the benchmarks on PostgreSQL and print their figures
	$(BIN)/python -m bench

clean: ## Remove the virtualenv and the development database
	rm -rf $(VENV) db.sqlite3 staticfiles
