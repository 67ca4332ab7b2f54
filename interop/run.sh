#!/usr/bin/env bash
# wampkit interop suite, one command for developers and CI:
#
#   interop/run.sh [extra go test flags, e.g. -run 'TestInterop/matrix/wampy']
#
# Installs the npm peers pinned by interop/package-lock.json (npm ci, skipped
# when node_modules already matches the lockfile, so it works offline after
# the first run) and Autobahn|Python from Debian (python3-autobahn,
# python3-msgpack, python3-cbor2; skipped when /usr/bin/python3 already
# imports them), then runs go test -tags interop ./interop/, which builds
# nexusd v3.3.0 (go.mod tool directive) and nxt v0.1.0 (interop/nxt/go.mod
# tool directive), prints the matrix (peer x role x router x serializer) and
# exits nonzero on any failure.
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

# Autobahn|Python: Debian's packages for /usr/bin/python3.
py_pkgs="python3-autobahn python3-msgpack python3-cbor2"
if /usr/bin/python3 -c 'import autobahn, msgpack, cbor2' >/dev/null 2>&1; then
  echo "== interop: Autobahn|Python installed ($(/usr/bin/python3 -c 'import autobahn; print(autobahn.__version__)'))"
elif command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "== interop: apt-get install $py_pkgs"
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get update -qq
  # shellcheck disable=SC2086 # the package list is meant to split
  timeout 600 apt-get install -y -qq --no-install-recommends $py_pkgs >/dev/null
  /usr/bin/python3 -c 'import autobahn, msgpack, cbor2'
else
  echo "interop: /usr/bin/python3 cannot import autobahn, msgpack and cbor2: install the Debian packages $py_pkgs (as root: apt-get install)" >&2
  exit 1
fi

cd ..
echo "== interop: go test -tags interop ./interop/"
exec go test -tags interop -count=1 -v -parallel 4 -timeout 10m ./interop/ "$@"
