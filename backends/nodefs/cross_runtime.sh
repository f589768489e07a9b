#!/usr/bin/env bash
# Cross-runtime check: native larder-fs and larder-nodefs share one cache
# directory, each reading what the other wrote (bytes, metadata and mtimes).
#
#   backends/nodefs/cross_runtime.sh            # wasm side under Node
#   WASM_BINDGEN_USE_DENO=1 backends/nodefs/cross_runtime.sh   # under Deno
#
# Needs wasm-bindgen-test-runner (0.2.130) on PATH, and deno for the Deno run
# (see backends/nodefs/README.md for the Deno wrapper). Three cargo commands in
# sequence; no cargo runs inside another.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export LARDER_CROSS_DIR="$dir"

LARDER_CROSS_STEP=write cargo test -q -p larder-tests --test cross_runtime_fs -- --exact cross_runtime_native_write
# No -q here: the runner rejects the --quiet that cargo would pass on.
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test -p larder-nodefs --target wasm32-unknown-unknown --test node -- cross_runtime_with_larder_fs
LARDER_CROSS_STEP=verify cargo test -q -p larder-tests --test cross_runtime_fs -- --exact cross_runtime_native_verify
ls "$dir/larder-v1/entries" >/dev/null
echo "cross-runtime: larder-fs <-> larder-nodefs OK ($(find "$dir/larder-v1/entries" -type f | wc -l) entries)"
