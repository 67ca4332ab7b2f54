#!/usr/bin/env bash
# wampkit interop suite, one command for developers and CI:
#
#   interop/run.sh [extra go test flags, e.g. -run 'TestInterop/matrix/wampy']
#
# Installs the npm peers pinned by interop/package-lock.json (npm ci, skipped
# when node_modules already matches the lockfile, so it works offline after
# the first run), builds nexusd v3.3.0 (go.mod tool directive) and runs
# go test -tags interop ./interop/, which prints the matrix
# (peer x role x router x serializer) and exits nonzero on any failure.
set -euo pipefail
cd "$(dirname "$0")"

for tool in node npm go; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "interop: $tool is required (node >= 20, npm, go)" >&2
    exit 1
  fi
done

lock_sum="$(sha256sum package-lock.json | cut -d' ' -f1)"
stamp=node_modules/.wampkit-lock-sha256
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_sum" ]; then
  echo "== interop: npm packages up to date (node $(node --version))"
else
  echo "== interop: npm ci (node $(node --version), npm $(npm --version 2>/dev/null))"
  # --ignore-scripts: the peers need no install scripts (the native msgpack,
  # cbor and websocket accelerators are optional), and CI runs none.
  timeout 300 npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
  echo "$lock_sum" > "$stamp"
fi

cd ..
echo "== interop: go test -tags interop ./interop/"
exec go test -tags interop -count=1 -v -parallel 4 -timeout 5m ./interop/ "$@"
