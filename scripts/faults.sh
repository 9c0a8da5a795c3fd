#!/usr/bin/env bash
# Faults that need a real server process and a real database or disk: a Postgres
# restart under a running console, and a SQLite database whose disk fills up. Run inside
# scripts/with-postgres.sh (make test does).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/session-console}
: "${TEST_POSTGRES_URL:?run through scripts/with-postgres.sh}"
: "${PG_CTL_RESTART:?run through scripts/with-postgres.sh}"
port=${FAULTS_PORT:-3190}
base="http://127.0.0.1:$port"
work=$(mktemp -d /tmp/sc-faults.XXXXXX)
server_pid=
mounted=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [ -n "$mounted" ] && umount "$mounted" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# start URL: starts the server for DATABASE_URL on the port and waits until it answers.
start() {
  "$bin" serve --listen "127.0.0.1:$port" >"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do curl -fsS "$base/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
}
stop() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=; }
grant() {
  curl -s "$base/api/v1/auth/token" -d grant_type=password -d "username=$1" \
    --data-urlencode 'password=correct horse battery'
}
field() { python3 -c "import json,sys; print(json.load(sys.stdin).get('$1', ''))"; }
status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

psql -q "$TEST_POSTGRES_URL" -c "CREATE DATABASE sc_faults" >/dev/null
export DATABASE_URL="${TEST_POSTGRES_URL%/*}/sc_faults"
export LOG_LEVEL=warn
"$bin" migrate >/dev/null
printf 'correct horse battery\n' | "$bin" create-account --name Faults \
  --owner-email owner@faults.test --owner-name Owner >/dev/null
start
token=$(grant owner@faults.test | field access_token)
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
stop

# SQLite on a disk that fills up: writes fail while it is full, and work again (an End
# session first) as soon as there is space, without a restart.
disk="$work/disk"
mkdir -p "$disk"
if ! mount -t tmpfs -o size=2m tmpfs "$disk" 2>/dev/null; then
  echo "==> SKIPPED the full-disk case: cannot mount a tmpfs here (needs root)"
  exit 0
fi
mounted=$disk
export DATABASE_URL="sqlite:$disk/console.db"
"$bin" migrate >/dev/null
printf 'correct horse battery\n' | "$bin" create-account --name Full \
  --owner-email owner@full.test --owner-name Owner >/dev/null
start
refresh=$(grant owner@full.test | field refresh_token)
dd if=/dev/zero of="$disk/filler" bs=64k 2>/dev/null || true
for _ in 1 2 3 4; do grant owner@full.test >/dev/null; done
rm -f "$disk/filler"
ended=$(status "$base/api/v1/auth/revoke" -d "token=$refresh")
after=$(status "$base/api/v1/auth/token" -d grant_type=refresh_token -d "refresh_token=$refresh")
signin=$(grant owner@full.test | field access_token)
echo "   after the disk filled and emptied: revoke $ended, the revoked token's refresh $after"
if [ "$ended" != 200 ] || [ "$after" != 400 ] || [ -z "$signin" ]; then
  echo "FAIL: writes did not work again once the disk had space"
  tail -20 "$work/server.log"
  exit 1
fi
echo "==> a full disk under SQLite: the next End session and sign-in succeed once space is back"
