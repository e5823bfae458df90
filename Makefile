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
