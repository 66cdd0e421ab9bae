#!/usr/bin/env bash
# Builds the Go example plugin (not committed: a Go-built module is MBs).
# Usage: bash plugins/examples/gohello/build.sh [OUT.wasm]
set -euo pipefail
cd "$(dirname "$0")"
out="${1:-gohello.wasm}"
GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -o "$out" .
echo "go build (wasip1/wasm, c-shared) -> plugins/examples/gohello/$out"
