# The developer interface. `make test` is what CI runs (.ci/run calls it).
PYTHON ?= python3
CARGO_TEST ?= cargo test --workspace --exclude fastnats-bindings

.PHONY: setup test lint fmt rust-test py-test bench bench-micro bench-e2e fuzz clean

## setup: build the extension in release mode and install it with the test tools
setup:
	$(PYTHON) -m pip install -q --upgrade pip
	$(PYTHON) -m pip install -q '.[dev]'

## test: every check CI runs — format, lints, Rust tests, Python tests
test: setup lint rust-test py-test

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	$(PYTHON) -m ruff check python tests benches
	$(PYTHON) -m mypy
	$(PYTHON) -m mypy.stubtest fastnats._fastnats

fmt:
	cargo fmt --all
	$(PYTHON) -m ruff check --fix python tests benches

rust-test:
	$(CARGO_TEST)

py-test:
	$(PYTHON) -m pytest -q tests

## bench: micro-benchmarks (criterion) and the side-by-side comparison with nats-server
bench: bench-micro bench-e2e

bench-micro:
	cargo bench -p fastnats-proto -p fastnats-sublist

bench-e2e:
	$(PYTHON) benches/compare.py --quick

## fuzz: run the parser fuzz target for a bounded time (installs cargo-fuzz if missing)
fuzz:
	command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
	cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run parser -- -max_total_time=60 -dict=parser.dict

clean:
	cargo clean
