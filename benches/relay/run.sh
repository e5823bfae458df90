#!/usr/bin/env bash
# The relay load bench (not a test): the release relay, load generators in separate
# processes (crates/relay/examples/load_gen.rs), and the figures in
# benches/relay/RESULTS.md.
#
#   bash benches/relay/run.sh [SECONDS]     default 20 s per workload
#   NO_BUILD=1 RELAY_BIN=... GEN_BIN=... REPORT=out.md SKIP_IDLE=1 bash benches/relay/run.sh
#                                           other binaries, another report file, no idle run
#
#   ROUNDS=3 bash benches/relay/run.sh 10   three interleaved rounds (relay b, y-websocket b,
#                                           relay a, y-websocket a, three times): a row per
#                                           round, then p50/p99 over the pooled samples
#
# Workloads: (a) 1,000 clients on one document, 10 of them writing once a second;
# (b) 200 clients, 10 writing 5 times a second; then RSS per idle connection with
# IDLE (default 10,000) idle connections. Reports p50/p99 delivery latency (every
# client's view of every write), relay CPU and RSS, generator CPU. Each workload also
# runs, in the same run, against y-websocket@1.5.4's bin/server.js with Yjs clients
# making the same writes (benches/relay/yjs/; awareness cleared at connect, no
# resync timer).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-20}
idle=${IDLE:-10000}
procs=${PROCS:-4}
rounds=${ROUNDS:-1}
# NO_BUILD=1 runs the binaries already built.
[ -n "${NO_BUILD:-}" ] || cargo build --release -q -p converge-relay --bin converge-relay --example load_gen
if [ ! -d benches/relay/yjs/node_modules ]; then
  (cd benches/relay/yjs && npm ci --no-audit --no-fund)
fi
# RELAY_BIN and GEN_BIN run other builds (an older commit's, to compare).
relay=${RELAY_BIN:-target/release/converge-relay}
gen_bin=${GEN_BIN:-target/release/examples/load_gen}
gen=$gen_bin
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

cpu_of() { awk '{print ($14+$15)/100}' "/proc/$1/stat"; }
rss_kb() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }

start_relay() {
  "$relay" --listen 127.0.0.1:0 --data "$work/data-$1" --max-connections 50000 \
    >"$work/relay-$1.out" 2>"$work/relay-$1.err" &
  relay_pid=$!
  for _ in $(seq 100); do
    addr=$(sed -n 's/^listening on //p' "$work/relay-$1.out")
    [ -n "$addr" ] && break
    sleep 0.05
  done
  gen=("$gen_bin")
}

start_yjs() {
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  HOST=127.0.0.1 PORT=$port node benches/relay/yjs/node_modules/y-websocket/bin/server.js \
    >"$work/yjs-$1.out" 2>&1 &
  relay_pid=$!
  addr=127.0.0.1:$port
  for _ in $(seq 100); do
    grep -q running "$work/yjs-$1.out" 2>/dev/null && break
    sleep 0.05
  done
  gen=(node benches/relay/yjs/load_gen.mjs)
}

# run_workload SERVER NAME CLIENTS WRITERS RATE ROUND  (SERVER: relay | yjs)
run_workload() {
  local server=$1 name=$1-$2-r$6 clients=$3 writers=$4 rate=$5
  "start_$server" "$name"
  local per=$((clients / procs)) pids=() cpu0 rss0
  rss0=$(rss_kb "$relay_pid")
  for p in $(seq 0 $((procs - 1))); do
    local mode=watch
    [ "$p" -eq 0 ] && mode=write
    "${gen[@]}" "ws://$addr" "bench/$name" "$per" "$writers" "$rate" "$seconds" "g$p" \
      "$work/$name-$p.samples" "$mode" >"$work/$name-$p.json" &
    pids+=($!)
  done
  # Measure the relay over the writing phase only: wait for every client to connect.
  sleep $((2 + clients / 300))
  cpu0=$(cpu_of "$relay_pid")
  local t0=$SECONDS
  wait "${pids[@]}"
  local cpu1 rss1 elapsed
  cpu1=$(cpu_of "$relay_pid"); rss1=$(rss_kb "$relay_pid"); elapsed=$((SECONDS - t0))
  # The relay's own view: commit latency and how long a write waits in the hub.
  if [ "$server" = relay ]; then
    curl -s "http://$addr/metrics" >"$work/$name.metrics" || true
    python3 - "$work/$name.metrics" "$name" <<'PY' >>"$work/hub.md"
import re, sys
text = open(sys.argv[1]).read()
def hist(name):
    buckets = [(float(m.group(1)), int(m.group(2))) for m in re.finditer(
        name + r'_bucket\{le="([0-9.e-]+)"\} (\d+)', text)]
    count = re.search(name + r'_count (\d+)', text); total = re.search(name + r'_sum ([0-9.e-]+)', text)
    n = int(count.group(1)) if count else 0
    q = lambda f: next((f"<= {b * 1000:g} ms" for b, c in buckets if c >= f * n), "> 5 s") if n else "-"
    mean = f"{1000 * float(total.group(1)) / n:.1f} ms" if n else "-"
    return f"{n} | {mean} | {q(0.5)} | {q(0.99)}"
print(f"| {sys.argv[2]} | commit | {hist('converge_relay_commit_seconds')} |")
print(f"| {sys.argv[2]} | hub wait | {hist('converge_relay_hub_wait_seconds')} |")
PY
  fi
  kill -TERM "$relay_pid"; wait "$relay_pid" || true
  cat "$work/$name"-?.samples | sort -n >"$work/$name.all"
  python3 - "$work/$name.all" "$name" "$clients" "$writers" "$rate" "$cpu0" "$cpu1" "$elapsed" "$rss1" "$work/$name"-?.json <<'PY' >>"$work/report.md"
import json, sys
samples = [int(l) for l in open(sys.argv[1]) if l.strip()]
name, clients, writers, rate = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
cpu = float(sys.argv[7]) - float(sys.argv[6]); elapsed = max(1, int(sys.argv[8])); rss = int(sys.argv[9])
gens = [json.loads(open(f).read().strip().splitlines()[-1]) for f in sys.argv[10:]]
pct = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))] / 1000 if samples else float('nan')
gen_cpu = sum(g.get("cpu_seconds", 0) for g in gens)
print(f"| {name}: {clients} clients, {writers} writing {rate}/s | {len(samples)} | {pct(0.5):.1f} ms | {pct(0.99):.1f} ms | "
      f"{100 * cpu / elapsed:.0f}% | {rss / 1024:.1f} MB | {100 * gen_cpu / elapsed:.0f}% ({len(gens)} procs) | "
      f"{sum(g.get('connected', 0) for g in gens)} |")
PY
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
{
  echo "| server: workload | deliveries | p50 | p99 | relay CPU (of one core) | relay RSS | generator CPU | connected |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
} >"$work/report.md"
# WORKLOADS=idle runs only the idle measurement.
if [ "${WORKLOADS:-ab}" != idle ]; then
  for round in $(seq "$rounds"); do
    run_workload relay b 200 10 5 "$round"
    run_workload yjs b 200 10 5 "$round"
    run_workload relay a 1000 10 1 "$round"
    run_workload yjs a 1000 10 1 "$round"
  done
  # Every round's p99 ratio, and p50/p99 over the samples of all rounds pooled.
  python3 - "$work" "$rounds" <<'PY' >>"$work/report.md"
import sys
work, rounds = sys.argv[1], int(sys.argv[2])
def load(name):
    return [int(l) for l in open(f"{work}/{name}.all") if l.strip()]
def pct(samples, q):
    return samples[min(len(samples) - 1, int(q * len(samples)))] / 1000 if samples else float('nan')
print()
print("| round | relay (b) p99 | y-websocket (b) p99 | ratio (b) | relay (a) p99 | y-websocket (a) p99 | ratio (a) |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
pooled = {}
for r in range(1, rounds + 1):
    cells = []
    for w in "ba":
        relay, yjs = load(f"relay-{w}-r{r}"), load(f"yjs-{w}-r{r}")
        pooled.setdefault(("relay", w), []).extend(relay)
        pooled.setdefault(("yjs", w), []).extend(yjs)
        cells += [f"{pct(relay, 0.99):.1f} ms", f"{pct(yjs, 0.99):.1f} ms",
                  f"{pct(relay, 0.99) / pct(yjs, 0.99):.2f}"]
    print(f"| {r} | " + " | ".join(cells) + " |")
print()
print("| pooled over rounds | deliveries | p50 | p99 | p99 ratio relay / y-websocket |")
print("| --- | ---: | ---: | ---: | ---: |")
for w in "ba":
    for server in ("relay", "yjs"):
        s = sorted(pooled[(server, w)])
        ratio = pct(sorted(pooled[("relay", w)]), 0.99) / pct(sorted(pooled[("yjs", w)]), 0.99)
        print(f"| {server} ({w}) | {len(s)} | {pct(s, 0.5):.1f} ms | {pct(s, 0.99):.1f} ms | "
              + (f"{ratio:.2f} |" if server == "relay" else "|"))
PY
fi

# Idle connections: RSS before and after (SKIP_IDLE=1 skips them).
if [ -z "${SKIP_IDLE:-}" ]; then
  start_relay idle
  gen=$gen_bin
  rss0=$(rss_kb "$relay_pid")
  per=$((idle / procs)); pids=()
  for p in $(seq 0 $((procs - 1))); do
    "$gen" "ws://$addr" "bench/idle" "$per" 0 1 $((30 + idle / 250)) "i$p" /dev/null idle >"$work/idle-$p.json" &
    pids+=($!)
  done
  for _ in $(seq 600); do
    n=$(cat "$work"/idle-*.json 2>/dev/null | grep -c connected || true)
    [ "$n" -ge "$procs" ] && break
    sleep 0.5
  done
  sleep 2
  rss1=$(rss_kb "$relay_pid")
  connected=$(cat "$work"/idle-*.json | python3 -c 'import sys,json; print(sum(json.loads(l)["connected"] for l in sys.stdin if l.strip()))')
  kill "${pids[@]}" 2>/dev/null || true
  kill -TERM "$relay_pid"; wait "$relay_pid" || true
  per_conn=$(( (rss1 - rss0) * 1024 / (connected > 0 ? connected : 1) ))
  {
    echo
    echo "Idle: $connected connections; relay RSS $((rss0 / 1024)) MB before, $((rss1 / 1024)) MB after: $per_conn bytes per idle connection."
  } >>"$work/report.md"
fi
if [ -f "$work/hub.md" ]; then
  {
    echo
    echo "| relay workload | histogram | count | mean | p50 | p99 |"
    echo "| --- | --- | ---: | ---: | ---: | ---: |"
    cat "$work/hub.md"
  } >>"$work/report.md"
fi
echo >>"$work/report.md"
echo "Load average (1, 5, 15 min) at the start: $load_start; at the end: $(cut -d' ' -f1-3 /proc/loadavg)." >>"$work/report.md"
cat "$work/report.md"
cp "$work/report.md" "${REPORT:-benches/relay/last-run.md}"
