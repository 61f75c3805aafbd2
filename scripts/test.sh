#!/usr/bin/env bash
# scripts/test.sh all|go|static|e2e — what `make test` runs.
#
# Installs what the tests need on a fresh Debian machine (scripts/install-deps.sh),
# starts the emulators and servers (scripts/test-services.sh), runs the Go suites
# with B2B_REQUIRE_SERVICES=1 (a missing service fails instead of skipping), the
# SPA unit tests, and the browser end-to-end test against the local platform.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
export GOFLAGS=${GOFLAGS:--buildvcs=false}

scripts/install-deps.sh
# build tags for this machine (-tags=openblas once libopenblas-dev is installed)
GOFLAGS="$GOFLAGS $(scripts/gotags.sh)"
export GOFLAGS

if [[ $what == all || $what == go || $what == e2e ]]; then
  scripts/test-services.sh start
  trap 'scripts/test-services.sh stop >/dev/null 2>&1 || true' EXIT
  # shellcheck disable=SC1091
  source var/test-services.env
  export B2B_REQUIRE_SERVICES=1
fi

run_go() {
  echo "== gofmt, go vet, staticcheck"
  bad=$(gofmt -l $(git ls-files '*.go'))
  if [ -n "$bad" ]; then echo "gofmt needed:"; echo "$bad"; exit 1; fi
  go vet ./...
  go run honnef.co/go/tools/cmd/staticcheck@${STATICCHECK:-v0.8.2} ./...
  # ./... includes the cloud rehearsal (functions/rehearsal, also
  # `make cloud-rehearsal`): it runs on the emulators started above, beside
  # the other packages.
  echo "== go test (with the cloud rehearsal on the emulators)"
  go test -count=1 -timeout 20m ./...
  echo "== package the Cloud Functions source (pure Go, no DuckDB, builds)"
  scripts/package-functions.sh
}

run_static() {
  echo "== web app: type-check, unit tests, build"
  (cd static && npm run lint && npm test && npm run build)
}

run_e2e() {
  echo "== browser end-to-end test against the local platform"
  scripts/e2e.sh
}

# all: the SPA's checks (node) run beside the Go suites (which wait on
# emulators and servers much of the time); their log is printed when they end.
run_all() {
  mkdir -p var
  local log=var/test-static.log
  run_static >"$log" 2>&1 &
  local static_pid=$!
  # run_go as a job of its own too: a function called in a || list would run
  # without errexit, and a failing step would not stop it.
  run_go &
  local go_pid=$!
  local go_rc=0 static_rc=0
  wait "$go_pid" || go_rc=$?
  wait "$static_pid" || static_rc=$?
  cat "$log"
  if ((go_rc != 0 || static_rc != 0)); then
    echo "== failed: go suites rc=$go_rc, web app rc=$static_rc" >&2
    exit 1
  fi
  run_e2e
}

case $what in
  all) run_all ;;
  go) run_go ;;
  static) run_static ;;
  e2e) (cd static && npm run build); run_e2e ;;
  *) echo "usage: $0 all|go|static|e2e" >&2; exit 2 ;;
esac
echo "== all tests passed ($what)"
