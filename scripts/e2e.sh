#!/usr/bin/env bash
# Runs the Playwright suite in Debian's Chromium against the real server binary on a
# fresh SQLite database, plus two nodes on one fresh Postgres database (a throwaway
# Postgres, started here unless TEST_POSTGRES_URL names one), then stops the servers
# whatever the outcome.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${TEST_POSTGRES_URL:-}" ]; then
  exec scripts/with-postgres.sh scripts/e2e.sh "$@"
fi

bin=${1:-target/debug/session-console}
port=${E2E_PORT:-3100}
work=$(mktemp -d /tmp/sc-e2e.XXXXXX)
export DATABASE_URL="sqlite:$work/e2e.db"
export SC_BIN="$PWD/$bin"
export BASE_URL="http://127.0.0.1:$port"
export LOG_LEVEL=${LOG_LEVEL:-warn}

# A second server, on its own database, asks for the password before every sensitive
# action (a zero re-authentication window), so the dialog can be tested without waiting
# 15 minutes.
export REAUTH_DATABASE_URL="sqlite:$work/reauth.db"
export REAUTH_BASE_URL="http://127.0.0.1:$((port + 1))"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

# start NAME URL [ENV=VALUE...]: migrates, starts the server, waits until it answers.
start() {
  local name=$1 url=$2
  shift 2
  env "$@" "$bin" migrate >/dev/null
  env "$@" "$bin" serve --listen "${url#http://}" >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do
    curl -fsS "$url/healthz" >/dev/null 2>&1 && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || { cat "$work/$name.log"; exit 1; }
    sleep 0.1
  done
}
# The main server trusts x-forwarded-for, so a test can give each browser its own
# address (the account-wide search filters by it).
start server "$BASE_URL" DATABASE_URL="$DATABASE_URL" TRUSTED_PROXY_HEADER=x-forwarded-for
start reauth "$REAUTH_BASE_URL" DATABASE_URL="$REAUTH_DATABASE_URL" REAUTHENTICATE_AFTER_SECS=0

# Two more servers share one Postgres database: the two-node spec puts the
# administrator on one and the member on the other.
psql -q "$TEST_POSTGRES_URL" -c "CREATE DATABASE sc_e2e_cluster" >/dev/null
export CLUSTER_DATABASE_URL="${TEST_POSTGRES_URL%/*}/sc_e2e_cluster"
export CLUSTER_A_URL="http://127.0.0.1:$((port + 2))"
export CLUSTER_B_URL="http://127.0.0.1:$((port + 3))"
start node-a "$CLUSTER_A_URL" DATABASE_URL="$CLUSTER_DATABASE_URL"
start node-b "$CLUSTER_B_URL" DATABASE_URL="$CLUSTER_DATABASE_URL"

status=0
(cd end2end && npx playwright test "${@:2}") || status=$?
if [ $status -ne 0 ]; then
  echo "---- server log ----"; tail -50 "$work/server.log"; tail -20 "$work/reauth.log"
fi
exit $status
