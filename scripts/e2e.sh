#!/usr/bin/env bash
# scripts/e2e.sh — start the local platform on a fresh data dir and run the
# browser test (static/e2e) against it as the bootstrap admin: log in, upload
# the Online Retail file, see the run complete and the table with its schema
# and rows; then a malformed CSV (partial, rejects), an .xlsx (refused at upload), Run now
# and a re-upload (skipped, unchanged), and inviting a viewer who sees a
# read-only app; then the job wizard's flows (PostgreSQL incremental, Azurite latest-only file
# job); then the datasets flow on its own platform. B2B_E2E_PORT
# (default 18080) picks the port; B2B_E2E_FLOWS (static/README.md) narrows the flows.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${B2B_E2E_PORT:-18080}
data=$(mktemp -d)
log=var/e2e-recs.log
mkdir -p var bin
go build -o bin/recs ./functions/cmd/recs
password="e2e-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
B2B_DATA_DIR=$data B2B_ADDR=127.0.0.1:$port B2B_ADMIN_EMAIL=admin@e2e.test B2B_ADMIN_PASSWORD=$password \
  B2B_STATIC_DIR=static/dist bin/recs >"$log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/api/health" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { echo "recs exited; log:"; cat "$log"; exit 1; }
  sleep 0.2
done
export B2B_E2E_URL=http://127.0.0.1:$port B2B_E2E_EMAIL=admin@e2e.test B2B_E2E_PASSWORD=$password
export B2B_E2E_FILE=$PWD/sample-data/uci_online_retail/online_retail.csv.gz
export B2B_CHROMIUM=${B2B_CHROMIUM:-/usr/bin/chromium}
if ! (cd static && npm run e2e); then
  echo "--- recs log (tail)"; tail -50 "$log"; exit 1
fi
# The job wizard's flows on the same platform: a PostgreSQL incremental job and a latest-only file
# job on an Azurite container, with data seeded by tools/e2eseed (static/e2e/wizard.e2e.mjs).
go build -o bin/e2eseed ./tools/e2eseed
if ! (cd static && node e2e/wizard.e2e.mjs); then
  echo "--- recs log (tail)"; tail -50 "$log"; exit 1
fi
# The datasets flow starts its own platform, on a warehouse where SQL split the same file into
# invoice lines and products (static/e2e/datasets.e2e.mjs; B2B_E2E_DATASETS_PORT, default 18081).
go build -o bin/duckdbsql ./tools/duckdbsql
(cd static && node e2e/datasets.e2e.mjs)
