#!/usr/bin/env bash
# Installs the pinned npm packages of the JS interop harness (interop/vcjs)
# exactly as locked in package-lock.json, from the npm registry only, without
# running install scripts. Idempotent: when node_modules already holds this
# lock (stamp file), it does nothing. Quiet unless something fails.
# Exit status non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")"

command -v node >/dev/null 2>&1 || { echo "interop/vcjs: node not found" >&2; exit 1; }
command -v npm >/dev/null 2>&1 || { echo "interop/vcjs: npm not found" >&2; exit 1; }
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
	echo "interop/vcjs: Node.js >= 20 required, found $(node --version)" >&2
	exit 1
fi

# Refuse a lock that resolves anything outside the npm registry (github:, git+, file:, other hosts).
if grep -E '"resolved": "' package-lock.json | grep -vqE '"resolved": "https://registry\.npmjs\.org/'; then
	echo "interop/vcjs: package-lock.json resolves a package outside https://registry.npmjs.org/" >&2
	exit 1
fi

# Every locked package must carry an integrity hash.
if [ "$(grep -c '^    "node_modules/' package-lock.json)" != "$(grep -c '"integrity": "sha512-' package-lock.json)" ]; then
	echo "interop/vcjs: package-lock.json has a package without a sha512 integrity" >&2
	exit 1
fi

stamp=node_modules/.xborder-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
	exit 0
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >"$log" 2>&1; then
	cat "$log" >&2
	echo "interop/vcjs: npm ci failed" >&2
	exit 1
fi
echo "$want" >"$stamp"
