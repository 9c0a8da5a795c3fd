//! Seeds a scale database for `make bench` through the store's bulk path: one large
//! account plus smaller ones, a million sessions with a realistic mix of active, ended
//! and expired ones, and a pool of valid credentials the load generator presents.

use anyhow::{bail, Context};
use app::domain::audit::{AuditAction, SignInFailure};
use app::domain::session::expires_at;
use app::domain::{EndReason, LoginSessionSettings, Role, SessionKind};
use app::model::LoginSession;
use app::model::Origin;
use app::ssr::crypto::{hash_password, new_token};
use app::store::testing::{self, SeedSession};
use app::store::{NewAuditEvent, NewUser, TokenHash};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use clap::Parser;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;
use uuid::Uuid;

/// Seed a benchmark database (it must be empty).
#[derive(Parser)]
struct Args {
    /// The database to fill: `sqlite:PATH` or `postgres://…`.
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// Users in the large account.
    #[arg(long, env = "BENCH_USERS", default_value_t = 10_000)]
    users: usize,
    /// Sessions in all, across every account.
    #[arg(long, env = "BENCH_SESSIONS", default_value_t = 1_000_000)]
    sessions: usize,
    /// Valid browser sessions, and as many CLI sessions, whose credentials are written out.
    #[arg(long, env = "BENCH_POOL", default_value_t = 1_000)]
    pool: usize,
    /// Audit events in the large account's log, spread over the last 300 days.
    #[arg(long, env = "BENCH_AUDIT_EVENTS", default_value_t = 1_000_000)]
    audit_events: usize,
    /// Smaller accounts beside the large one, 50 users each.
    #[arg(long, default_value_t = 20)]
    other_accounts: usize,
    /// Folder for the credential files and the description of what was seeded.
    #[arg(long)]
    out: PathBuf,
}

pub const PASSWORD: &str = "bench password 2026";
const ACCOUNT: &str = "Bench Corp";

const AGENTS: [&str; 8] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "session-console-cli/1.4.2 (linux; x86_64)",
];
const REASONS: [EndReason; 5] = [
    EndReason::SignedOut,
    EndReason::Inactivity,
    EndReason::MaximumDuration,
    EndReason::EndedByAdministrator,
    EndReason::ConcurrentLimit,
];

/// xorshift64*: deterministic, fast, and needs no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn hash(&mut self) -> TokenHash {
        let mut h = [0u8; 32];
        for chunk in h.chunks_mut(8) {
            chunk.copy_from_slice(&self.next().to_le_bytes());
        }
        TokenHash(h)
    }
    fn ip(&mut self) -> String {
        let nets = ["203.0.113", "198.51.100", "192.0.2"];
        format!("{}.{}", nets[self.below(3) as usize], 1 + self.below(254))
    }
}

#[derive(Clone, Copy)]
enum Mix {
    Active,
    Ended,
    /// Past its limits, not yet recorded by a request or the sweep.
    Expired,
}

fn session(
    rng: &mut Rng,
    account_id: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
    mix: Mix,
    ender: Uuid,
) -> SeedSession {
    let settings = LoginSessionSettings::default();
    let (created_at, last_active_at) = match mix {
        Mix::Active => {
            let created = now - Duration::seconds(rng.below(20 * 3600) as i64);
            let idle = (rng.below(3600) as i64).min((now - created).num_seconds());
            (created, now - Duration::seconds(idle))
        }
        Mix::Ended | Mix::Expired => {
            let created = now - Duration::seconds(2 * 86400 + rng.below(28 * 86400) as i64);
            (created, created + Duration::seconds(rng.below(3 * 3600) as i64))
        }
    };
    let kind = if rng.below(5) == 0 {
        SessionKind::Cli
    } else {
        SessionKind::Browser
    };
    let agent = if kind == SessionKind::Cli {
        AGENTS[7]
    } else {
        AGENTS[rng.below(7) as usize]
    };
    let ip = rng.ip();
    let last_ip = if rng.below(4) == 0 { rng.ip() } else { ip.clone() };
    let (ended_at, ended_by, end_reason) = match mix {
        Mix::Ended => {
            let reason = REASONS[rng.below(REASONS.len() as u64) as usize];
            let by = match reason {
                EndReason::EndedByAdministrator => Some(ender),
                EndReason::SignedOut => Some(user_id),
                _ => None,
            };
            (Some(last_active_at + Duration::minutes(1)), by, Some(reason))
        }
        _ => (None, None, None),
    };
    let token_hash = rng.hash();
    let session = LoginSession {
        id: Uuid::new_v4(),
        account_id,
        user_id,
        kind,
        created_at,
        last_active_at,
        expires_at: expires_at(created_at, created_at, &settings),
        ip,
        last_ip,
        user_agent: agent.to_string(),
        ended_at,
        ended_by,
        end_reason,
        // The bulk insert describes the device, as a sign-in does.
        device_name: None,
        device_kind: None,
    };
    SeedSession { session, token_hash }
}

/// The large account's audit log: half sign-ins, the rest failures, ends, sign-outs and
/// a few reuses, by random members from the bench's addresses, over the last 300 days.
async fn seed_audit(
    store: &dyn testing::TestingStore,
    rng: &mut Rng,
    account_id: Uuid,
    members: &[Uuid],
    admin: Uuid,
    now: DateTime<Utc>,
    count: usize,
) -> anyhow::Result<usize> {
    let sqlite = store.backend() == "sqlite";
    let mut written = 0;
    let span = Duration::days(300);
    while written < count {
        let start = written;
        let batch: Vec<NewAuditEvent> = (0..(count - written).min(10_000))
            .map(|k| {
                let n = rng.below(members.len() as u64) as usize;
                let user = members[n];
                let origin = Origin {
                    ip: rng.ip(),
                    user_agent: AGENTS[rng.below(AGENTS.len() as u64) as usize].to_string(),
                };
                // Oldest first, as a log grows: time-ordered indexes are appended to.
                let step = span.num_milliseconds() * (start + k) as i64 / count.max(1) as i64;
                let at = now - span + Duration::milliseconds(step);
                let session = Some(Uuid::new_v4());
                let (action, actor, details) = match rng.below(100) {
                    0..50 => (AuditAction::SignInSucceeded, Some(user), serde_json::json!({ "kind": "browser" })),
                    50..65 => (
                        AuditAction::SignInFailed,
                        None,
                        serde_json::json!({ "email": format!("user{:05}@bench.test", n),
                                            "reason": SignInFailure::IncorrectCredentials.as_str() }),
                    ),
                    65..85 => (
                        AuditAction::SessionEnded,
                        Some(admin),
                        serde_json::json!({ "reason": "ended_by_administrator", "kind": "browser", "ip": origin.ip }),
                    ),
                    85..98 => (
                        AuditAction::SignedOut,
                        Some(user),
                        serde_json::json!({ "reason": "signed_out", "kind": "browser", "ip": origin.ip }),
                    ),
                    _ => (AuditAction::RefreshTokenReuse, None, serde_json::json!({})),
                };
                NewAuditEvent {
                    account_id,
                    actor_user_id: actor,
                    action,
                    target_user_id: Some(user),
                    session_id: if action == AuditAction::SignInFailed { None } else { session },
                    details,
                    occurred_at: at,
                    origin: Some(origin),
                }
            })
            .collect();
        store.record_audit_events(&batch).await?;
        written += batch.len();
        if sqlite {
            // Fold the write-ahead log back after each batch: left to grow under a
            // million random index inserts it reached 18 GB, and the server's start
            // then replays all of it.
            store.execute_raw("PRAGMA wal_checkpoint(TRUNCATE)").await?;
        }
    }
    Ok(written)
}

fn mix_for(rng: &mut Rng) -> Mix {
    match rng.below(100) {
        0..=24 => Mix::Active,
        25..=84 => Mix::Ended,
        _ => Mix::Expired,
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let started = Instant::now();
    let store = testing::connect(&args.database_url).await?;
    store.migrate().await?;
    if store.has_accounts().await? {
        bail!("the bench database must be empty");
    }
    if args.users < 10 || args.sessions < 100 + 2 * args.pool {
        bail!("need at least 10 users and 100 + 2 × pool sessions");
    }
    std::fs::create_dir_all(&args.out)?;
    let now = Utc::now().trunc_subsecs(3);
    let hash = hash_password(PASSWORD.to_string()).await?;
    let person = |email: String, name: String| NewUser {
        email,
        display_name: name,
        password_hash: hash.clone(),
    };

    let (account, owner) = store
        .create_account_with_owner(
            ACCOUNT,
            &person("owner@bench.test".into(), "Bench Owner".into()),
            now,
        )
        .await?;
    let admin = store
        .create_member(
            account.id,
            &person("admin@bench.test".into(), "Bench Admin".into()),
            Role::Administrator,
            now,
        )
        .await?;
    let people: Vec<NewUser> = (0..args.users - 2)
        .map(|i| person(format!("user{i:05}@bench.test"), format!("User {i:05}")))
        .collect();
    let members = store
        .create_members_bulk(account.id, &people, Role::Member, now)
        .await?;
    let mut everyone: Vec<(Uuid, Uuid, Uuid)> = members.iter().map(|&m| (account.id, m, admin.id)).collect();
    for a in 0..args.other_accounts {
        let (other, other_owner) = store
            .create_account_with_owner(
                &format!("Other {a:02}"),
                &person(format!("owner@other{a:02}.test"), format!("Other Owner {a:02}")),
                now,
            )
            .await?;
        let people: Vec<NewUser> = (0..49)
            .map(|i| {
                person(
                    format!("user{i:02}@other{a:02}.test"),
                    format!("Other User {a:02}-{i:02}"),
                )
            })
            .collect();
        let ids = store
            .create_members_bulk(other.id, &people, Role::Member, now)
            .await?;
        everyone.extend(ids.into_iter().map(|m| (other.id, m, other_owner.id)));
    }
    let users_done = started.elapsed().as_secs_f64();

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut sessions = Vec::with_capacity(args.sessions);
    // The user whose list is measured: exactly 100 sessions.
    let target = members[0];
    for _ in 0..100 {
        let mix = mix_for(&mut rng);
        sessions.push(session(&mut rng, account.id, target, now, mix, admin.id));
    }
    // The credential pool: browser cookies and CLI access tokens, all valid now.
    let mut cookies = std::fs::File::create(args.out.join("cookies.txt"))?;
    let mut pool_cli = Vec::new();
    for k in 0..2 * args.pool {
        let user = members[1 + k % (members.len() - 1)];
        let mut seed = session(&mut rng, account.id, user, now, Mix::Active, admin.id);
        let s = &mut seed.session;
        s.created_at = now - Duration::minutes(5);
        s.last_active_at = now - Duration::minutes(1);
        s.expires_at = s.created_at + Duration::days(1);
        if k < args.pool {
            let (token, token_hash) = new_token()?;
            s.kind = SessionKind::Browser;
            s.user_agent = AGENTS[0].to_string();
            seed.token_hash = token_hash;
            writeln!(cookies, "{token}")?;
        } else {
            s.kind = SessionKind::Cli;
            s.user_agent = AGENTS[7].to_string();
            pool_cli.push(s.id);
        }
        sessions.push(seed);
    }
    while sessions.len() < args.sessions {
        let (account_id, user, ender) = everyone[rng.below(everyone.len() as u64) as usize];
        let mix = mix_for(&mut rng);
        sessions.push(session(&mut rng, account_id, user, now, mix, ender));
    }
    // In sign-in order, as a live table grows: the rows' order on disk (SQLite's rowid)
    // follows sign-in time, as it does for sessions created one sign-in at a time.
    sessions.sort_by_key(|s| s.session.created_at);
    let inserted = store.insert_sessions_bulk(&sessions).await?;
    drop(sessions);
    let audit_started = Instant::now();
    let audited = seed_audit(
        &*store,
        &mut rng,
        account.id,
        &members,
        admin.id,
        now,
        args.audit_events,
    )
    .await?;
    let audit_seconds = audit_started.elapsed().as_secs_f64();
    let mut bearers = std::fs::File::create(args.out.join("bearers.txt"))?;
    for id in pool_cli {
        let (token, token_hash) = new_token()?;
        store
            // Valid for the whole run, however long seeding takes (the product issues 10 minutes).
            .add_access_token(id, &token_hash, now + Duration::hours(3))
            .await?;
        writeln!(bearers, "{token}")?;
    }
    // Leave the database as a long-running server would find it: SQLite's write-ahead
    // log folded back into the file, Postgres's tables vacuumed (visibility map for
    // index-only scans) and analysed.
    let settle = if args.database_url.starts_with("sqlite:") {
        "PRAGMA wal_checkpoint(TRUNCATE)"
    } else {
        "VACUUM ANALYZE"
    };
    store.execute_raw(settle).await?;
    let seconds = started.elapsed().as_secs_f64();

    let params = hash.0.split('$').nth(3).unwrap_or_default().to_string();
    let description = serde_json::json!({
        "account": ACCOUNT,
        "account_id": account.id,
        "owner_email": "owner@bench.test",
        "owner_id": owner.id,
        "admin_email": "admin@bench.test",
        "password": PASSWORD,
        "target_user_id": target,
        "target_sessions": 100,
        "users_in_account": args.users,
        "accounts": 1 + args.other_accounts,
        "users": everyone.len() + 2 + args.other_accounts,
        "sessions": inserted,
        "pool": args.pool,
        "password_hash": format!("argon2id {params}"),
        "seed_users_seconds": users_done,
        "seed_seconds": seconds,
        "audit_events": audited,
        "seed_audit_seconds": audit_seconds,
    });
    std::fs::write(
        args.out.join("seeded.json"),
        serde_json::to_string_pretty(&description)?,
    )
    .context("write seeded.json")?;
    println!(
        "seeded {inserted} sessions for {} users in {seconds:.1} s",
        everyone.len() + 2 + args.other_accounts
    );
    Ok(())
}
