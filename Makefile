# converge: the two commands a newcomer needs.
#   make demo   build the web demo (examples/booking-board) and the relay, and serve the
#               demo from the relay (SQLite in examples/booking-board/.relay-data) on localhost
#   make test   set up and run every test: Rust, then the npm package in Node,
#               bundlers and headless Chromium, then the demo app in Chromium, then a
#               short pass of every fuzz target
# Both need only the Rust toolchain, Node 20 and npm; the targets install the rest
# (wasm32 target, wasm-bindgen CLI, npm packages, Debian's Chromium).

# The sync server: `make relay` serves it on 127.0.0.1:8787 with its SQLite data in
# relay-data/ (RELAY_ARGS adds options: --static DIR, --secret, --listen; see --help).
# Its tests (crash test included) run in `cargo test --workspace`.
RELAY_ARGS ?=

.PHONY: relay demo demo-app demo-cli test test-rust test-js test-demo chromium redis-server lint ci bench bench-rust bench-js fuzz fuzz-smoke

# The web demo: builds the npm package if its sources changed, packs and installs it
# in the app, builds the app, then builds the relay (cargo) and runs it serving the app
# (--static) until Ctrl-C; every replica of the app syncs through it.
DEMO_APP := examples/booking-board
DEMO_PORT ?= 5173

demo: demo-app
	@cd $(DEMO_APP) && PORT=$(DEMO_PORT) node scripts/serve.mjs

demo-app: wasm/npm/dist/index.js
	cd $(DEMO_APP) && node scripts/pack-package.mjs && npm ci --no-audit --no-fund && npm run build

relay:
	cargo run --release -p converge-relay -- --data relay-data $(RELAY_ARGS)

# The console demo: two replicas of a booking in Rust, printed step by step.
demo-cli:
	cargo run --quiet --release -p converge --example offline_demo

test: test-rust test-js test-demo fuzz-smoke

# The Rust suites, and the tests that must run on bare wasm (under Node, through
# wasm-bindgen's test runner).
test-rust: wasm-tools redis-server
	cargo test --workspace --all-features
	CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
		cargo test -p converge-core --target wasm32-unknown-unknown --test wasm_clock

test-js: wasm chromium
	cd js-tests && npm ci --no-audit --no-fund && npm test

# The demo app in headless Chromium (saves docs/demo.png).
test-demo: wasm chromium
	cd $(DEMO_APP) && node scripts/pack-package.mjs && npm ci --no-audit --no-fund && npm test

# Debian's Chromium for the browser tests (playwright cannot download its own here).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		apt-get update && apt-get install -y chromium; fi

# Debian's redis-server for the relay's Redis tests (crates/relay/tests/redis_*.rs),
# which start their own server on a free port with a temporary directory; the tests
# install it themselves too when missing and running as root.
redis-server:
	@if ! command -v redis-server >/dev/null 2>&1 && [ ! -x /usr/bin/redis-server ]; then \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server; fi

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
	# The converge-crdt/core module (wasm/src/core_document.rs) is what the wasm crate builds
	# without its features, which --all-features never compiles.
	cargo clippy -p converge-wasm --all-targets --no-default-features -- -D warnings

ci: lint test

# Every bench at full size: the Rust half (criterion: peers, sync_bytes; and scaling,
# the cost of one operation at 1k/10k/100k keys), the JS half (the npm package against
# Yjs, Automerge and Loro in Node, then its scaling run), then benches/RESULTS.md,
# benches/results/ratios.svg and benches/results/scaling.svg from both halves' figures.
# About 15 minutes on 2 cores from a fresh clone (builds included); each half prints
# how long it took.
bench: bench-rust bench-js
	cargo run --quiet --release -p converge-benches --bin report

bench-rust:
	@start=$$(date +%s); cargo bench -p converge-benches; \
		echo "bench-rust took $$(( $$(date +%s) - start )) s"

bench-js: wasm
	cd benches/js && npm ci --no-audit --no-fund
	@start=$$(date +%s); node benches/js/bench.mjs; \
		echo "bench-js took $$(( $$(date +%s) - start )) s"

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

# The package, rebuilt only when a source it is built from is newer.
WASM_SOURCES := $(shell find crates wasm/src -path '*/src/*' -name '*.rs') \
	Cargo.toml Cargo.lock wasm/Cargo.toml wasm/build.sh wasm/compile.sh wasm/npm/package.json $(wildcard wasm/npm/scripts/*.mjs) \
	$(wildcard wasm/npm/src/*)
wasm/npm/dist/index.js: $(WASM_SOURCES)
	$(MAKE) wasm

# The network simulator's long run: 12 replicas, every workload (differential ones
# included), seed after seed for SOAK_MINUTES minutes (or SOAK_SEEDS seeds). Prints
# seeds, operations, messages dropped/duplicated and divergences; a divergence is
# shrunk and appended to crates/sync/tests/soak-regressions.txt.
SOAK_MINUTES ?= 10
.PHONY: soak
soak:
	SOAK_MINUTES=$(SOAK_MINUTES) cargo test --release -p converge-sync --test soak -- \
		--ignored soak --exact --nocapture
