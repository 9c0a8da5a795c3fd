#!/usr/bin/env python3
"""`make bench`: seeds a scale database, starts the release server on loopback, drives it
with wrk, measures revocation staleness and peak memory, and prints one table.

Sizes and load come from the environment (defaults in brackets): BENCH_DB [sqlite] or
postgres (run through scripts/with-postgres.sh, which sets TEST_POSTGRES_URL),
BENCH_USERS [10000], BENCH_SESSIONS [1000000], BENCH_AUDIT_EVENTS [1000000], BENCH_POOL
[1000], BENCH_SECONDS [10] per wrk run, BENCH_REUSE [unset; 1 measures the last seeded
SQLite database again], BENCH_CONNECTIONS [32], BENCH_THREADS [2], BENCH_PORT [3300]."""

import http.client
import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timedelta, timezone

from table import print_table

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "target", "bench")
PROFILE = os.environ.get("BENCH_PROFILE", "release")  # `debug` only to try the script itself
SERVER = os.path.join(ROOT, "target", PROFILE, "session-console")
SEED = os.path.join(ROOT, "target", PROFILE, "bench_seed")
LUA = os.path.join(ROOT, "scripts", "bench", "request.lua")

DB = os.environ.get("BENCH_DB", "sqlite")
# Measure again on the database the last run seeded (SQLite only; its files stay in
# target/bench): skips the minutes of seeding when only the measurements changed.
REUSE = os.environ.get("BENCH_REUSE") == "1" and DB == "sqlite"
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
PORT = int(os.environ.get("BENCH_PORT", "3300"))
PORT_B = PORT + 1  # the second node (Postgres only)
HOST = "127.0.0.1"
SERVER_PID = None  # set once the server runs, to record memory after each measurement
SERVER_ENV = None


def log(message):
    # UTC, as the server's own lines: a measurement can be matched with the sweep's runs.
    print(f"==> {datetime.now(timezone.utc):%H:%M:%S} {message}", flush=True)


def database_url():
    if DB == "postgres":
        url = os.environ.get("TEST_POSTGRES_URL")
        if not url:
            sys.exit("BENCH_DB=postgres runs inside scripts/with-postgres.sh (make bench does this)")
        return url
    path = os.path.join(OUT, "bench.db")
    if not REUSE:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
    return f"sqlite:{path}"


def request(method, path, body=None, headers=None, port=None):
    """One HTTP request on a new connection; returns (status, headers, body)."""
    conn = http.client.HTTPConnection(HOST, port or PORT, timeout=30)
    headers = dict(headers or {})
    if body is not None:
        headers.setdefault("content-type", "application/x-www-form-urlencoded")
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, response.getheaders(), data


def sign_in(email, password):
    """Signs in through the browser sign-in server function; returns the cookie pair."""
    body = urllib.parse.urlencode({"email": email, "password": password})
    status, headers, data = request("POST", "/api/sign_in", body)
    if status != 200:
        sys.exit(f"sign-in of {email} failed: {status} {data[:200]!r}")
    for name, value in headers:
        if name.lower() == "set-cookie" and value.startswith("sc_session="):
            return value.split(";", 1)[0]
    sys.exit("no session cookie")


def wrk_command(path, connections, threads, seconds, port):
    return ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds or SECONDS}s", "--timeout", "10s",
            "-s", LUA, f"http://{HOST}:{port}{path}"]


def wrk_result(output, connections):
    line = next(l for l in output.splitlines() if l.startswith("RESULT "))
    result = json.loads(line[len("RESULT "):])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["connections"] = connections
    return result


def wrk(name, path, env, connections=None, seconds=None):
    connections = connections or CONNECTIONS
    threads = min(THREADS, connections)
    command = wrk_command(path, connections, threads, seconds, PORT)
    cpu_before, db_before = server_cpu_seconds(), database_cpu_seconds()
    output = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, check=True).stdout
    cpu_after, db_after = server_cpu_seconds(), database_cpu_seconds()
    result = wrk_result(output, connections)
    if cpu_before is not None and cpu_after is not None and result["requests"]:
        # The server's own CPU per request: steadier than throughput on a shared machine.
        result["server_cpu_us"] = (cpu_after - cpu_before) * 1e6 / result["requests"]
    if db_before is not None and result["requests"]:
        result["db_cpu_us"] = (db_after - db_before) * 1e6 / result["requests"]
    if SERVER_PID:
        result["rss_after_mb"] = memory(SERVER_PID)["rss_mb"]
    log(f"{name}: {result['rps']:.0f} req/s, p50 {result['p50_us'] / 1000:.2f} ms, "
        f"p99 {result['p99_us'] / 1000:.2f} ms, non-2xx {result['non_2xx']}")
    return result


def median(values):
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def three(name, path, env, connections, runs=3):
    """Runs one measurement `runs` times: the median run by p95, with every run's p95 and
    server CPU per request, so a figure that holds only on a good run shows as such."""
    results = [wrk(f"{name} ({n}/{runs})", path, env, connections) for n in range(1, runs + 1)]
    ordered = sorted(results, key=lambda m: m["p95_us"])
    chosen = dict(ordered[len(ordered) // 2])
    chosen["runs_p95_us"] = [m["p95_us"] for m in results]
    chosen["runs_cpu_us"] = [m.get("server_cpu_us") for m in results]
    return chosen


def paired(kind, env, pairs=3):
    """Alternates the floor (sent the same credential rotation, which it ignores) and
    /api/v1/me, `pairs` times, so both sides of every ratio saw the same moment of a
    shared machine. The first /me run is cold: it fills the cache and writes the
    once-a-minute activity of every pooled session; the later ones, within the same
    minute, write nothing. Reports the median run of each side and the median of the
    per-pair ratios, with every ratio listed."""
    seconds = SECONDS
    floors, checks = [], []
    for n in range(1, pairs + 1):
        floors.append(wrk(f"floor /healthz, {kind} headers ({n}/{pairs})", "/healthz", env, seconds=seconds))
        checks.append(wrk(f"/api/v1/me {kind} ({n}/{pairs})", "/api/v1/me", env, seconds=seconds))
    ratios = [c["rps"] / f["rps"] for f, c in zip(floors, checks)]
    floor = sorted(floors, key=lambda m: m["rps"])[pairs // 2]
    check = sorted(checks, key=lambda m: m["rps"])[pairs // 2]
    check = {**check, "ratios": ratios, "ratio": median(ratios), "lowest_ratio": min(ratios)}
    return floor, check


def server_cpu_seconds(pid=None):
    """User plus system CPU time the server has used so far (Linux /proc)."""
    pid = pid or SERVER_PID
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def database_cpu_seconds():
    """CPU time all local Postgres processes have used so far (the throwaway cluster
    runs on this machine); None on SQLite, whose work is inside the server process."""
    if DB != "postgres":
        return None
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                text = f.read()
        except OSError:
            continue
        if "(postgres)" in text:
            fields = text.rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def hammer_until(stop, headers, records, port):
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    while not stop.is_set():
        started = time.monotonic()
        conn.request("GET", "/api/v1/me", headers=headers)
        response = conn.getresponse()
        response.read()
        records.append((started, response.status))


def staleness_round(headers, end, port=None):
    """Clients hammer with one credential (on `port`, by default the first node's) while
    `end()` ends its session; counts requests that started after the end call returned
    and still succeeded."""
    stop, records, workers = threading.Event(), [], []
    for _ in range(4):
        worker = threading.Thread(target=hammer_until, args=(stop, headers, records, port or PORT))
        worker.start()
        workers.append(worker)
    time.sleep(0.3)
    end()
    returned = time.monotonic()
    time.sleep(0.3)
    stop.set()
    for worker in workers:
        worker.join()
    after = [status for started, status in records if started > returned]
    ok_before = sum(1 for started, status in records if started <= returned and status == 200)
    return sum(1 for status in after if status == 200), len(after), ok_before


def staleness(seeded, admin_cookie, rounds=10, hammered=None):
    """Ends through the first node while clients hammer `hammered` (by default the same node)."""
    stale = checked = 0
    for r in range(rounds):
        email = f"user{(r * 37 + 11) % (seeded['users_in_account'] - 2):05d}@bench.test"
        # A CLI session: its access token, revoked with its refresh token.
        body = urllib.parse.urlencode({"grant_type": "password", "username": email, "password": seeded["password"]})
        status, _, data = request("POST", "/api/v1/auth/token", body)
        tokens = json.loads(data)
        revoke = lambda: request("POST", "/api/v1/auth/revoke", urllib.parse.urlencode({"token": tokens["refresh_token"]}))
        s, n, ok = staleness_round({"authorization": f"Bearer {tokens['access_token']}"}, revoke, hammered)
        stale, checked = stale + s, checked + n
        # A browser session, ended by an administrator.
        cookie = sign_in(email, seeded["password"])
        me = json.loads(request("GET", "/api/v1/me", headers={"cookie": cookie})[2])
        end_body = urllib.parse.urlencode({"user_id": me["user_id"], "session_id": me["session_id"]})
        end = lambda: request("POST", "/api/iam_end_session", end_body, {"cookie": admin_cookie})
        s, n, ok = staleness_round({"cookie": cookie}, end, hammered)
        stale, checked = stale + s, checked + n
    where = f" (ends through node A, requests to node B)" if hammered else ""
    log(f"staleness{where}: {stale} of {checked} requests after the end succeeded ({2 * rounds} ends)")
    return {"ends": 2 * rounds, "requests_after_end": checked, "stale_successes": stale}


def idle_streams(cookies_path, count=1000):
    """Opens `count` live-console event streams (`GET /api/v1/events`) with the pooled
    browser sessions still valid (a session may hold up to 10), leaves them idle, and
    reads the server's resident memory before, while they are open, and after they close."""
    with open(cookies_path) as f:
        tokens = [line.strip() for line in f if line.strip()]
    before = memory(SERVER_PID)["rss_mb"]
    streams = []
    for attempt in range(3 * count):
        if len(streams) == count:
            break
        token = tokens[attempt % len(tokens)]
        s = socket.create_connection((HOST, PORT), timeout=10)
        s.sendall(f"GET /api/v1/events HTTP/1.1\r\nHost: {HOST}\r\nCookie: sc_session={token}\r\n\r\n".encode())
        if b" 200 " in s.recv(4096).split(b"\r\n", 1)[0]:
            streams.append(s)
        else:
            s.close()
    time.sleep(1)
    during = memory(SERVER_PID)["rss_mb"]
    opened = len(streams)
    for s in streams:
        s.close()
    time.sleep(1)
    after = memory(SERVER_PID)["rss_mb"]
    log(f"{opened} idle event streams: resident memory {before:.1f} MB before, {during:.1f} MB open "
        f"(+{during - before:.1f} MB), {after:.1f} MB after they closed")
    return {"streams": opened, "rss_before_mb": before, "rss_open_mb": during, "rss_after_mb": after}


def wait_until_up(port):
    for _ in range(600):
        try:
            if request("GET", "/healthz", port=port)[0] == 200:
                return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"the server on port {port} did not start")


def wrk_pair(name, path, env, pid_b, seconds=None):
    """wrk against both nodes at once, half the connections each (the same total load
    and wrk threads as a one-node run); throughput summed, CPU per request over both
    servers and the database."""
    half = max(CONNECTIONS // 2, 1)
    cpu = lambda: (server_cpu_seconds(), server_cpu_seconds(pid_b), database_cpu_seconds())
    before = cpu()
    runs = [subprocess.Popen(wrk_command(path, half, 1, seconds, port), env={**os.environ, **env},
                             stdout=subprocess.PIPE, text=True) for port in (PORT, PORT_B)]
    outputs = [run.communicate()[0] for run in runs]
    after = cpu()
    results = [wrk_result(output, half) for output in outputs]
    requests = sum(r["requests"] for r in results)
    combined = {
        "requests": requests, "rps": sum(r["rps"] for r in results), "connections": 2 * half,
        "node_rps": [r["rps"] for r in results], "non_2xx": sum(r["non_2xx"] for r in results),
        **{k: max(r[k] for r in results) for k in ("p50_us", "p95_us", "p99_us")},
        "server_cpu_us": ((after[0] - before[0]) + (after[1] - before[1])) * 1e6 / max(requests, 1),
    }
    if before[2] is not None:
        combined["db_cpu_us"] = (after[2] - before[2]) * 1e6 / max(requests, 1)
    log(f"{name}: {combined['rps']:.0f} req/s ({' + '.join(f'{x:.0f}' for x in combined['node_rps'])}), "
        f"p99 {combined['p99_us'] / 1000:.2f} ms, non-2xx {combined['non_2xx']}")
    return combined


def two_nodes(seeded, admin, cookie_env):
    """A second server process (its own pool) on the same Postgres database: ends
    through node A while clients hammer node B, and the session check's throughput on
    one node and on both at once, with the CPU each request costs."""
    node_b = subprocess.Popen([SERVER, "serve", "--listen", f"{HOST}:{PORT_B}"], env=SERVER_ENV)
    try:
        wait_until_up(PORT_B)
        r = {"staleness": staleness(seeded, admin, rounds=5, hammered=PORT_B)}
        r["one_node"] = wrk("one node, /api/v1/me cookie", "/api/v1/me", cookie_env)
        r["both_nodes"] = wrk_pair("two nodes, /api/v1/me cookie", "/api/v1/me", cookie_env, node_b.pid)
        return r
    finally:
        node_b.terminate()
        node_b.wait()


def sign_in_from(email, password, ip):
    """Signs in a browser reaching the server from `ip` (the bench server trusts x-forwarded-for)."""
    body = urllib.parse.urlencode({"email": email, "password": password})
    status, headers, data = request("POST", "/api/sign_in", body, {"x-forwarded-for": ip})
    if status != 200:
        sys.exit(f"sign-in of {email} failed: {status} {data[:200]!r}")
    return next(v.split(";", 1)[0] for n, v in headers if n.lower() == "set-cookie" and v.startswith("sc_session="))


def account_sessions(seeded, admin):
    """Manage > Access (IAM) > Sessions at scale: a filtered page per kind of filter, the
    exact count of a filter that matches about 100 k sessions, and a bulk end of about
    10 k sessions with revocation staleness measured while it runs."""
    r = {}
    as_admin = {"AUTH_HEADER": "cookie", "AUTH_VALUE": admin}
    hour_ago = datetime.now(timezone.utc) - timedelta(hours=10)
    window = urllib.parse.urlencode({"signed_in_after": hour_ago.isoformat(timespec="seconds"),
                                     "signed_in_before": (hour_ago + timedelta(hours=1)).isoformat(timespec="seconds")})
    cases = [
        ("search_cidr", "by CIDR 203.0.113.0/28", "ip=203.0.113.0%2F28"),
        ("search_user", "by user, partial (user0004)", "user=user0004"),
        ("search_device", "by device text (firefox)", "device=firefox"),
        ("search_time", "by time range (one hour of sign-ins)", window),
        ("search_count_100k", "all states by CIDR 203.0.113.0/26: exact count", "state=all&ip=203.0.113.0%2F26"),
    ]
    for key, name, query in cases:
        path = f"/api/v1/account/sessions?{query}"
        status, _, body = request("GET", path, headers={"cookie": admin})
        if status != 200:
            sys.exit(f"{path}: {status} {body[:200]!r}")
        matches = json.loads(body)["total"]
        r[key] = {**wrk(f"account sessions {name}, {matches} match", path, as_admin, 1), "matches": matches}

    # The bulk end: a victim signed in from the range is hammered while it runs.
    victim = sign_in_from(f"user00123@bench.test", seeded["password"], "192.0.2.9")
    target = urllib.parse.urlencode({"target[filter][ip]": "192.0.2.0/27"})
    status, _, body = request("POST", "/api/account_sessions_preview_end", target, {"cookie": admin})
    preview = json.loads(body)
    timing = {}

    def end():
        body = target + "&" + urllib.parse.urlencode(
            {"reason": "bench: leaked range", "include_current": "false", "as_of": preview["as_of"]})
        started = time.monotonic()
        status, _, data = request("POST", "/api/account_sessions_end", body, {"cookie": admin})
        timing["seconds"] = time.monotonic() - started
        timing["status"] = status
        timing["outcome"] = json.loads(data)

    rss_before = memory(SERVER_PID)["rss_mb"] if SERVER_PID else None
    stale, checked, _ = staleness_round({"cookie": victim}, end)
    if SERVER_PID:
        log(f"resident memory {rss_before:.1f} MB before the bulk end, {memory(SERVER_PID)['rss_mb']:.1f} MB after")
    outcome = timing["outcome"]
    log(f"bulk end: {outcome.get('ended')} sessions of {outcome.get('users')} users in {timing['seconds']:.2f} s "
        f"(previewed {preview['sessions']}); {stale} of {checked} requests after it succeeded")
    r["bulk_end"] = {"seconds": timing["seconds"], "status": timing["status"], "ended": outcome.get("ended"),
                     "users": outcome.get("users"), "previewed": preview["sessions"],
                     "stale_successes": stale, "requests_after_end": checked}
    return r


def refused_credentials(cookies_path, admin, count=100):
    """A leaked credential after its end, replayed, and made-up ones: /api/v1/me with
    `count` pooled cookies an administrator ended, then with `count` random tokens no
    session has. Every request is refused (401); measures what each refusal costs."""
    with open(cookies_path) as f:
        tokens = [line.strip() for line in f if line.strip()]
    ended = []
    for token in tokens:
        if len(ended) == count:
            break
        status, _, body = request("GET", "/api/v1/me", headers={"cookie": f"sc_session={token}"})
        if status != 200:
            continue
        me = json.loads(body)
        end_body = urllib.parse.urlencode({"user_id": me["user_id"], "session_id": me["session_id"]})
        status, _, data = request("POST", "/api/iam_end_session", end_body, {"cookie": admin})
        if status != 200:
            sys.exit(f"ending a pooled session failed: {status} {data[:200]!r}")
        ended.append(token)
    unknown = [secrets.token_urlsafe(32) for _ in range(count)]
    r = {}
    for key, name, listed in [("me_ended", "ended cookies", ended), ("me_unknown", "unknown cookies", unknown)]:
        path = os.path.join(OUT, f"{key}.txt")
        with open(path, "w") as f:
            f.write("\n".join(listed) + "\n")
        env = {"TOKENS_FILE": path, "AUTH_HEADER": "cookie", "AUTH_PREFIX": "sc_session="}
        r[key] = {**wrk(f"/api/v1/me, {len(listed)} {name} (refused)", "/api/v1/me", env), "credentials": len(listed)}
    return r


def audit_log(seeded, admin):
    """Manage > Access (IAM) > Audit log at scale: a filtered page per kind of filter over
    the seeded events, then the whole log exported as CSV, with the server's resident
    memory sampled while it streams."""
    r = {}
    as_admin = {"AUTH_HEADER": "cookie", "AUTH_VALUE": admin}
    day = datetime.now(timezone.utc) - timedelta(days=100)
    window = urllib.parse.urlencode({"after": day.isoformat(timespec="seconds"),
                                     "before": (day + timedelta(hours=6)).isoformat(timespec="seconds")})
    cases = [
        ("audit_first", "first page, no filter", ""),
        ("audit_event", "by event type (sign_in.failed)", "event=sign_in.failed"),
        ("audit_actor", "by actor, partial (user0004)", "actor=user0004"),
        ("audit_ip", "by IP CIDR 203.0.113.0/28", "ip=203.0.113.0%2F28"),
        ("audit_time", "by time range (six hours, 100 days ago)", window),
    ]
    for key, name, query in cases:
        path = f"/api/v1/account/audit-events?{query}"
        status, _, body = request("GET", path, headers={"cookie": admin})
        if status != 200:
            sys.exit(f"{path}: {status} {body[:200]!r}")
        shown = len(json.loads(body)["events"])
        r[key] = {**wrk(f"audit log {name}, {shown} on the page", path, as_admin, 1), "shown": shown}

    # The export: every event, streamed; memory sampled every 20 ms while it runs.
    rss_before = memory(SERVER_PID)["rss_mb"] if SERVER_PID else 0.0
    peak = {"rss": rss_before}
    done = threading.Event()

    def sample():
        while not done.is_set():
            if SERVER_PID:
                peak["rss"] = max(peak["rss"], memory(SERVER_PID)["rss_mb"])
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.monotonic()
    conn = http.client.HTTPConnection(HOST, PORT, timeout=120)
    conn.request("GET", "/api/v1/account/audit-events/export?format=csv", headers={"cookie": admin})
    response = conn.getresponse()
    size = lines = 0
    while True:
        chunk = response.read(1 << 16)
        if not chunk:
            break
        size += len(chunk)
        lines += chunk.count(b"\n")
    seconds = time.monotonic() - started
    done.set()
    sampler.join()
    conn.close()
    r["audit_export"] = {"seconds": seconds, "status": response.status, "bytes": size, "lines": lines,
                         "rss_before_mb": rss_before, "rss_peak_mb": peak["rss"]}
    log(f"audit export: {lines} lines, {size / 1e6:.1f} MB in {seconds:.2f} s; resident memory "
        f"{rss_before:.1f} MB before, {peak['rss']:.1f} MB at most while it streamed")
    return r


def memory(pid):
    with open(f"/proc/{pid}/status") as status:
        fields = dict(line.split(":", 1) for line in status)
    kib = lambda key: int(fields[key].strip().split()[0])
    return {"peak_rss_mb": kib("VmHWM") / 1024, "rss_mb": kib("VmRSS") / 1024}


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(l.split(":", 1)[1].strip() for l in info if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "kernel": platform.release()}


def main():
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: make bench installs it")
    os.makedirs(OUT, exist_ok=True)
    url = database_url()
    # The server's own info lines are its start and each sweep that changed anything
    # (every five minutes: it shares the machine with whatever is measured then).
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "warn,session_console=info"}
    if REUSE:
        log(f"reusing the last seeded database ({DB}, BENCH_REUSE=1)")
    else:
        log(f"seeding ({DB})")
        subprocess.run([SEED, "--out", OUT], env=env, check=True)
    with open(os.path.join(OUT, "seeded.json")) as f:
        seeded = json.load(f)

    # Trusting x-forwarded-for lets the bench give a browser its own address (the
    # account-wide search filters by it); nothing else sends the header.
    global SERVER_ENV
    SERVER_ENV = {**env, "TRUSTED_PROXY_HEADER": "x-forwarded-for"}
    server = subprocess.Popen([SERVER, "serve", "--listen", f"{HOST}:{PORT}"], env=SERVER_ENV)
    try:
        # A freshly seeded SQLite file may first replay a large write-ahead log.
        for _ in range(2400):
            try:
                if request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        else:
            sys.exit("the server did not start")
        global SERVER_PID
        SERVER_PID = server.pid
        results = run(seeded, server.pid)
    finally:
        server.terminate()
        server.wait()
    results.update({"backend": DB, "machine": machine(), "seeded": seeded, "wrk_seconds": SECONDS})
    path = os.path.join(OUT, f"results-{DB}.json")
    with open(path, "w") as f:
        json.dump(results, f, indent=2)
    shutil.copyfile(path, os.path.join(OUT, "results.json"))
    print_table(results)
    log(f"results written to {os.path.relpath(path, ROOT)}")


def run(seeded, pid):
    admin = sign_in(seeded["admin_email"], seeded["password"])
    cookies = os.path.join(OUT, "cookies.txt")
    bearers = os.path.join(OUT, "bearers.txt")
    r = {}
    cookie = {"TOKENS_FILE": cookies, "AUTH_HEADER": "cookie", "AUTH_PREFIX": "sc_session="}
    bearer = {"TOKENS_FILE": bearers, "AUTH_HEADER": "authorization", "AUTH_PREFIX": "Bearer "}
    r["floor"] = wrk("floor /healthz", "/healthz", {})
    # The floor is also sent the same credential rotation, which it ignores: wrk then does
    # the same work per request as for /me, and the ratio isolates the session check.
    r["floor_cookie"], r["me_cookie"] = paired("cookie", cookie)
    r["floor_bearer"], r["me_bearer"] = paired("bearer", bearer)
    list_body = urllib.parse.urlencode({"user_id": seeded["target_user_id"], "view": "all"})
    r["sessions_list"] = three("sessions list (100 of 1 M)", "/api/iam_user_sessions",
                               {"METHOD": "POST", "BODY": list_body, "AUTH_HEADER": "cookie", "AUTH_VALUE": admin}, 1)
    search_body = urllib.parse.urlencode({"search": "user 004", "sort": "last_active", "page": "1"})
    r["users_search"] = three("users page with search", "/api/iam_list_users",
                              {"METHOD": "POST", "BODY": search_body, "AUTH_HEADER": "cookie", "AUTH_VALUE": admin}, 1)
    r["users_page"] = three("users page, first 50 by last activity", "/api/iam_list_users",
                            {"METHOD": "POST", "BODY": "search=&sort=last_active&page=1", "AUTH_HEADER": "cookie",
                             "AUTH_VALUE": admin}, 1)
    r["staleness"] = staleness(seeded, admin)
    if DB == "postgres":
        # Before the bulk end below, which ends the pooled sessions signed in from its range.
        r["two_nodes"] = two_nodes(seeded, admin, cookie)
    r.update(account_sessions(seeded, admin))
    sign_in_body = urllib.parse.urlencode(
        {"grant_type": "password", "username": "user00007@bench.test", "password": seeded["password"]})
    r["sign_in"] = wrk("sign-in (password grant)", "/api/v1/auth/token", {"METHOD": "POST", "BODY": sign_in_body}, 4)
    r["memory"] = memory(pid)
    # After the peak above (comparable with earlier runs), before the idle streams.
    r.update(audit_log(seeded, admin))
    # Last, so the peak above is comparable with runs before the live console: the
    # pooled cookies still work unless the bulk end's range ended them.
    r["idle_streams"] = idle_streams(cookies)
    # After the streams, which need the pooled sessions live: this ends some of them.
    r.update(refused_credentials(cookies, admin))
    log(f"peak resident memory {r['memory']['peak_rss_mb']:.1f} MB")
    return r


if __name__ == "__main__":
    main()
