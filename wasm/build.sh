#!/usr/bin/env bash
# Builds the npm package into wasm/npm/dist: the wasm module (wasm/compile.sh), wasm-bindgen (web and
# nodejs outputs, one wasm file), wasm-opt -Oz, the inline-wasm default entry, the
# type declarations (ESM and CommonJS), and a size report; fails past the size budget
# (wasm/npm/scripts/size-budget.json).
# Needs: wasm-bindgen-cli 0.2.130 and the repo's npm dev dependencies (binaryen's
# wasm-opt, esbuild); `make wasm` installs what is missing. wasm/compile.sh installs
# the pinned nightly it builds with.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=wasm/npm/dist
raw=target/wasm32-unknown-unknown/wasm-release/converge_wasm.wasm

# package DIR [core]: wasm-bindgen, wasm-opt and the entries for the module just compiled.
package() {
  local out=$1 module=${2:-replica}
  rm -rf "$out" && mkdir -p "$out/web" "$out/node"
  wasm-bindgen --target web --out-dir "$out/web" "$raw"
  wasm-bindgen --target nodejs --out-dir "$out/node" "$raw"

  # The web and nodejs outputs' wasm are byte-identical: ship it once (the Node glue
  # reads ../web/converge_wasm_bg.wasm, see entries.mjs), and stop if they ever differ.
  if ! cmp -s "$out/web/converge_wasm_bg.wasm" "$out/node/converge_wasm_bg.wasm"; then
    echo "wasm-bindgen's web and nodejs wasm differ: entries.mjs assumes one file" >&2
    exit 1
  fi
  rm "$out/node/converge_wasm_bg.wasm" "$out/node/converge_wasm_bg.wasm.d.ts"
  local wasm="$out/web/converge_wasm_bg.wasm"
  # --converge repeats the passes while they still shrink the module (about 1.5 KB gzip).
  # --low-memory-unused lets wasm-opt fold `pointer + constant` into load and store offsets
  # (about 2 KB gzip). The two differ only when the addition wraps past 4 GiB into the
  # first 1 KiB, which wasm-opt may then assume the program never addresses that way:
  # safe Rust never does (a real pointer plus a field offset does not wrap), and the
  # 1 MiB stack sits first in Rust's wasm32 layout, growing down towards address 0.
  "$root/node_modules/.bin/wasm-opt" -Oz --converge --low-memory-unused --strip-debug --strip-producers "$wasm" -o "$wasm.opt"
  mv "$wasm.opt" "$wasm"

  # Node: wasm-bindgen's nodejs output is CommonJS; name it .cjs so `require` works
  # whatever the package's module type, and wrap it for `import`.
  mv "$out/node/converge_wasm.js" "$out/node/converge_wasm.cjs"
  node wasm/npm/scripts/entries.mjs "$out" "$module"
  # The browser glue of both entries minified by esbuild (whitespace, syntax and local
  # names; `--keep-names` keeps functions' and classes' names, so stack traces and
  # `Document.name` still read): about 850 B of gzip per entry.
  for glue in "$out/web/converge_wasm.js" "$out/inline/converge_wasm.js"; do
    "$root/node_modules/.bin/esbuild" "$glue" --minify --keep-names --format=esm \
      --log-level=warning --outfile="$glue" --allow-overwrite
  done
}

# The package's main entries: every class.
bash wasm/compile.sh
package "$out"
# converge-crdt/document: the same entries for a Document-only module (no standalone
# classes), in dist/document.
bash wasm/compile.sh --no-default-features --features document-replica
package "$out/document"
# converge-crdt/core: the Document alone, with no sync replica, merge report, policies,
# events or change() (wasm/src/core_document.rs), in dist/core.
bash wasm/compile.sh --no-default-features
package "$out/core" core

echo "== sizes (bytes), checked against wasm/npm/scripts/size-budget.json"
node wasm/npm/scripts/sizes.mjs "$out" --budget | tee "$out/SIZES.txt"
