# The two commands: `make run` (set up + the main job end to end) and `make test` (set up + tests).
# Every target does its own set-up and is idempotent.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export SPARK_LOCAL_IP ?= 127.0.0.1
export PYTHONUNBUFFERED := 1
# DATASET=<name>: another dataset of the project, on its profile <name>_local and that profile's data root
# .lakehouse-<name> (the convention `lakehouse new-dataset` writes). The Dagster instance is one for every
# dataset (asset keys start with the dataset, so their runs and lineage never mix): `make dev` shows them all.
ifeq ($(DATASET),card_fraud)
override DATASET :=
endif
DATA_ROOT := $(or $(LAKEHOUSE_DATA_ROOT),$(if $(DATASET),.lakehouse-$(DATASET),.lakehouse))
export DAGSTER_HOME ?= $(abspath $(or $(LAKEHOUSE_DATA_ROOT),.lakehouse))/dagster_home
# Go may be installed without being on PATH (the machine image keeps it in /usr/local/go).
GO ?= $(or $(shell command -v go 2>/dev/null),$(wildcard /usr/local/go/bin/go),go)
ACTIONLINT_VERSION := 1.7.12
ACTIONLINT := .tools/actionlint-$(ACTIONLINT_VERSION)/actionlint
ifdef PROFILE
export LAKEHOUSE_PROFILE := $(PROFILE)
endif

.PHONY: run test lint soak dev bench mlflow setup java jars lock clean-data dagster-home secret-scan spark-connect spark-standalone spark-standalone-stop databricks-upload

run: setup dagster-home ## Generate the demo data and materialise the whole asset graph (embedded default); DATASET=<name>: any dataset
	$(PY) -m lakehouse_tools.run $(if $(DATASET),--dataset $(DATASET)) $(if $(DAYS_LEFT),--days-left $(DAYS_LEFT))

test: setup ## Start the test databases and run the test suites (each runs and reports; any failure fails)
	bash scripts/test_databases.sh
	bash scripts/install_chromium.sh >/dev/null
	# Suites that need a process of their own run after the main one: a Spark Connect client, a second
	# warehouse in the session catalog, tables by name in a shared Hive metastore (a session's catalog is
	# fixed when its JVM starts), the real dagster-daemon. Every suite runs even when one before it
	# failed; the target fails if any did. Lint (ruff + mypy, under a minute) goes first.
	set -a; source .test-databases.env; set +a; status=0; \
	$(MAKE) --no-print-directory lint || status=1; \
	$(PY) -m pytest --ignore=platform_tests/databricks --ignore=platform_tests/remote --ignore=platform_tests/soak || status=1; \
	$(PY) -m pytest platform_tests/databricks || status=1; \
	LAKEHOUSE_TEST_CATALOG=metastore $(PY) -m pytest platform_tests/metastore \
		platform_tests/resources/test_delta_io_manager.py platform_tests/scoring/test_predictions_asset.py || status=1; \
	$(PY) -m pytest platform_tests/remote || status=1; \
	$(PY) -m pytest -s platform_tests/soak || status=1; \
	exit $$status

lint: $(VENV)/.installed $(ACTIONLINT) ## Static checks: ruff (pyproject.toml [tool.ruff]), mypy (setup.cfg [mypy]), actionlint (.github/workflows)
	status=0; \
	$(PY) -m ruff check platform platform_tests || status=1; \
	$(PY) -m mypy || status=1; \
	$(ACTIONLINT) .github/workflows/*.yml || status=1; \
	exit $$status

# actionlint checks the GitHub Actions workflows (expressions, job graph, reusable-workflow inputs) and,
# when shellcheck is on PATH, their `run:` scripts. A Go tool: installed once, at this pinned version,
# into the git-ignored .tools/ (a version bump installs into a new folder). Needs Go >= 1.25 (its go.mod).
$(ACTIONLINT):
	@command -v $(GO) >/dev/null 2>&1 || { echo "make lint: actionlint v$(ACTIONLINT_VERSION) is installed with Go (>= 1.25), and '$(GO)' is not on PATH. Install Go (https://go.dev/dl/) or run: make lint GO=/path/to/go" >&2; exit 1; }
	GOBIN="$(abspath $(dir $@))" $(GO) install github.com/rhysd/actionlint/cmd/actionlint@v$(ACTIONLINT_VERSION)

soak: setup ## The unattended soak: make run's replay, then the daemon alone while days land (platform_tests/soak)
	$(PY) -m platform_tests.soak.soak --days $(or $(DAYS),5) --work .lakehouse-soak

# Both demo datasets, one code location each (workspace.demos.yaml); DATASET=<name>: that dataset's location
# alone (workspace.yaml, profile <name>_local). After `make run`, the UI and daemon read the demo project it
# wrote in the data root (the demo clock: lakehouse_tools/demo/clock.py), unless LAKEHOUSE_PROJECT_DIR names one.
dev: setup dagster-home ## Dagster UI + daemon on 127.0.0.1:3000 with a persistent DAGSTER_HOME: both demo datasets (DATASET=<name>: that one)
	$(if $(DATASET),LAKEHOUSE_PROFILE="$${LAKEHOUSE_PROFILE:-$(DATASET)_local}",LAKEHOUSE_PROJECT_DIR="$${LAKEHOUSE_PROJECT_DIR-$$($(PY) -m lakehouse_tools.demo.clock)}") \
	$(VENV)/bin/dagster dev -w $(if $(DATASET),workspace.yaml,workspace.demos.yaml) -h 127.0.0.1 -p 3000

# GROWTH_MAX=10000000: the growth stage's cost curve up to 10 M rows a day (default: 10 x the day size, 1 M).
# Not the default: the 10 M day is ten times the 1 M day's work (gold's look-back reads 80 M silver rows), likely
# most of an hour more on 2 cores, and its disk guard (bench/growth.py) wants ~20x what the 1 M day wrote.
bench: setup ## Every stage's comparison at stated sizes, as ratios measured in one run (docs/benchmarks.md); GROWTH_MAX=<rows>: a longer cost curve
	$(PY) -m lakehouse_tools.bench $(if $(GROWTH_MAX),--growth-max $(GROWTH_MAX))

mlflow: setup ## MLflow UI on http://127.0.0.1:5000 over the local tracking store
	mkdir -p "$(abspath $(DATA_ROOT))/mlflow"
	$(VENV)/bin/mlflow ui --backend-store-uri "sqlite:///$(abspath $(DATA_ROOT))/mlflow/mlflow.db" --host 127.0.0.1 --port 5000

dagster-home:
	mkdir -p "$(DAGSTER_HOME)"
	test -f "$(DAGSTER_HOME)/dagster.yaml" || cp "$$($(PY) -c 'from lakehouse_tools.run import profile_for; print(profile_for("$(DATASET)" or None).dagster.instance_template)')" "$(DAGSTER_HOME)/dagster.yaml"

spark-connect: setup ## Spark Connect server on sc://127.0.0.1:15002 (then: make run PROFILE=remote)
	$(PY) -m lakehouse_tools.spark_connect --port 15002

spark-standalone: setup ## Standalone master + 2 workers + a Connect server (scripts/spark_standalone.sh)
	bash scripts/spark_standalone.sh start

spark-standalone-stop:
	bash scripts/spark_standalone.sh stop

databricks-upload: setup ## Upload dbfs_assets/ and the wheel to a workspace (TARGET=dbfs:/lakehouse; DATABRICKS_HOST/TOKEN)
	$(PY) -m lakehouse.databricks upload --target $(or $(TARGET),dbfs:/lakehouse)

secret-scan: $(VENV)/.installed ## Fail on secret-looking values in profiles, templates and CI
	$(PY) -m lakehouse.operations.secret_scan

setup: java $(VENV)/.installed jars

java:
	@bash scripts/check_java.sh

# Two editable distributions over the one source root platform/: lakehouse (the pipeline, the only
# package in the deployable wheel) and lakehouse-tools (tools/pyproject.toml: demo data, make run,
# bench, servers, set-up; local only).
$(VENV)/.installed: pyproject.toml tools/pyproject.toml requirements.lock setup.cfg
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e '.[test]' -e ./tools
	touch $@

# Warm Spark's Ivy cache (Delta + JDBC drivers) once, so later sessions start offline.
jars: $(VENV)/.installed
	$(PY) -m lakehouse_tools.warm_jars

lock: ## Re-resolve requirements.lock from pyproject.toml
	$(PY) -m pip freeze --exclude-editable | grep -v '^lakehouse' > requirements.lock.new
	{ echo '# Pinned versions of every package (pip constraints); regenerate with `make lock` after changing pyproject.toml.'; cat requirements.lock.new; } > requirements.lock; rm requirements.lock.new

clean-data: ## Delete the local data root (tables, landing zone, MLflow, Dagster home)
	rm -rf "$(DATA_ROOT)"
