#!/usr/bin/env bash
# Faults that need a real server process and a real database server: Postgres restarts
# under a running console. Run inside scripts/with-postgres.sh (make test does).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/session-console}
: "${TEST_POSTGRES_URL:?run through scripts/with-postgres.sh}"
: "${PG_CTL_RESTART:?run through scripts/with-postgres.sh}"
port=${FAULTS_PORT:-3190}
base="http://127.0.0.1:$port"
work=$(mktemp -d /tmp/sc-faults.XXXXXX)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

psql -q "$TEST_POSTGRES_URL" -c "CREATE DATABASE sc_faults" >/dev/null
export DATABASE_URL="${TEST_POSTGRES_URL%/*}/sc_faults"
export LOG_LEVEL=warn
"$bin" migrate >/dev/null
printf 'correct horse battery\n' | "$bin" create-account --name Faults \
  --owner-email owner@faults.test --owner-name Owner >/dev/null
"$bin" serve --listen "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -fsS "$base/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

token=$(curl -fsS "$base/api/v1/auth/token" -d grant_type=password -d username=owner@faults.test \
  --data-urlencode 'password=correct horse battery' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
me() { curl -s -o /dev/null -w '%{http_code}\n' "$base/api/v1/me" -H "Authorization: Bearer $token"; }
export -f me; export base token
# Open several pooled connections, then restart Postgres under them.
seq 1 32 | xargs -P 16 -I{} bash -c me | sort | uniq -c | sed 's/^/   before restart: /'
$PG_CTL_RESTART >/dev/null
answers=$(seq 1 64 | xargs -P 16 -I{} bash -c me | sort | uniq -c)
echo "$answers" | sed 's/^/   after restart: /'
if echo "$answers" | grep -qv ' 200$'; then
  echo "FAIL: requests failed after a Postgres restart (each broken pooled connection must be replaced, not answered with an error)"
  tail -20 "$work/server.log"
  exit 1
fi
ready=$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")
[ "$ready" = 200 ] || { echo "FAIL: /readyz answered $ready after the restart"; exit 1; }
echo "==> a Postgres restart under load: every request answered 200"
