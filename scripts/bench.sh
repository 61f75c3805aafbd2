#!/usr/bin/env bash
# scripts/bench.sh — what `make bench` runs: the benchmarks that compare our
# code with a reference measured in the same process, written to BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
run() { # package, benchmark regexp, benchtime
  echo "== go test -bench $2 $1" >&2
  go test -run '^$' -bench "$2" -benchtime "$3" -count 1 "$1" | tee -a "$out" >&2
}
run ./functions/cmd/recs 'BenchmarkOnlineRetailChain' 3x
run ./shared/tabular 'Benchmark' 3x
run ./shared/warehouse/duckdbwh 'Benchmark' 5x
# Database extraction reads the real servers that `make test` uses.
scripts/test-services.sh start >&2
trap 'rm -f "$out"; scripts/test-services.sh stop >/dev/null 2>&1 || true' EXIT
set -a
# shellcheck disable=SC1091
source var/test-services.env
set +a
run ./shared/sources/postgres 'BenchmarkExtract' 3x
run ./shared/sources/mysql 'BenchmarkExtract' 3x

{
  echo "# Benchmarks"
  echo
  echo "Written by \`make bench\` (scripts/bench.sh) on $(date -u +%Y-%m-%d), $(nproc) cores, $(go version | cut -d' ' -f3)."
  echo "Each line is one benchmark; ratios compare our code with a reference run in the same process"
  echo "(speed-ratio = reference time / our time: 1.0 is as fast as the reference, 0.5 twice as slow)."
  echo
  echo '```'
  grep -E '^(Benchmark|goos|goarch|cpu|pkg)' "$out"
  echo '```'
  if [ -f BENCHMARKS.notes.md ]; then echo; cat BENCHMARKS.notes.md; fi
} > BENCHMARKS.md
echo "wrote BENCHMARKS.md" >&2
