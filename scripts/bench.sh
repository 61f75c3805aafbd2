#!/usr/bin/env bash
# scripts/bench.sh — what `make bench` runs: the benchmarks that compare our
# code with a reference measured in the same process, written to BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
GOFLAGS="${GOFLAGS:-} $(scripts/gotags.sh)"
export GOFLAGS
out=$(mktemp)
trap 'rm -f "$out"' EXIT
run() { # package, benchmark regexp, benchtime
  echo "== go test -bench $2 $1" >&2
  go test -run '^$' -bench "$2" -benchtime "$3" -count 1 "$1" | tee -a "$out" >&2
}
run ./functions/cmd/recs 'BenchmarkOnlineRetailChain' 3x
run ./shared/tabular 'Benchmark' 3x
run ./shared/warehouse/duckdbwh 'Benchmark' 5x
run ./shared/datasets 'BenchmarkDataset' 3x
# Database extraction reads the real servers that `make test` uses.
scripts/test-services.sh start >&2
trap 'rm -f "$out" "${quality:-}"; scripts/test-services.sh stop >/dev/null 2>&1 || true' EXIT
set -a
# shellcheck disable=SC1091
source var/test-services.env
set +a
run ./shared/sources/postgres 'BenchmarkExtract' 3x
run ./shared/sources/mysql 'BenchmarkExtract' 3x
run ./shared/etl 'BenchmarkDatabaseExtraction' 3x
run ./shared/etl 'BenchmarkPostgresJob' 1x
# The recommendation engine: dense algebra against gonum, neural throughput.
run ./shared/recsys/linalg 'BenchmarkInvertSPD' 3x
run ./shared/recsys/twotower 'Benchmark' 1x

# Recommendation quality on the protocol's split and a month or two either way
# (the recommended model's settings are the same everywhere; nothing is tuned on a test period).
quality=$(mktemp)
go build $(scripts/gotags.sh) -o "$quality.bin" ./functions/cmd/recs
for split in 2011-11-01 2011-09-01 2011-10-01 2011-12-01; do
  echo "== recs eval -split $split -models all" >&2
  {
    echo
    echo "### split $split"
    echo
    "$quality.bin" eval -data sample-data/uci_online_retail/online_retail.csv.gz -protocol or-temporal -split "$split" \
      -models "all,two-tower,blend:ease_log=1,own=4,lambda=200,blend:ease_recency=1,ease=0.5,pop_recent=0.2,own=4,recent=4" -markdown -quiet
  } >> "$quality"
done
rm -f "$quality.bin"

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
  echo
  echo "## Recommendation quality (recs eval, protocol OR-temporal-v1, $(scripts/gotags.sh | sed 's/-tags=//;s/^$/gonum/') linear algebra)"
  echo
  echo "recall@K over every test user and the whole catalogue; new_recall excludes each customer's own products;"
  echo "train s and peak MB are each model's own (peak RSS reset before each model)."
  cat "$quality"
  if [ -f BENCHMARKS.notes.md ]; then echo; cat BENCHMARKS.notes.md; fi
} > BENCHMARKS.md
echo "wrote BENCHMARKS.md" >&2
