# Two commands for a fresh machine: `make run` and `make test` (see README).
VENV   := .venv
PYTHON := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install run test browser bench clean-venv

install: $(STAMP)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

# Debian's chromium (review-page tests) and a CJK font (readable screenshots); skipped where apt cannot run.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	  else echo "chromium not installed and apt-get not usable: browser tests will be skipped"; fi; }

run: install
	$(VENV)/bin/jiaokan serve --load seeds --workers 2

test: install browser
	$(VENV)/bin/pytest -q

bench: install
	$(VENV)/bin/python -m bench.run_all

clean-venv:
	rm -rf $(VENV)
