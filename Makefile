# Developer entry points. `make run` serves a demo on http://127.0.0.1:$(PORT)/.
export PORT ?= 5000
VENV := .venv
STAMP := $(VENV)/.installed
CATALOGS := $(wildcard */translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: venv translations extract-messages migrate run test screens bench

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

# Pull new msgids out of each package's code and templates into that package's catalogs.
extract-messages: venv
	for package in selection exams vetting publicity; do \
		$(VENV)/bin/pybabel extract --mapping-file babel.cfg --keywords _l --no-location --sort-by-file \
			--output-file $$package/messages.pot $$package && \
		for locale in zh_Hans_CN en; do \
			if [ -f $$package/translations/$$locale/LC_MESSAGES/messages.po ]; then \
				$(VENV)/bin/pybabel update --input-file $$package/messages.pot --output-dir $$package/translations \
					--locale $$locale --no-fuzzy-matching; \
			else $(VENV)/bin/pybabel init --input-file $$package/messages.pot --output-dir $$package/translations \
					--locale $$locale; fi; \
		done; rm $$package/messages.pot; \
	done

migrate: venv
	$(VENV)/bin/flask --app selection db upgrade

run: venv translations migrate
	$(VENV)/bin/flask --app selection demo load --if-empty
	$(VENV)/bin/flask --app selection run --host 127.0.0.1 --port $${PORT:-5000}

# One pytest worker per core: every test has its own database, so they run side by side.
# The slowest tests are listed at the end: the suite should stay well under 15 minutes.
test: venv translations
	$(VENV)/bin/pytest -q -n auto --durations=15

# The browser journeys again, one at a time, saving every checked page as a PNG in docs/screens/.
# Needs Chromium with its Chinese language pack, and a Chinese font, as the people using the
# site have them: apt-get install chromium chromium-l10n fonts-noto-cjk
screens: venv translations
	@fc-list :lang=zh | grep -q . || { echo "no Chinese font: apt-get install fonts-noto-cjk"; exit 1; }
	@ls /usr/lib/chromium/locales/zh-CN.pak >/dev/null 2>&1 || { echo "no Chinese for Chromium: apt-get install chromium-l10n"; exit 1; }
	rm -f docs/screens/*.png docs/screens/README.md
	SELECTION_SCREENS=docs/screens $(VENV)/bin/pytest -q -p no:xdist tests/browser

# Benchmarks print figures and write docs/performance.md; they are never part of `make test`.
# SCALE=0.1 for a quick look at a tenth of the sizes.
SCALE ?= 1.0
bench: venv translations
	$(VENV)/bin/python benchmarks/run.py --scale $(SCALE)
