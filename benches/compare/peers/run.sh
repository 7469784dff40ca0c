#!/usr/bin/env bash
# Workload D (network3.py's conv-relu network) in this crate (neuralnet.sh:
# the mnist example, built beforehand) and the conv peers: PyTorch, candle,
# burn (ndarray and flex backends), one run at a time, over the grid
# BATCHES x THREADS, one table per mini-batch size. Not part of CI.
#
#   benches/compare/peers/run.sh [EPOCHS]          default 2
#   PEERS="torch candle" BATCHES=100 THREADS=1 benches/compare/peers/run.sh 1
#   LOCK=/tmp/nn-build.lock benches/compare/peers/run.sh 2   # each run under flock LOCK
#
# Env: PEERS (default "neuralnet torch candle burn-ndarray burn-flex"; also "candle-maxpool2d",
# candle with its own Tensor::max_pool2d, whose gradient is wrong in 0.11.1: see
# candle-conv/src/main.rs), BATCHES ("10 100"),
# THREADS ("1 2"), NEURALNET_BIN (default target/release/examples/mnist), MNIST_DIR (default ../shared/data/mnist beside the repository),
# PEERS_VENV (default $TMPDIR/peers-venv, needs torch), CARGO_TARGET_DIR (default
# $TMPDIR/peers-target, where the README's build commands put candle-conv and
# burn-conv), PEERS_DIR (the shared harness, default ../shared/peers beside the
# repository: its bench.py times nothing itself, it collects the RESULT lines and
# the peak RSS and prints the table), RESULTS (log prefix), LOCK (optional file:
# every peer run is wrapped in `flock $LOCK`, so that builds and other timed runs
# on the machine never overlap it).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
TMP="${TMPDIR:-/tmp}"
EPOCHS="${1:-2}"
PEERS="${PEERS:-neuralnet torch candle burn-ndarray burn-flex}"
BATCHES="${BATCHES:-10 100}"
THREADS="${THREADS:-1 2}"
export MNIST_DIR="${MNIST_DIR:-$ROOT/../shared/data/mnist}"
PEERS_DIR="${PEERS_DIR:-$ROOT/../shared/peers}"
PY="${PEERS_VENV:-$TMP/peers-venv}/bin/python"
TARGET="${CARGO_TARGET_DIR:-$TMP/peers-target}"
LOG="${RESULTS:-$TMP/peers-results/conv-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$(dirname "$LOG")"

[ -f "$PEERS_DIR/bench.py" ] || { echo "bench.py not found in $PEERS_DIR (set PEERS_DIR)" >&2; exit 1; }
[ -d "$MNIST_DIR" ] || { echo "MNIST not found at $MNIST_DIR (set MNIST_DIR)" >&2; exit 1; }

peer_cmd() {  # sets CMD to the command for peer $1; empty if it is not installed
  CMD=()
  case "$1" in
    neuralnet)    [ -x "${NEURALNET_BIN:-$ROOT/target/release/examples/mnist}" ] && CMD=("$HERE/neuralnet.sh") ;;
    torch)        [ -x "$PY" ] && "$PY" -c "import torch" 2>/dev/null && CMD=("$PY" "$HERE/torch_conv.py") ;;
    candle)       [ -x "$TARGET/release/candle-conv" ] && CMD=("$TARGET/release/candle-conv") ;;
    candle-maxpool2d) [ -x "$TARGET/release/candle-conv" ] && CMD=("$TARGET/release/candle-conv" --pool candle) ;;
    burn-ndarray) [ -x "$TARGET/release/burn-conv" ] && CMD=("$TARGET/release/burn-conv" --backend ndarray) ;;
    burn-flex)    [ -x "$TARGET/release/burn-conv" ] && CMD=("$TARGET/release/burn-conv" --backend flex) ;;
    *) echo "unknown peer $1" >&2 ;;
  esac
  return 0
}

WRAP=()
[ -n "${LOCK:-}" ] && WRAP=(flock "$LOCK")

for m in $BATCHES; do
  MLOG="$LOG-m$m.log"  # bench.py's table is keyed by peer and threads, not by m
  echo "# $(date -u +%FT%TZ) workload=D epochs=$EPOCHS m=$m threads=[$THREADS] peers=[$PEERS]" | tee -a "$MLOG"
  for t in $THREADS; do
    for p in $PEERS; do
      peer_cmd "$p"
      if [ "${#CMD[@]}" -eq 0 ]; then echo "SKIP $p (not built or installed: see README.md)"; continue; fi
      echo "== $p workload=D m=$m threads=$t"
      env OMP_NUM_THREADS="$t" MKL_NUM_THREADS="$t" OPENBLAS_NUM_THREADS="$t" \
          BLIS_NUM_THREADS="$t" NUMEXPR_NUM_THREADS="$t" RAYON_NUM_THREADS="$t" \
          MATMUL_NUM_THREADS="$t" \
        "${WRAP[@]}" python3 "$PEERS_DIR/bench.py" --label "$p/D/m$m/t$t" --log "$MLOG" -- \
          "${CMD[@]}" --workload D --batch "$m" --epochs "$EPOCHS" --threads "$t" --dtype f32 \
               --data "$MNIST_DIR" || echo "FAILED $p workload=D m=$m threads=$t"
    done
  done
done
for m in $BATCHES; do
  echo
  echo "## workload D, m = $m ($LOG-m$m.log)"
  python3 "$PEERS_DIR/bench.py" table "$LOG-m$m.log"
done
