"""The results table `make bench` prints (scripts/bench/run.py writes the JSON it reads)."""


def print_table(r):
    ms = lambda us: f"{us / 1000:.2f}"
    cpu = lambda name: f"{r[name]['server_cpu_us']:.1f}" if "server_cpu_us" in r[name] else "?"
    db_cpu = lambda m: f"; database CPU {m['db_cpu_us']:.1f} µs/req" if "db_cpu_us" in m else ""

    goal = "0.9" if r["backend"] == "sqlite" else "0.5"

    def check_note(name, floor):
        first, *rest = [f"{x:.2f}" for x in r[name]["ratios"]]
        return (f"{r[name]['ratio']:.2f}× the same-header floor, median of {first} (cold), "
                f"{', '.join(rest)}; lowest {min(r[name]['ratios']):.2f} (goal ≥ {goal} in every pair); "
                f"{r[name]['rps'] / r['floor']['rps']:.2f}× the bare floor; "
                f"server CPU {cpu(name)} µs/req against {cpu(floor)}{db_cpu(r[name])}")

    def three_note(name, goal_ms):
        m = r[name]
        runs = m.get("runs_p95_us", [m["p95_us"]])
        cpus = [c for c in m.get("runs_cpu_us", []) if c is not None]
        spread = f"p95 of the runs {', '.join(ms(p) for p in runs)} ms (spread {ms(max(runs) - min(runs))} ms)"
        cpu_note = f"; server CPU {', '.join(f'{c:.0f}' for c in cpus)} µs/req" if cpus else ""
        return f"{spread} (goal < {goal_ms} in every run){cpu_note}"

    rows = [
        ("floor: GET /healthz (no session)", r["floor"], f"server CPU {cpu('floor')} µs/req"),
        ("floor, sent the cookie rotation (ignored), median of 3", r["floor_cookie"], ""),
        ("GET /api/v1/me, cookie, 1000 sessions, median of 3", r["me_cookie"], check_note("me_cookie", "floor_cookie")),
        ("floor, sent the bearer rotation (ignored), median of 3", r["floor_bearer"], ""),
        ("GET /api/v1/me, bearer, 1000 sessions, median of 3", r["me_bearer"], check_note("me_bearer", "floor_bearer")),
        *[(f"GET /api/v1/me, {r[key]['credentials']} {name} (all refused: 401)", r[key],
           f"server CPU {cpu(key)} µs/req{db_cpu(r[key])}") for key, name in
          [("me_ended", "cookies of ended sessions"), ("me_unknown", "cookies no session has")] if key in r],
        ("sessions list, 100 of 1 M, median of 3", r["sessions_list"], three_note("sessions_list", 3)),
        ("users page, search, median of 3", r["users_search"], three_note("users_search", 20)),
        ("users page, by last activity, median of 3", r["users_page"], three_note("users_page", 20)),
        ("sign-in, password grant", r["sign_in"], r["seeded"]["password_hash"]),
    ]
    for key, name in [("search_cidr", "account sessions page, by CIDR"), ("search_user", "account sessions page, by user"),
                      ("search_device", "account sessions page, by device text"),
                      ("search_time", "account sessions page, by time range")]:
        rows.append((name, r[key], f"{r[key]['matches']:,} match; p95 {ms(r[key]['p95_us'])} ms (goal < 20)"))
    c = r["search_count_100k"]
    rows.append(("account sessions page with exact count", c,
                 f"{c['matches']:,} match; p95 {ms(c['p95_us'])} ms (goal < 50)"))
    for key, name in [("audit_first", "audit log, first page"), ("audit_event", "audit log page, by event type"),
                      ("audit_actor", "audit log page, by actor"), ("audit_ip", "audit log page, by CIDR"),
                      ("audit_time", "audit log page, by time range")]:
        if key in r:
            rows.append((name, r[key], f"{r[key]['shown']} on the page; p95 {ms(r[key]['p95_us'])} ms (goal < 20)"))
    seeded = r["seeded"]
    print()
    print(f"Session Console benchmark: {r['backend']}, {seeded['sessions']:,} sessions, "
          f"{seeded['users']:,} users in {seeded['accounts']} accounts, seeded in {seeded['seed_seconds']:.1f} s; "
          f"{r['machine']['cpus']} CPUs ({r['machine']['cpu']})")
    print()
    print("| measurement | conns | req/s | p50 ms | p95 ms | p99 ms | non-2xx | note |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for name, m, note in rows:
        print(f"| {name} | {m['connections']} | {m['rps']:.0f} | {ms(m['p50_us'])} | {ms(m['p95_us'])} | "
              f"{ms(m['p99_us'])} | {m['non_2xx']} | {note} |")
    s = r["staleness"]
    print(f"| revocation staleness | 4 | | | | | | {s['stale_successes']} of {s['requests_after_end']} requests "
          f"after {s['ends']} ends succeeded (goal 0) |")
    b = r["bulk_end"]
    print(f"| bulk end by CIDR 192.0.2.0/27 | 1 | | | | | | {b['ended']:,} sessions of {b['users']:,} users ended "
          f"in {b['seconds']:.2f} s (goal < 2 s); {b['stale_successes']} of {b['requests_after_end']} requests "
          f"after it succeeded (goal 0) |")
    if "two_nodes" in r:
        t = r["two_nodes"]
        one, both = t["one_node"], t["both_nodes"]
        for name, m in [("one node, GET /api/v1/me, cookie", one), ("two nodes at once, GET /api/v1/me, cookie", both)]:
            note = f"server CPU {m['server_cpu_us']:.1f} µs/req{db_cpu(m)}"
            if m is both:
                note = (f"{' + '.join(f'{x:.0f}' for x in m['node_rps'])} req/s; "
                        f"{m['rps'] / one['rps']:.2f}× one node; {note}")
            print(f"| {name} | {m['connections']} | {m['rps']:.0f} | {ms(m['p50_us'])} | {ms(m['p95_us'])} | "
                  f"{ms(m['p99_us'])} | {m['non_2xx']} | {note} |")
        s = t["staleness"]
        print(f"| revocation staleness across nodes (ends through A, load on B) | 4 | | | | | | "
              f"{s['stale_successes']} of {s['requests_after_end']} requests after {s['ends']} ends succeeded (goal 0) |")
    if "audit_export" in r:
        e = r["audit_export"]
        print(f"| audit log export, CSV, {seeded.get('audit_events', 0):,} events | 1 | | | | | | "
              f"{e['lines'] - 1:,} events, {e['bytes'] / 1e6:.0f} MB in {e['seconds']:.2f} s (goal < 15 s); resident "
              f"memory {e['rss_before_mb']:.1f} → at most {e['rss_peak_mb']:.1f} MB, "
              f"+{e['rss_peak_mb'] - e['rss_before_mb']:.1f} MB (goal ≤ 10 MB) |")
    if "idle_streams" in r:
        i = r["idle_streams"]
        print(f"| {i['streams']} idle event streams (`/api/v1/events`) | {i['streams']} | | | | | | resident memory "
              f"{i['rss_before_mb']:.1f} → {i['rss_open_mb']:.1f} MB, +{i['rss_open_mb'] - i['rss_before_mb']:.1f} MB "
              f"(goal < 40 MB added); {i['rss_after_mb']:.1f} MB after they closed |")
    print(f"| peak resident memory | | | | | | | {r['memory']['peak_rss_mb']:.1f} MB (goal < 64) |")
    print()
