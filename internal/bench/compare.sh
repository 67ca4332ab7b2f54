#!/usr/bin/env bash
# Compare wampkit with the nexus v3.3.0 client and the xconn-go v0.1.0 client
# on one nexus router, and all three with the floor (the same frames over
# the same transport with no WAMP work, floor_test.go), in one run. The
# benchmarks are built once and run in interleaved rounds, so drift on a
# shared machine hits every client alike.
#
#   internal/bench/compare.sh                # 3 rounds, inproc, ws-json, ws-msgpack, raw-msgpack
#   COUNT=8 internal/bench/compare.sh        # more rounds
#   FULL=1 internal/bench/compare.sh         # also ws-cbor, raw-json, raw-cbor
#   BENCHTIME=1s internal/bench/compare.sh   # longer runs (default 0.5s)
#   KEEP=/tmp/b internal/bench/compare.sh    # keep the raw results (for benchstat)
#   BASE=df89db7 internal/bench/compare.sh   # wampkit here against wampkit at a git revision
#   TRANSPORTS='ws-msgpack|raw-msgpack' internal/bench/compare.sh   # some transports only
#   MODES=seq WHO='wampkit|nexus|routed' COUNT=20 internal/bench/compare.sh   # some rows and clients, more rounds
#
# BASE builds the revision's benchmarks in a temporary git worktree and
# interleaves its rounds with this tree's (each build in a process of its
# own, which goes first alternating each round; the floors follow in a
# third); only wampkit's own benchmarks run, and the table shows this tree
# over the base, then both above the floor, and the CPU a call of each
# above the routed floor's: base/here is how many times wampkit's cost
# above the floor shrank. Without BASE it prints four tables: rates and
# allocations with wampkit's ratios over each peer (and of wampkit's
# untyped API, "wkany", over nexus: the same work as nexus's benchmark, no
# typed conversion); the same ratios taken round by round (median, range,
# and the rounds in which wampkit was the faster), with the caps over nexus
# and over xconn-go (the peer's time over the routed floor's, from the
# medians: about the best ratio over that peer a client with no WAMP work of
# its own would reach; an estimate, which a ratio can exceed in a noisy
# run); the CPU a call of the whole process, and of each client above the
# routed floor's (at 32 concurrent the process is CPU-bound, so this is
# what each client costs); then each client's cost above the floor
# per call (µs, from the median rates), split into the router's share (the
# routed floor above the floor: the same frames through the real router by
# clients that do no WAMP work, routed_test.go) and the client's own (its
# time above the routed floor), its time as a multiple of the floor's, and
# the write system calls per call of the whole process (router included;
# Linux only).
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT=${COUNT:-3}
BENCHTIME=${BENCHTIME:-0.5s}
TRANSPORTS=${TRANSPORTS:-'inproc|ws-json|ws-msgpack|raw-msgpack'}
# Progressive streams (which have no mode) run only when MODES is not given.
progressive=${MODES:-yes}
if [ "$progressive" != yes ]; then progressive=''; fi
MODES=${MODES:-'seq|par32'}
if [ -n "${FULL:-}" ]; then TRANSPORTS='inproc|ws-json|ws-msgpack|raw-msgpack|ws-cbor|raw-json|raw-cbor'; fi
out=$(mktemp -d)
base_tree=""
cleanup() {
  if [ -n "$base_tree" ]; then git worktree remove --force "$base_tree" >/dev/null 2>&1 || true; fi
  if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp "$out"/*.txt "$KEEP"/ 2>/dev/null || true; fi
  rm -rf "$out"
}
trap cleanup EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(go version | cut -d' ' -f3), $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "rounds: $COUNT, benchtime $BENCHTIME, transports $TRANSPORTS, modes $MODES${BASE:+, base $BASE}"
if [ -z "${BASE:-}" ] && [ -n "${WHO:-}" ]; then echo "clients: $WHO"; fi

go test -c -o "$out/head.test" ./internal/bench/
who=${WHO:-'wampkit|wkany|nexus|nexusconv|xconn|floor|routed'}
if [ -n "${BASE:-}" ]; then
  who='wampkit'
  base_tree="$out/base"
  git worktree add --detach "$base_tree" "$BASE" >/dev/null 2>&1
  (cd "$base_tree" && go test -c -o "$out/base.test" ./internal/bench/)
fi

# bench BIN DIR LABEL [WHO [STREAMS]]: one round of every benchmark of WHO
# (default $who); LABEL renames wampkit; STREAMS (default $progressive)
# empty leaves the progressive streams out.
bench() {
  local bin=$1 dir=$2 label=$3 w=${4:-$who} streams=${5-$progressive}
  (cd "$dir" &&
    "$bin" -test.run '^$' -test.bench "^BenchmarkCall\$/^($w)\$/^($TRANSPORTS)\$/^($MODES)\$" -test.benchtime "$BENCHTIME" &&
    if [ -n "$streams" ]; then
      "$bin" -test.run '^$' -test.bench "^BenchmarkProgressive\$/^($w)\$/^($TRANSPORTS)\$" -test.benchtime 2x
    fi) |
    sed "s|^\(Benchmark[A-Za-z]*\)/wampkit/|\1/$label/|" >> "$out/results.txt"
}
for i in $(seq "$COUNT"); do
  echo "round $i of $COUNT ($(date -u +%H:%M:%S), load $(cut -d' ' -f1 /proc/loadavg))" >&2
  if [ -z "${BASE:-}" ]; then
    bench "$out/head.test" internal/bench wampkit
  elif [ $((i % 2)) -eq 1 ]; then
    # Each build of wampkit runs in a process of its own, the two taking
    # turns to go first; the floors (no streams) run last, in another.
    bench "$out/head.test" internal/bench head
    bench "$out/base.test" "$base_tree/internal/bench" base
    bench "$out/head.test" internal/bench head 'floor|routed' ''
  else
    bench "$out/base.test" "$base_tree/internal/bench" base
    bench "$out/head.test" internal/bench head
    bench "$out/head.test" internal/bench head 'floor|routed' ''
  fi
done
if [ -z "${BASE:-}" ]; then
  (cd internal/bench && "$out/head.test" -test.run '^$' -test.bench '^BenchmarkIdleRegistrationMemory$' -test.benchtime 1x) > "$out/mem.txt"
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

# Medians of the rates (calls/s, items/s) and means of allocs/op, per
# client and per transport/mode/payload.
awk -v base="${BASE:-}" '
function median(list,   n, a, i, j, t) {
  n = split(list, a, " ")
  if (n == 0) return 0
  for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
  return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function r(w, k) { return median(rate[w, k]) }
function al(w, k) { return nalloc[w, k] ? sprintf("%.0f", allocs[w, k] / nalloc[w, k]) : "-" }
function wr(w, k) { return nwrites[w, k] ? sprintf("%.1f", writes[w, k] / nwrites[w, k]) : "-" }
function cpu(w, k) { return ncpu[w, k] ? sprintf("%.0f", median(cpus[w, k])) : "-" }
function sw(w, k) { return nsw[w, k] ? sprintf("%.1f", median(sws[w, k])) : "-" }
# pr(a, b, k): the ratio of the rates of a and b within each round (the two
# ran next to each other), as "median [lowest-highest] ahead/rounds" over the
# rounds: the spread says how far apart two rounds can put the same ratio on
# this machine, ahead counts the rounds in which a was the faster.
function pr(a, b, k,   x, y, n, m, i, l, lo, hi, t, up) {
  n = split(rate[a, k], x, " "); m = split(rate[b, k], y, " ")
  if (n == 0 || n != m) return "-"
  l = ""; lo = 1e9; hi = 0; up = 0
  for (i = 1; i <= n; i++) { t = x[i] / y[i]; l = l " " t; if (t < lo) lo = t; if (t > hi) hi = t; if (t > 1) up++ }
  return sprintf("%.2f [%.2f-%.2f] %d/%d", median(l), lo, hi, up, n)
}
# cap(k): the time per call of nexus over that of the routed floor: the
# highest ratio over nexus a client with no WAMP work of its own could
# reach; capof(w, k) the same over client w
function cap(k) { return capof("nexus", k) }
function capof(w, k,   a, f) { a = r(w, k); f = r("routed", k); return (a > 0 && f > 0) ? sprintf("%.2f", f / a) : "-" }
function ratio(a, b) { return (a > 0 && b > 0) ? sprintf("%.2f", a / b) : "-" }
function num(a) { return a > 0 ? sprintf("%.0f", a) : "-" }
# above(w, k): µs per call above the floor; times(w, k): time per call as a multiple of the floor
function above(w, k,   a, f) { a = r(w, k); f = r("floor", k); return (a > 0 && f > 0) ? sprintf("%.1f", 1e6 / a - 1e6 / f) : "-" }
# own(w, k): µs per call above the routed floor (routed_test.go): what
# the client adds by its own WAMP work; router(k): the routed floor above the floor
function own(w, k,   a, f) { a = r(w, k); f = r("routed", k); return (a > 0 && f > 0) ? sprintf("%.1f", 1e6 / a - 1e6 / f) : "-" }
# owncpu(w, k): CPU µs a call of w above that of the routed floor
function owncpu(w, k) { return (ncpu[w, k] && ncpu["routed", k]) ? sprintf("%.1f", median(cpus[w, k]) - median(cpus["routed", k])) : "-" }
# ownr(w, k): the CPU a call of w above that of the routed floor within each
# round (the two ran in the same round), as "median [lowest to highest]": the
# spread says how far the difference of the medians (owncpu) can be trusted
function ownr(w, k,   x, y, n, m, i, l, lo, hi, t) {
  n = split(cpus[w, k], x, " "); m = split(cpus["routed", k], y, " ")
  if (n == 0 || n != m) return "-"
  l = ""; lo = 1e9; hi = -1e9
  for (i = 1; i <= n; i++) { t = x[i] - y[i]; l = l " " t; if (t < lo) lo = t; if (t > hi) hi = t }
  return sprintf("%.1f [%.1f to %.1f]", median(l), lo, hi)
}
function router(k,   a, f) { a = r("routed", k); f = r("floor", k); return (a > 0 && f > 0) ? sprintf("%.1f", 1e6 / a - 1e6 / f) : "-" }
function times(w, k,   a, f) { a = r(w, k); f = r("floor", k); return (a > 0 && f > 0) ? sprintf("%.2f", f / a) : "-" }
/^Benchmark(Call|Progressive)\// {
  name = $1; sub(/-[0-9]+$/, "", name)
  n = split(name, p, "/"); w = p[2]; key = p[1] "/" p[3]
  sub(/^Benchmark/, "", key)
  for (i = 4; i <= n; i++) key = key "/" p[i]
  for (i = 2; i <= NF; i++) {
    if ($i == "calls/s" || $i == "items/s") rate[w, key] = rate[w, key] " " $(i - 1)
    if ($i == "allocs/op") { allocs[w, key] += $(i - 1); nalloc[w, key]++ }
    if ($i == "writes/call") { writes[w, key] += $(i - 1); nwrites[w, key]++ }
    if ($i == "cpu-µs/call") { cpus[w, key] = cpus[w, key] " " $(i - 1); ncpu[w, key]++ }
    if ($i == "switches/call") { sws[w, key] = sws[w, key] " " $(i - 1); nsw[w, key]++ }
  }
  keys[key] = 1
}
END {
  nk = 0
  for (k in keys) sorted[++nk] = k
  for (i = 2; i <= nk; i++) { t = sorted[i]; for (j = i - 1; j >= 1 && sorted[j] > t; j--) sorted[j + 1] = sorted[j]; sorted[j + 1] = t }
  if (base != "") {
    printf "\n%-34s %9s %9s %6s %7s %7s %7s %7s %7s %7s %7s %7s\n", "wampkit, here over " base, "here/s", "base/s", "ratio", "allocs", "alloc b", "writes", "write b", "cpu µs", "cpu b", "switch", "swtch b"
    for (i = 1; i <= nk; i++) { k = sorted[i]
      printf "%-34s %9s %9s %6s %7s %7s %7s %7s %7s %7s %7s %7s\n", k, num(r("head", k)), num(r("base", k)), ratio(r("head", k), r("base", k)), al("head", k), al("base", k), wr("head", k), wr("base", k), cpu("head", k), cpu("base", k), sw("head", k), sw("base", k) }
    # owncpu: the CPU a call above that of the routed floor (run in the
    # rounds of this tree): what the WAMP work of each build costs where
    # the process is CPU-bound
    printf "\n%-35s %7s %7s %7s %7s %9s %7s %7s %9s %7s %7s %9s\n", "above the floor (µs/call)", "floor", "router", "+here", "+base", "base/here", "own", "own b", "base/here", "owncpu", "ocpu b", "base/here"
    for (i = 1; i <= nk; i++) { k = sorted[i]
      if (r("floor", k) == 0) continue
      a = above("head", k); b = above("base", k); c = own("head", k); d = own("base", k); e = owncpu("head", k); f = owncpu("base", k)
      printf "%-34s %7.1f %7s %7s %7s %9s %7s %7s %9s %7s %7s %9s\n", k, 1e6 / r("floor", k), router(k), a, b, (a + 0 > 0 && b + 0 > 0) ? sprintf("%.2f", b / a) : "-",
        c, d, (c + 0 > 0 && d + 0 > 0) ? sprintf("%.2f", d / c) : "-", e, f, (e + 0 > 0 && f + 0 > 0) ? sprintf("%.2f", f / e) : "-" }
    exit
  }
  printf "\n%-34s %9s %9s %9s %7s %7s %6s %6s %6s %10s %7s %9s %7s %6s\n", "rates (calls/s, items/s)", "wampkit", "nexus", "xconn", "wk/nx", "wk/xc", "al wk", "al nx", "al xc", "nexusconv", "wk/nxc", "wk untyp", "un/nx", "al un"
  for (i = 1; i <= nk; i++) { k = sorted[i]
    printf "%-34s %9s %9s %9s %7s %7s %6s %6s %6s %10s %7s %9s %7s %6s\n", k, num(r("wampkit", k)), num(r("nexus", k)), num(r("xconn", k)),
      ratio(r("wampkit", k), r("nexus", k)), ratio(r("wampkit", k), r("xconn", k)), al("wampkit", k), al("nexus", k), al("xconn", k),
      num(r("nexusconv", k)), ratio(r("wampkit", k), r("nexusconv", k)), num(r("wkany", k)), ratio(r("wkany", k), r("nexus", k)), al("wkany", k) }
  printf "\n%-34s %-24s %-24s %-24s %-24s %6s %6s\n", "ratios round by round", "wk/nx", "wk/xc", "wk/nxc", "untyped/nx", "cap nx", "cap xc"
  for (i = 1; i <= nk; i++) { k = sorted[i]
    printf "%-34s %-24s %-24s %-24s %-24s %6s %6s\n", k, pr("wampkit", "nexus", k), pr("wampkit", "xconn", k), pr("wampkit", "nexusconv", k), pr("wkany", "nexus", k), cap(k), capof("xconn", k) }
  # At 32 concurrent the process is CPU-bound: the CPU a call (router and
  # both clients) says what each client costs; "own" is the CPU of a client
  # above that of the routed floor.
  printf "\n%-35s %8s %8s %8s %8s %8s %8s %8s   %-20s %-20s\n", "CPU a call (µs, whole process)", "routed", "wampkit", "nexus", "xconn", "own wk", "own nx", "own xc", "own wk by round", "own nx by round"
  for (i = 1; i <= nk; i++) { k = sorted[i]
    if (cpu("routed", k) == "-" || cpu("wampkit", k) == "-") continue
    printf "%-34s %8s %8s %8s %8s %8s %8s %8s   %-20s %-20s\n", k, cpu("routed", k), cpu("wampkit", k), cpu("nexus", k), cpu("xconn", k),
      owncpu("wampkit", k), owncpu("nexus", k), owncpu("xconn", k), ownr("wampkit", k), ownr("nexus", k) }
  printf "\n%-35s %7s %7s %7s %7s %7s %7s %7s %7s %6s %6s %6s   %s\n", "above the floor (µs/call)", "floor", "router", "+wk", "+nx", "+xc", "own wk", "own nx", "own xc", "x wk", "x nx", "x xc", "writes/call wk nx xc floor routed"
  for (i = 1; i <= nk; i++) { k = sorted[i]
    if (r("floor", k) == 0) continue
    printf "%-34s %7.1f %7s %7s %7s %7s %7s %7s %7s %6s %6s %6s   %s %s %s %s %s\n", k, 1e6 / r("floor", k), router(k), above("wampkit", k), above("nexus", k), above("xconn", k),
      own("wampkit", k), own("nexus", k), own("xconn", k), times("wampkit", k), times("nexus", k), times("xconn", k),
      wr("wampkit", k), wr("nexus", k), wr("xconn", k), wr("floor", k), wr("routed", k) }
}' "$out/results.txt"
if [ -z "${BASE:-}" ]; then
  grep -h 'B/registration' "$out/mem.txt" | awk '{ print "idle registration memory:", $1, $(NF-1), "B/registration" }'
fi
