#!/usr/bin/env bash
# Runs converge's fuzz targets (cargo-fuzz, libFuzzer, AddressSanitizer, debug
# assertions on) for SECONDS each, then prints executions and crashes per target.
#
#   bash fuzz/run.sh [SECONDS] [TARGET...]     default: 60 s, every target
#   make fuzz FUZZ_SECONDS=3600                a long run
#
# Installs what it needs when missing: the pinned nightly toolchain (minimal profile) and
# cargo-fuzz. Builds every target once, then runs them one after another. Each run
# reads the committed seeds (fuzz/corpus/<target>, written by
# `cargo run --release --example corpus`) and keeps what it finds in
# fuzz/work/<target> (not committed), so the seeds stay as generated and a later run
# resumes from what earlier ones found. A crash leaves its input in
# fuzz/artifacts/<target>/ and makes the script fail; replay it with
# `cargo +$(cat ../nightly-toolchain) fuzz run -a <target> fuzz/artifacts/<target>/<file>` from fuzz/.
set -euo pipefail
cd "$(dirname "$0")"

seconds=${1:-60}
shift || true

# The nightly pinned in ../nightly-toolchain (the one wasm/compile.sh builds with).
nightly=$(cat ../nightly-toolchain)
if ! rustup run "$nightly" rustc --version >/dev/null 2>&1; then
  rustup toolchain install "$nightly" --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz
fi
# libFuzzer is C++: make sure a C++ compiler is there (Debian/Ubuntu).
if ! command -v c++ >/dev/null 2>&1; then
  apt-get update && apt-get install -y g++
fi

# -a: debug assertions, so an arithmetic overflow in the library is a crash too.
flags=(-a --sanitizer address)
if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo "+$nightly" fuzz list)
fi

echo "== building ${#targets[@]} fuzz targets"
start=$SECONDS
cargo "+$nightly" fuzz build "${flags[@]}"
echo "built in $((SECONDS - start)) s"

# Per input: 10 s at most, and no single allocation over 1 MiB (inputs are at most
# 4 KiB: a decoder that reserves more is trusting a length prefix); 2 GiB in all.
libfuzzer=(-max_total_time="$seconds" -timeout=10 -max_len=4096 -malloc_limit_mb=1
  -rss_limit_mb=2048 -print_final_stats=1)

failed=()
summary=()
for target in "${targets[@]}"; do
  mkdir -p "work/$target" "artifacts/$target"
  log="work/$target.log"
  echo "== $target: ${seconds} s"
  touch "work/$target.start"
  status=0
  cargo "+$nightly" fuzz run "${flags[@]}" "$target" "work/$target" "corpus/$target" \
    -- "${libfuzzer[@]}" >"$log" 2>&1 || status=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  per_second=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  crashes=$(find "artifacts/$target" -type f -newer "work/$target.start" | wc -l)
  if [ "$status" -ne 0 ]; then
    failed+=("$target")
    tail -40 "$log"
  fi
  summary+=("$(printf '%-16s %12s %10s %8s' "$target" "${runs:-?}" "${per_second:-?}" "$crashes")")
done

echo
printf '%-16s %12s %10s %8s\n' target executions 'exec/s' crashes
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]} (inputs in fuzz/artifacts/, logs in fuzz/work/)"
  exit 1
fi
