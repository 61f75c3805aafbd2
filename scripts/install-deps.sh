#!/usr/bin/env bash
# install-deps.sh: install what the tests need on a fresh Debian 12 machine.
# Idempotent: each step checks first and does nothing when already done, so
# `make test` can run it every time (a no-op run takes well under a second).
#
# Usage:  scripts/install-deps.sh          (as root, or with sudo available)
# Env:    AZURITE_VERSION   (default 3.37.0)
#         SKIP_APT=1        skip the apt part (machines without apt)
#         SKIP_NPM=1        skip azurite and static/ npm installs
#
# Installs (only when missing):
#   apt: chromium (browser tests), postgresql (server binaries), mariadb-server,
#        a Java runtime when gcloud's emulators are present but java is not,
#        curl, zip/unzip, procps, ca-certificates, libopenblas-dev (the
#        recommendation engine's linear algebra; scripts/gotags.sh).
#        DEBIAN_FRONTEND=noninteractive; a policy-rc.d keeps the packages'
#        services from starting (scripts/test-services.sh runs them as plain
#        processes on loopback ports).
#   npm: azurite@$AZURITE_VERSION into .tools/azurite (kept between runs),
#        `npm ci` in static/ and in shared/datasets/testdata/sqlcheck (the
#        BigQuery grammar check of the dataset SQL tests) when node_modules
#        is missing or older than package-lock.json.
# Not installable here: gcloud and its Firestore/Pub/Sub emulators (no apt
# source for them); test-services.sh reports their absence.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
AZURITE_VERSION=${AZURITE_VERSION:-3.37.0}
export DEBIAN_FRONTEND=noninteractive

log() { printf 'install-deps: %s\n' "$*" >&2; }
die() { printf 'install-deps: ERROR: %s\n' "$*" >&2; exit 1; }

SUDO=
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  fi
fi

have() { command -v "$1" >/dev/null 2>&1; }

# PostgreSQL's server binaries live in /usr/lib/postgresql/<v>/bin.
pg_bindir() {
  local d
  if have initdb && have pg_ctl; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"
    return 0
  fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
      echo "$d"
      return 0
    fi
  done
  return 1
}

# ---------------------------------------------------------------- apt
apt_install() {
  local pkgs=()
  have curl || pkgs+=(curl)
  have zip || pkgs+=(zip)
  have unzip || pkgs+=(unzip)
  have pgrep || pkgs+=(procps)
  [ -f /etc/ssl/certs/ca-certificates.crt ] || pkgs+=(ca-certificates)
  [ -x /usr/bin/chromium ] || pkgs+=(chromium)
  pg_bindir >/dev/null || pkgs+=(postgresql)
  have psql || pkgs+=(postgresql-client)
  { have mariadbd || [ -x /usr/sbin/mariadbd ]; } && have mariadb-install-db || pkgs+=(mariadb-server)
  have mariadb || have mysql || pkgs+=(mariadb-client)
  # OpenBLAS/LAPACK for the recommendation engine's dense algebra (cgo, -tags openblas)
  [ -e "/usr/lib/$(uname -m)-linux-gnu/libopenblas.so" ] || pkgs+=(libopenblas-dev)
  if have gcloud && ! have java; then
    pkgs+=(openjdk-17-jre-headless)
  fi
  if [ ${#pkgs[@]} -eq 0 ]; then
    log "apt: nothing to install"
    return 0
  fi
  if [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; then
    die "need root (or passwordless sudo) to apt-get install: ${pkgs[*]}"
  fi
  have apt-get || die "apt-get not found; install by hand: ${pkgs[*]}"

  # Keep package services from starting: the tests run their own processes.
  local made_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    log "apt: adding /usr/sbin/policy-rc.d (exit 101) for the install"
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  local t0=$SECONDS
  log "apt: apt-get update"
  $SUDO apt-get update -qq
  log "apt: installing ${pkgs[*]}"
  $SUDO apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${pkgs[@]}" >/dev/null
  if [ -n "$made_policy" ]; then
    $SUDO rm -f /usr/sbin/policy-rc.d
  fi
  log "apt: done in $((SECONDS - t0)) s"
}

# ---------------------------------------------------------------- npm
npm_azurite() {
  local dir=$ROOT/.tools/azurite
  local pkg=$dir/node_modules/azurite/package.json
  if [ -x "$dir/node_modules/.bin/azurite-blob" ] && [ -f "$pkg" ] &&
    grep -q "\"version\": \"$AZURITE_VERSION\"" "$pkg"; then
    log "npm: azurite $AZURITE_VERSION already in .tools/azurite"
    return 0
  fi
  local t0=$SECONDS
  log "npm: installing azurite@$AZURITE_VERSION into .tools/azurite"
  mkdir -p "$dir"
  [ -f "$dir/package.json" ] || printf '{\n  "name": "b2brecs-tools-azurite",\n  "private": true\n}\n' >"$dir/package.json"
  (cd "$dir" && npm install --no-audit --no-fund --loglevel=error --save-exact "azurite@$AZURITE_VERSION" >/dev/null)
  [ -x "$dir/node_modules/.bin/azurite-blob" ] || die "azurite-blob missing after npm install"
  log "npm: azurite installed in $((SECONDS - t0)) s"
}

npm_static() {
  local dir=${1:-$ROOT/static}
  [ -f "$dir/package-lock.json" ] || { log "npm: no ${dir#$ROOT/}/package-lock.json, skipping"; return 0; }
  # npm writes node_modules/.package-lock.json on every install; when it is
  # not older than package-lock.json the tree is current.
  local hidden=$dir/node_modules/.package-lock.json
  if [ -f "$hidden" ] && [ ! "$hidden" -ot "$dir/package-lock.json" ]; then
    log "npm: ${dir#$ROOT/}/node_modules is up to date with package-lock.json"
    return 0
  fi
  local t0=$SECONDS
  log "npm: npm ci in ${dir#$ROOT/}/"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  log "npm: ${dir#$ROOT/}/ installed in $((SECONDS - t0)) s"
}

node_ok() {
  have node && have npm || return 1
  # The SPA needs node >= 20.19.
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'
}

# ---------------------------------------------------------------- main
t_start=$SECONDS
if [ "${SKIP_APT:-}" != 1 ]; then
  apt_install
fi
if [ "${SKIP_NPM:-}" != 1 ]; then
  if ! have node || ! have npm; then
    if [ "${SKIP_APT:-}" != 1 ]; then
      log "node/npm missing: installing Debian's nodejs and npm"
      $SUDO apt-get install -y -qq nodejs npm >/dev/null
    fi
  fi
  node_ok || die "node >= 20.19 and npm are required (found: $(node --version 2>/dev/null || echo none))"
  npm_azurite
  npm_static
  npm_static "$ROOT/shared/datasets/testdata/sqlcheck"
fi

# Report what the tests will find.
pgb=$(pg_bindir || true)
log "postgres: ${pgb:-MISSING}"
log "mariadb: $(command -v mariadbd || ls /usr/sbin/mariadbd 2>/dev/null || echo MISSING)"
log "chromium: $(ls /usr/bin/chromium 2>/dev/null || echo MISSING)"
log "gcloud: $(command -v gcloud || echo 'absent (Firestore/Pub/Sub emulator tests will skip, or fail under B2B_REQUIRE_SERVICES=1)')"
log "java: $(command -v java || echo absent)"
log "done in $((SECONDS - t_start)) s"
