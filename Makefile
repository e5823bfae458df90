# converge: the two commands a newcomer needs.
#   make demo   build and run the demo
#   make test   set up and run every test: Rust, then the npm package in Node,
#               bundlers and headless Chromium, then a short pass of every fuzz target
# Both need only the Rust toolchain, Node 20 and npm; the targets install the rest
# (wasm32 target, wasm-bindgen CLI, npm packages, Debian's Chromium).

.PHONY: demo test test-rust test-js chromium lint ci bench fuzz fuzz-smoke

demo:
	cargo run --quiet --release -p converge --example offline_demo

test: test-rust test-js fuzz-smoke

test-rust:
	cargo test --workspace --all-features

test-js: wasm chromium
	cd js-tests && npm ci --no-audit --no-fund && npm test

# Debian's Chromium for the browser tests (playwright cannot download its own here).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		apt-get update && apt-get install -y chromium; fi

# Fuzzing (fuzz/run.sh installs the nightly toolchain and cargo-fuzz if missing):
# `make fuzz` runs every target FUZZ_SECONDS seconds (a long run: FUZZ_SECONDS=3600);
# `make test` runs each for FUZZ_SMOKE_SECONDS.
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 10

fuzz:
	bash fuzz/run.sh $(FUZZ_SECONDS)

fuzz-smoke:
	bash fuzz/run.sh $(FUZZ_SMOKE_SECONDS)

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --all-features -- -D warnings

ci: lint test

# Every bench at full size, then benches/RESULTS.md and benches/results/ratios.svg
# from their figures (criterion's estimates and benches/results/).
bench:
	cargo bench -p converge-benches
	cargo run --quiet --release -p converge-benches --bin report

# The npm package: installs the wasm target, wasm-bindgen CLI and npm tooling if
# missing, then builds wasm/npm/dist.
WASM_BINDGEN_VERSION := 0.2.130

.PHONY: wasm wasm-tools
wasm-tools:
	rustup target add wasm32-unknown-unknown
	@if ! wasm-bindgen --version 2>/dev/null | grep -q "$(WASM_BINDGEN_VERSION)"; then \
		cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); fi
	npm ci --no-audit --no-fund

wasm: wasm-tools
	bash wasm/build.sh
