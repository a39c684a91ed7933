# Developer entry points. `make run` serves a demo on http://127.0.0.1:$(PORT)/.
export PORT ?= 5000
VENV := .venv
STAMP := $(VENV)/.installed
CATALOGS := $(wildcard selection/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: venv translations extract-messages migrate run test

venv: $(STAMP)

# The stamp makes `pip install` re-run only when the dependencies change.
$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

translations: $(COMPILED)

%.mo: %.po $(STAMP)
	$(VENV)/bin/pybabel compile --domain messages --input-file $< --output-file $@

# Pull new msgids out of the code and templates into both catalogs.
extract-messages: venv
	$(VENV)/bin/pybabel extract --mapping-file babel.cfg --keywords _l --no-location --sort-by-file \
		--output-file selection/translations/messages.pot .
	$(VENV)/bin/pybabel update --input-file selection/translations/messages.pot \
		--output-dir selection/translations --no-fuzzy-matching
	rm selection/translations/messages.pot

migrate: venv
	$(VENV)/bin/flask --app selection db upgrade

run: venv translations migrate
	$(VENV)/bin/flask --app selection demo load --if-empty
	$(VENV)/bin/flask --app selection run --host 127.0.0.1 --port $${PORT:-5000}

test: venv translations
	$(VENV)/bin/pytest -q
