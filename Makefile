# converge: the two commands a newcomer needs.
#   make demo   build and run the demo
#   make test   build and run every test
# Both need only the Rust toolchain; later targets install what they need themselves.

.PHONY: demo test lint ci bench

demo:
	cargo run --quiet --release -p converge --example offline_demo

test:
	cargo test --workspace --all-features

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --all-features -- -D warnings

ci: lint test

bench:
	cargo bench -p converge-benches

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
