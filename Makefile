# llm-analytics: `make demo` builds a sample warehouse on DuckDB; `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export DBT_PROFILES_DIR := $(CURDIR)
export LLM_ANALYTICS_PROJECT_DIR := $(CURDIR)
DUCKDB_PATH ?= data/warehouse.duckdb
export DUCKDB_PATH
SAMPLE_DIR ?= data/sample
REQUESTS ?= 200000
USERS ?= 3000
DAYS ?= 28
# The demo's traffic ends today, so source freshness and `alerts run` (default: now) see live data.
START ?= $(shell date -u -d "-$(DAYS) days" +%Y-%m-%d)

.PHONY: install demo docs dashboard test lint unit-python dbt-duckdb dbt-postgres prices bench-validate clean

$(BIN)/llm-analytics: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@

install: $(BIN)/llm-analytics  ## Create .venv and install the package with its dev tools

demo: install  ## Generate sample data, load it, build every model and test on DuckDB
	rm -f $(DUCKDB_PATH)
	mkdir -p $(dir $(DUCKDB_PATH))
	$(BIN)/llm-analytics generate --out $(SAMPLE_DIR) --requests $(REQUESTS) --users $(USERS) --days $(DAYS) --start $(START)
	$(BIN)/llm-analytics load $(SAMPLE_DIR) --target duckdb
	$(BIN)/dbt build --target duckdb
	-$(BIN)/dbt source freshness --target duckdb
	@echo
	@echo "Done. The warehouse is $(CURDIR)/$(DUCKDB_PATH)"
	@echo "Marts are in its schema 'marts' (fct_llm_requests, fct_llm_sessions, fct_feedback, dim_users, ...);"
	@echo "rejected rows with their reason are in intermediate.int_rejected_rows."
	@echo "See them as web pages: make dashboard (http://127.0.0.1:$(PORT)); the dbt docs: make docs."
	@echo "Try: $(BIN)/llm-analytics query \"select * from marts.mart_cost_daily order by activity_date desc limit 5\""
	@echo "or export the marts as Parquet: $(BIN)/llm-analytics export --out data/export"
	@echo
	@echo "Alerts for the sample's last hour (exit code 1 means something fired: not a failure here):"
	-$(BIN)/llm-analytics alerts run --target duckdb --at $(shell date -u +%Y-%m-%d)T00:00
	@echo "Backtest of the incidents planted in the sample (dry run: records and sends nothing):"
	-@for at in $$($(BIN)/python -c "import datetime as d; from llm_analytics.generate import incidents; \
		print(*(i.end.replace(' ', 'T') for i in incidents(d.datetime.fromisoformat('$(START)'), $(DAYS))))"); do \
		$(BIN)/llm-analytics alerts run --target duckdb --at $$at --dry-run; done; true

DOCS_PORT ?= 8080
docs: install  ## Generate dbt docs (lineage, every model and column) on the demo warehouse and serve them locally
	@test -f $(DUCKDB_PATH) || { echo "$(DUCKDB_PATH) does not exist: run make demo first"; exit 2; }
	$(BIN)/dbt docs generate --target duckdb
	@echo
	@echo "dbt docs of $(DUCKDB_PATH): open http://127.0.0.1:$(DOCS_PORT) (Ctrl-C stops the server)"
	$(BIN)/dbt docs serve --target duckdb --host 127.0.0.1 --port $(DOCS_PORT) --no-browser

PORT ?= 8501
dashboard: install  ## Serve the dashboard over the demo warehouse (make demo first) on 127.0.0.1:$(PORT)
	@test -f $(DUCKDB_PATH) || { echo "no warehouse at $(DUCKDB_PATH): run make demo first"; exit 2; }
	@echo "Dashboard: open http://127.0.0.1:$(PORT) in a browser (Ctrl-C stops it); docs/dashboard.md"
	$(BIN)/llm-analytics dashboard --target duckdb --port $(PORT)

lint: install  ## ruff on the Python, sqlfluff on models/ and macros/
	$(BIN)/ruff check scripts tests
	$(BIN)/ruff format --check scripts tests
	@# the dbt templater opens a warehouse: an empty one, so models render as on a first build
	@mkdir -p target && rm -f target/sqlfluff.duckdb
	DUCKDB_PATH=target/sqlfluff.duckdb $(BIN)/sqlfluff lint models macros tests --disable-progress-bar --processes 2

test: install lint  ## Every test: lint, pytest (DuckDB and PostgreSQL, dbt builds included)
	@# two workers: the DuckDB tests on one, the PostgreSQL ones on the other (see tests/python/conftest.py)
	$(BIN)/pytest -q -p no:cacheprovider -n 2 --dist loadgroup --durations=15 tests/python

prices: install  ## Regenerate the pricing seeds from genai-prices (keeps price history)
	$(BIN)/llm-analytics prices

BENCH_ROWS ?= 1000000
bench-validate: install  ## Validate a BENCH_ROWS-row llm_requests file in batches and print the peak memory
	$(BIN)/llm-analytics generate --out bench/validate --requests $(BENCH_ROWS) --users 20000 --days 28
	$(BIN)/llm-analytics validate-file bench/validate/llm_requests.parquet

clean:
	rm -rf target logs data/warehouse.duckdb $(SAMPLE_DIR)
