#!/usr/bin/env bash
# Writes benches/results/size.txt: where the shipped wasm's bytes go, by crate and by
# function, measured with twiggy on a build that keeps function names.
#
# The figures are of the wasm after wasm-bindgen and `wasm-opt -Oz` (the code that
# ships), with the name section kept for attribution (the shipped file strips it).
# Needs twiggy (`cargo install twiggy`) and what wasm/build.sh needs.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
raw=target/wasm32-unknown-unknown/wasm-release/converge_wasm.wasm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=benches/results/size.txt

command -v twiggy >/dev/null || { echo "twiggy missing: cargo install twiggy" >&2; exit 1; }
bash wasm/compile.sh
wasm-bindgen --target web --keep-debug --out-dir "$work" "$raw"
"$root/node_modules/.bin/wasm-opt" -Oz --converge --low-memory-unused -g "$work/converge_wasm_bg.wasm" -o "$work/opt.wasm"
# What ships: the same, names stripped (the flags wasm/build.sh uses).
"$root/node_modules/.bin/wasm-opt" -Oz --converge --low-memory-unused --strip-debug --strip-producers "$work/converge_wasm_bg.wasm" -o "$work/ship.wasm"

twiggy top -n 1000000 --format csv "$work/opt.wasm" >"$work/top.csv"
{
  echo "# Size of the shipped wasm by crate and by function"
  echo
  echo "Written by benches/size/report.sh (twiggy on the wasm after wasm-bindgen and wasm-opt -Oz,"
  echo "names kept for attribution). Do not edit by hand."
  echo
  python3 benches/size/by_crate.py "$work/top.csv" "$work/ship.wasm" "$raw"
  echo
  echo "## Monomorphisations (twiggy monos, largest generic functions and their copies)"
  echo
  twiggy monos -m 25 -n 6 "$work/opt.wasm"
  echo
  echo "## Largest functions (twiggy top)"
  echo
  twiggy top -n 40 "$work/opt.wasm"
} >"$out"
echo "wrote $out"
