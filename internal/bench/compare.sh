#!/usr/bin/env bash
# Compare wampkit with the raw nexus v3.3.0 client, same router, same run.
#   internal/bench/compare.sh            # default counts
#   COUNT=10 internal/bench/compare.sh   # more samples
# Prints benchstat's summary, then a table of wampkit/nexus ratios.
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT=${COUNT:-5}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

BENCHSTAT_VERSION=v0.0.0-20250813145418-2f7363a06fe1
if ! command -v benchstat >/dev/null 2>&1; then
  go install "golang.org/x/perf/cmd/benchstat@${BENCHSTAT_VERSION}" >/dev/null 2>&1 || true
fi
export PATH="$PATH:$(go env GOPATH)/bin"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(go version | cut -d' ' -f3), $(date -u +%Y-%m-%d)"
go test -run '^$' -bench '^BenchmarkCall$' -benchtime 1s -count "$COUNT" ./internal/bench/ > "$out/call.txt"
go test -run '^$' -bench '^BenchmarkProgressive$' -benchtime 3x -count "$COUNT" ./internal/bench/ > "$out/prog.txt"
go test -run '^$' -bench '^BenchmarkIdleRegistrationMemory$' -benchtime 1x -count 1 ./internal/bench/ > "$out/mem.txt"

if command -v benchstat >/dev/null 2>&1; then
  benchstat "$out/call.txt" "$out/prog.txt" || true
fi

printf "%-44s %12s %12s %7s %9s %9s %12s %7s\n" "benchmark" "wampkit/s" "nexus/s" "ratio" "allocs wk" "allocs nx" "nexusconv/s" "ratio"
# Ratios: median calls/s (items/s) and mean allocs/op of wampkit over nexus,
# per transport, mode and payload; then over nexus with hand-written typed
# conversions ("nexusconv", calls only).
awk '
function median(list,   n, a, i, j, t) {
  n = split(list, a, " ")
  for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
  return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
/^Benchmark(Call|Progressive)\// {
  name = $1; sub(/-[0-9]+$/, "", name)
  split(name, p, "/"); who = p[2]; key = p[1] "/" p[3]
  for (i = 4; i <= length(p); i++) key = key "/" p[i]
  for (i = 2; i <= NF; i++) {
    if ($i == "calls/s" || $i == "items/s") rate[who, key] = rate[who, key] " " $(i - 1)
    if ($i == "allocs/op") { allocs[who, key] += $(i - 1); nalloc[who, key]++ }
  }
  keys[key] = 1
}
END {
  for (k in keys) {
    w = median(rate["wampkit", k]); x = median(rate["nexus", k])
    y = (("nexusconv", k) in rate) ? median(rate["nexusconv", k]) : 0
    printf "%-44s %12.0f %12.0f %7.2f %9.1f %9.1f", k, w, x, (x > 0 ? w / x : 0), \
      allocs["wampkit", k] / nalloc["wampkit", k], allocs["nexus", k] / nalloc["nexus", k]
    if (y > 0) printf " %12.0f %7.2f", y, w / y
    printf "\n"
  }
}' "$out/call.txt" "$out/prog.txt" | sort
grep -h 'B/registration' "$out/mem.txt" | awk '{ print "idle registration memory:", $1, $(NF-1), "B/registration" }'
