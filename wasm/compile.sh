#!/usr/bin/env bash
# Compiles the wasm module the npm package ships (before wasm-bindgen and wasm-opt) into
# target/wasm32-unknown-unknown/wasm-release/converge_wasm.wasm. Used by wasm/build.sh
# (the package) and benches/size/report.sh (where its bytes go).
#
# The pinned nightly (../nightly-toolchain) rebuilds the standard library with the
# package's settings instead of linking the prebuilt one (`-Zbuild-std`):
# - panics trap at once (`-Cpanic=immediate-abort`): no panic message, location or
#   formatting machinery is linked. On wasm32 a panic was an `unreachable` trap
#   already, its message printed nowhere, and no input can panic the module;
# - std's `optimize_for_size` feature (its smaller sorts and formatting code);
# - core, alloc, std and hashbrown at opt-level 3, the rest at the profile's `z`:
#   std at `z` made nested single writes about 15 % slower, and at 3 the module is
#   smaller still after LTO and wasm-opt.
# Together about 14 KB gzip off each entry against stable's prebuilt std, at the same
# speed (benches/size/README.md). The toolchain is installed here when missing
# (minimal profile + rust-src).
set -euo pipefail
cd "$(dirname "$0")/.."

# The pin lives in ../nightly-toolchain (fuzz/run.sh uses it too).
nightly=$(cat nightly-toolchain)
if ! rustup run "$nightly" rustc --version >/dev/null 2>&1 ||
  ! rustup component list --installed --toolchain "$nightly" 2>/dev/null | grep -q '^rust-src'; then
  rustup toolchain install "$nightly" --profile minimal --component rust-src
fi

std_at_speed=()
for crate in core alloc std hashbrown; do
  std_at_speed+=(--config "profile.wasm-release.package.$crate.opt-level=3")
done
RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort" \
  cargo "+$nightly" build --quiet -p converge-wasm --target wasm32-unknown-unknown \
  --profile wasm-release -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size \
  "${std_at_speed[@]}" "$@"
