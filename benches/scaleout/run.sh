#!/usr/bin/env bash
# The scale-out bench (not a test): relay nodes sharing one document over Redis
# Streams, the load generators in separate processes (crates/relay/examples/load_gen.rs),
# and the figures in benches/scaleout/RESULTS.md.
#
#   bash benches/scaleout/run.sh [SECONDS]     default 20 s of writes per layout
#   LAYOUTS="redis-3 sqlite-1" bash benches/scaleout/run.sh    a subset
#   RELAY_ARGS="--compact-every 100" bash benches/scaleout/run.sh  flags for every node
#
# One document, 900 clients, 10 of them writing 5 times a second each, in three
# layouts, one after the other in the same run:
#   redis-3: Redis + 3 release relay nodes, 300 clients on each (the 10 writers on
#            node 1): delivery latency on node 1 (same node) and on nodes 2-3 (cross
#            node: a write travels client -> node 1 -> Redis -> node 2/3 -> client);
#   redis-1: the same 900 clients on one node over Redis;
#   sqlite-1: the same 900 clients on one node over SQLite (the single-node default).
# Redis (redis-server, started here on a free port in a temporary directory, AOF with
# appendfsync always, noeviction) is fresh for each Redis layout. Reported: p50/p99
# delivery latency (every client's view of every write of the others), relay CPU and
# RSS, generator CPU, Redis operations per write (INFO commandstats before and after
# the writing phase, divided by the writes made) and per XADD, and the bytes Redis
# holds for the document (MEMORY USAGE of each of its keys) after the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-20}
per_node=${PER_NODE:-300}
writers=${WRITERS:-10}
rate=${RATE:-5}
command -v redis-server >/dev/null || {
  echo "redis-server is missing (Debian: apt-get install redis-server)" >&2
  exit 1
}
cargo build --release -q -p converge-relay --bin converge-relay --example load_gen
relay=target/release/converge-relay
gen=target/release/examples/load_gen
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

cpu_of() { awk '{print ($14+$15)/100}' "/proc/$1/stat"; }
rss_kb() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_redis NAME: a fresh redis-server (AOF, fsync on every write) in $work/NAME.
start_redis() {
  mkdir -p "$work/$1"
  redis_port=$(free_port)
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work/$1" --save '' \
    --appendonly yes --appendfsync always --maxmemory-policy noeviction \
    >"$work/$1/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 100); do
    redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG && return
    sleep 0.05
  done
  echo "redis-server did not start: $(cat "$work/$1/redis.log")" >&2
  exit 1
}
rcli() { redis-cli -p "$redis_port" "$@"; }

# start_node NAME BACKEND-ARGS...: a relay node on a free port; sets node_pid, node_addr.
start_node() {
  local name=$1
  shift
  # shellcheck disable=SC2086 # RELAY_ARGS is a list of flags
  "$relay" --listen 127.0.0.1:0 --max-connections 50000 ${RELAY_ARGS:-} "$@" \
    >"$work/$name.out" 2>"$work/$name.err" &
  node_pid=$!
  node_addr=
  for _ in $(seq 200); do
    node_addr=$(sed -n 's/^listening on //p' "$work/$name.out")
    [ -n "$node_addr" ] && return
    sleep 0.05
  done
  echo "relay $name did not start: $(cat "$work/$name.err")" >&2
  exit 1
}

# Sum of the calls of every command in INFO commandstats, and those of XADD.
redis_calls() { rcli info commandstats | tr -d '\r' | awk -F'[:=,]' '/^cmdstat_/ && !/^cmdstat_(info|memory|scan|type|xlen):/{n+=$3} END{print n+0}'; }
redis_xadds() { rcli info commandstats | tr -d '\r' | awk -F'[:=,]' '/^cmdstat_xadd:/{n+=$3} END{print n+0}'; }

# run_layout NAME NODES... (each NODE is "pid addr"): 3 generator processes of
# PER_NODE clients each, process i on node i mod NODES (the writers in process 0), a
# JSON line of figures appended to $work/rows.
run_layout() {
  local name=$1
  shift
  local n=$# pids=() gpids=() addrs=() i=0
  for node in "$@"; do
    pids+=("${node% *}")
    addrs+=("${node#* }")
  done
  for i in 0 1 2; do
    local mode=watch
    [ "$i" -eq 0 ] && mode=write
    "$gen" "ws://${addrs[$((i % n))]}" "bench/scaleout" "$per_node" "$writers" "$rate" "$seconds" "$name-$i" \
      "$work/$name-$i.samples" "$mode" >"$work/$name-$i.json" &
    gpids+=($!)
  done
  # Measure over the writing phase only: wait until the nodes hold every client (their
  # /metrics), then a second for the generators to start writing.
  local want=$((per_node * 3)) have=0
  for _ in $(seq 600); do
    have=0
    for a in "${addrs[@]}"; do
      local c
      c=$(curl -s "http://$a/metrics" | awk '/^converge_relay_connections /{print int($2)}' | head -1)
      have=$((have + ${c:-0}))
    done
    [ "$have" -ge "$want" ] && break
    sleep 0.2
  done
  sleep 1
  local cpu0=0 calls0=0 xadds0=0 t0=$SECONDS
  for p in "${pids[@]}"; do cpu0=$(python3 -c "print($cpu0 + $(cpu_of "$p"))"); done
  if [ -n "${redis_port:-}" ]; then
    rcli info commandstats | tr -d '\r' >"$work/$name.stats0"
    calls0=$(redis_calls)
    xadds0=$(redis_xadds)
  fi
  wait "${gpids[@]}"
  local elapsed=$((SECONDS - t0)) cpu1=0 rss=0 calls1=0 xadds1=0 bytes=0 entries=0 keys=""
  for p in "${pids[@]}"; do
    cpu1=$(python3 -c "print($cpu1 + $(cpu_of "$p"))")
    rss=$((rss + $(rss_kb "$p")))
  done
  if [ -n "${redis_port:-}" ]; then
    calls1=$(redis_calls)
    xadds1=$(redis_xadds)
    rcli info commandstats | tr -d '\r' >"$work/$name.stats1"
    # Every key of the document (stream, snapshot, lease, ...): its MEMORY USAGE.
    keys=$(rcli --scan --pattern '*scaleout*' | tr '\n' ' ')
    for k in $keys; do
      bytes=$((bytes + $(rcli memory usage "$k" samples 0 | tr -d '\r' | sed 's/^$/0/')))
      if [ "$(rcli type "$k" | tr -d '\r')" = stream ]; then
        entries=$((entries + $(rcli xlen "$k" | tr -d '\r')))
      fi
    done
    rcli info persistence | tr -d '\r' | grep -E '^aof_(enabled|last_write_status)' >"$work/$name.aof" || true
  fi
  python3 - "$name" "$n" "$cpu0" "$cpu1" "$elapsed" "$rss" "$calls0" "$calls1" "$xadds0" "$xadds1" \
    "$bytes" "$keys" "$writers" "$rate" "$seconds" "$work/$name" "$entries" <<'PY' >>"$work/rows"
import glob, json, sys
name, n = sys.argv[1], int(sys.argv[2])
cpu = float(sys.argv[4]) - float(sys.argv[3]); elapsed = max(1, int(sys.argv[5])); rss = int(sys.argv[6])
calls = int(sys.argv[8]) - int(sys.argv[7]); xadds = int(sys.argv[10]) - int(sys.argv[9])
bytes_, keys = int(sys.argv[11]), sys.argv[12].split()
writers, rate, seconds, prefix = int(sys.argv[13]), int(sys.argv[14]), int(sys.argv[15]), sys.argv[16]
entries = int(sys.argv[17])
def samples(files):
    out = []
    for f in files:
        out += [int(l) for l in open(f) if l.strip()]
    return sorted(out)
def pct(s, q):
    return round(s[min(len(s) - 1, int(q * len(s)))] / 1000, 1) if s else None
per_node = [samples([f"{prefix}-{i}.samples"]) for i in range(3)]
everyone = sorted(x for s in per_node for x in s)
cross = sorted(x for s in per_node[1:] for x in s)
gens = [json.loads(open(f).read().strip().splitlines()[-1]) for f in sorted(glob.glob(f"{prefix}-*.json"))]
writes = writers * rate * seconds
def stats(path):
    out = {}
    try:
        for line in open(path):
            if line.startswith("cmdstat_"):
                cmd, rest = line[8:].split(":", 1)
                out[cmd] = int(rest.split(",")[0].split("=")[1])
    except FileNotFoundError:
        pass
    return out
s0, s1 = stats(prefix + ".stats0"), stats(prefix + ".stats1")
per_command = {c: s1[c] - s0.get(c, 0) for c in sorted(s1) if s1[c] - s0.get(c, 0) > 0 and c != "info"}
print(json.dumps({
    "layout": name, "nodes": n, "deliveries": len(everyone),
    "p50": pct(everyone, 0.5), "p99": pct(everyone, 0.99),
    "same_node_p50": pct(per_node[0], 0.5), "same_node_p99": pct(per_node[0], 0.99),
    "cross_node_p50": pct(cross, 0.5), "cross_node_p99": pct(cross, 0.99),
    "relay_cpu_pct": round(100 * cpu / elapsed), "relay_rss_mb": round(rss / 1024, 1),
    "generator_cpu_pct": round(100 * sum(g.get("cpu_seconds", 0) for g in gens) / elapsed),
    "connected": sum(g.get("connected", 0) for g in gens),
    "writes": writes, "redis_calls": calls, "xadds": xadds,
    "redis_ops_per_write": round(calls / writes, 2) if calls else None,
    "redis_ops_per_xadd": round(calls / xadds, 2) if xadds else None,
    "redis_bytes_for_document": bytes_ or None, "redis_keys": keys, "stream_entries": entries,
    "per_command": per_command,
}))
PY
}

stop_all() {
  for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "$@"; do wait "$p" 2>/dev/null || true; done
}

# Layout redis-3: Redis and 3 nodes, 300 clients each.
layout_redis_3() {
  start_redis redis-3
  local nodes=() npids=() i
  for i in 1 2 3; do
    start_node "redis-3-node$i" --redis "redis://127.0.0.1:$redis_port" --node-name "node-$i"
    nodes+=("$node_pid $node_addr")
    npids+=("$node_pid")
  done
  run_layout redis-3 "${nodes[@]}"
  stop_all "${npids[@]}"
  stop_redis
}

# Layout redis-1: the same 900 clients on one node over a fresh Redis.
layout_redis_1() {
  start_redis redis-1
  start_node redis-1-node1 --redis "redis://127.0.0.1:$redis_port" --node-name node-1
  run_layout redis-1 "$node_pid $node_addr"
  stop_all "$node_pid"
  stop_redis
}

# Layout sqlite-1: the same 900 clients on one node over SQLite.
layout_sqlite_1() {
  start_node sqlite-1-node1 --data "$work/sqlite-data"
  run_layout sqlite-1 "$node_pid $node_addr"
  stop_all "$node_pid"
}

stop_redis() {
  rcli shutdown nosave >/dev/null 2>&1 || true
  wait "$redis_pid" 2>/dev/null || true
  unset redis_port
}

touch "$work/rows"
for layout in ${LAYOUTS:-redis-3 redis-1 sqlite-1}; do
  "layout_${layout//-/_}"
done

python3 - "$work/rows" "$seconds" <<'PY' | tee "$work/report.md"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ms = lambda v: "-" if v is None else f"{v} ms"
print(f"{sys.argv[2]} s of writes per layout; 900 clients on one document, 10 writing 5/s.\n")
print("| layout | deliveries | p50 | p99 | same-node p50 / p99 | cross-node p50 / p99 | relay CPU (sum, of one core) | relay RSS (sum) | generator CPU | connected |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for r in rows:
    cross = f"{ms(r['cross_node_p50'])} / {ms(r['cross_node_p99'])}" if r["nodes"] > 1 else "-"
    print(f"| {r['layout']} | {r['deliveries']} | {ms(r['p50'])} | {ms(r['p99'])} | "
          f"{ms(r['same_node_p50'])} / {ms(r['same_node_p99'])} | {cross} | {r['relay_cpu_pct']}% | "
          f"{r['relay_rss_mb']} MB | {r['generator_cpu_pct']}% (3 procs) | {r['connected']} |")
print()
print("| layout | writes | Redis calls | XADDs | Redis ops per write | ops per XADD | bytes in Redis for the document | stream entries held | keys |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
for r in rows:
    if r["redis_calls"]:
        print(f"| {r['layout']} | {r['writes']} | {r['redis_calls']} | {r['xadds']} | {r['redis_ops_per_write']} | "
              f"{r['redis_ops_per_xadd']} | {r['redis_bytes_for_document']} | {r['stream_entries']} | {' '.join(r['redis_keys'])} |")
print()
for r in rows:
    if r["redis_calls"]:
        print(f"- {r['layout']}: Redis calls by command over the writing phase: "
              + ", ".join(f"{c} {n}" for c, n in r["per_command"].items()))
PY
cp "$work/report.md" benches/scaleout/last-run.md
