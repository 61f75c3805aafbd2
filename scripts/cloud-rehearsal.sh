#!/usr/bin/env bash
# cloud-rehearsal.sh: the cloud wiring on emulators (functions/rehearsal,
# docs/cloud.md "Rehearsal"): the packaged function source built with the Go
# buildpack's template, one process per entry point, Pub/Sub emulator push
# subscriptions with dead-letter policies, fake-gcs-server notifications, the
# Firestore emulator and the BigQuery request fake; the Online Retail file
# (541,909 rows) dropped and followed to completed, then a function killed
# mid-run.
#
# Usage:  scripts/cloud-rehearsal.sh        (make cloud-rehearsal)
#
# With FIRESTORE_EMULATOR_HOST and PUBSUB_EMULATOR_HOST set (a sourced
# var/test-services.env) it uses those emulators; otherwise it starts the two
# with scripts/test-services.sh and stops them at the end. `make test` runs
# the same test inside `go test ./...` (in parallel with the other packages).
# Prints a progress line per phase; takes 1.5-3 minutes (the run lease of a
# killed function, B2B_RUN_LEASE=1m, is most of it).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS=${GOFLAGS:--buildvcs=false}

if [ -z "${FIRESTORE_EMULATOR_HOST:-}" ] || [ -z "${PUBSUB_EMULATOR_HOST:-}" ]; then
  TEST_SERVICES="firestore pubsub" scripts/test-services.sh start
  trap 'scripts/test-services.sh stop >/dev/null 2>&1 || true' EXIT
  # shellcheck disable=SC1091
  source var/test-services.env
fi
B2B_REQUIRE_SERVICES=1 go test -count=1 -v -timeout 10m -run '^TestCloudRehearsal$' ./functions/rehearsal
