#!/usr/bin/env bash
# Runs the Playwright suite in Debian's Chromium against the real server binary on a
# fresh SQLite database, then stops the server whatever the outcome.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${1:-target/debug/session-console}
port=${E2E_PORT:-3100}
work=$(mktemp -d /tmp/sc-e2e.XXXXXX)
export DATABASE_URL="sqlite:$work/e2e.db"
export SC_BIN="$PWD/$bin"
export BASE_URL="http://127.0.0.1:$port"
export LOG_LEVEL=${LOG_LEVEL:-warn}

server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" migrate >/dev/null
"$bin" serve --listen "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "$BASE_URL/healthz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
  sleep 0.1
done

status=0
(cd end2end && npx playwright test "${@:2}") || status=$?
if [ $status -ne 0 ]; then
  echo "---- server log ----"; tail -50 "$work/server.log"
fi
exit $status
