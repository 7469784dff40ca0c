#!/usr/bin/env bash
# Side by side: neuralnet's `mnist` example and the peers of ../shared/peers
# (PyTorch, scikit-learn, candle, burn), on the same two workloads, one run at
# a time, in one table. Not part of CI: it needs the peers installed
# (../shared/peers/setup.sh) and takes several minutes.
#
#   benches/compare/compare.sh [EPOCHS]        default 5
#   THREADS="1" WORKLOADS="A" DTYPE=f64 PEERS="candle burn-flex" benches/compare/compare.sh 5
#
# Workload A = preset ch1 ([784,30,10], quadratic, eta 3, m 10);
# workload B = preset ch3 ([784,100,10], cross-entropy, lambda 5, eta 0.5, m 10).
# neuralnet is timed by the peers' own bench.py (wall time of each epoch's
# training loop, peak RSS of the whole process), like every peer.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PEERS_DIR="${PEERS_DIR:-$ROOT/../shared/peers}"
EPOCHS="${1:-5}"
THREADS="${THREADS:-1 2}"
WORKLOADS="${WORKLOADS:-A B}"
DTYPE="${DTYPE:-f32}"
export MNIST_DIR="${MNIST_DIR:-$ROOT/../shared/data/mnist}"
LOG="${RESULTS:-${TMPDIR:-/tmp}/compare-$(date +%Y%m%d-%H%M%S).log}"

[ -f "$PEERS_DIR/bench.py" ] || { echo "peers harness not found at $PEERS_DIR (set PEERS_DIR)" >&2; exit 1; }
[ -d "$MNIST_DIR" ] || { echo "MNIST not found at $MNIST_DIR (set MNIST_DIR)" >&2; exit 1; }

(cd "$ROOT" && cargo build --release --example mnist)
BIN="$ROOT/target/release/examples/mnist"

echo "# $(date -u +%FT%TZ) neuralnet epochs=$EPOCHS threads=[$THREADS] workloads=[$WORKLOADS] dtype=$DTYPE" | tee -a "$LOG"
for w in $WORKLOADS; do
  case "$w" in A) preset=ch1 ;; B) preset=ch3 ;; *) echo "unknown workload $w" >&2; exit 1 ;; esac
  for t in $THREADS; do
    echo "== neuralnet workload=$w threads=$t"
    python3 "$PEERS_DIR/bench.py" --label "neuralnet/$w/t$t" --log "$LOG" -- \
      "$BIN" --preset "$preset" --epochs "$EPOCHS" --threads "$t" --dtype "$DTYPE" \
             --data "$MNIST_DIR" --no-pictures --no-download --peer-format "$w" \
      || echo "FAILED neuralnet workload=$w threads=$t"
  done
done

# The peers, into the same log; run.sh prints the combined table at the end.
RESULTS="$LOG" THREADS="$THREADS" WORKLOADS="$WORKLOADS" DTYPE="$DTYPE" "$PEERS_DIR/run.sh" "$EPOCHS"
