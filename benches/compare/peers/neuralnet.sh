#!/usr/bin/env bash
# This crate as a workload-D peer, for run.sh: the mnist example's
# conv-relu preset with the peers' flags (run.sh's `--workload D` becomes
# `--peer-format D`). Build it first: cargo build --release --example mnist
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BIN="${NEURALNET_BIN:-$HERE/../../../target/release/examples/mnist}"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --workload) shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
exec "$BIN" --preset conv-relu --no-pictures --no-download --peer-format D "${args[@]}"
