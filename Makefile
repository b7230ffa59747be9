# Two commands do all the set-up on a fresh Debian machine:
#   make demo   renders the bundled example sheet into out/demo/ (offline, in-process, no Redis)
#   make test   installs what the tests need and runs them (.ci/run calls exactly this)
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# tesseract is a runtime need: `daihuo verify` reads the on-screen AI label back by OCR; fonts-symbola draws emoji.
APT_RUNTIME := ffmpeg espeak-ng fonts-noto-cjk fonts-noto-core fonts-symbola tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng
APT_TEST := redis-server chromium
DEMO_PLATFORMS ?= douyin,wechat_channels,xiaohongshu

MEDIAPIPE := mediapipe==0.10.21

.PHONY: demo test setup test-setup system-runtime system-test lint bench contact-sheets clean host-tools host-pack

demo: setup
	$(BIN)/daihuo make examples/products.csv --platforms $(DEMO_PLATFORMS) --out out/demo

test: test-setup
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python bench/run.py --out bench/results.json

# One contact sheet per style pack (1 frame a second of the example juicer, douyin) into docs/images/.
contact-sheets: setup
	$(BIN)/python examples/contact_sheets.py --out docs/images

lint:
	$(BIN)/ruff check generator workers tests bench

setup: system-runtime $(VENV)/.installed

test-setup: system-runtime system-test $(VENV)/.installed-test

# apt only when something is missing, so a warm machine does not wait on the package index.
system-runtime:
	@missing=$$(for p in $(APT_RUNTIME); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; fi

system-test:
	@missing=$$(for p in $(APT_TEST); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; fi

$(VENV)/.installed: pyproject.toml
	[ -x $(BIN)/python ] || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/pip install -q --no-deps $(MEDIAPIPE)
	touch $@

# `daihuo host create` needs MediaPipe's face mesh. --no-deps: the wheel's metadata pins numpy<2 and pulls
# jax/jaxlib/opencv-contrib, which the face mesh does not use; the `host` extra has what it does import.
host-tools: setup
	$(BIN)/pip install -q -e '.[host]'
	$(BIN)/pip install -q --no-deps $(MEDIAPIPE)

# Regenerate the bundled photo host (assets/hosts/photo/) from scikit-image's public-domain `astronaut`.
host-pack: host-tools
	$(BIN)/python -m generator.host.default_photo

clean:
	rm -rf out bench/work
