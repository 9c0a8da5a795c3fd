//! The demo account `make run` creates on an empty database, so a newcomer signs in
//! and sees real data: an owner, an administrator, members, sessions from several devices.

use app::domain::session::expires_at;
use app::domain::{EndReason, LoginSessionSettings, Role, SessionKind};
use app::error::AppError;
use app::service::end::{end_sessions, one};
use app::ssr::crypto::{hash_password, new_token};
use app::ssr::Clock;
use app::store::{NewSession, NewUser, SessionEnd, Store};
use chrono::Duration;
use uuid::Uuid;

pub const ACCOUNT_NAME: &str = "Demo Company";

const PEOPLE: [(&str, &str, Role); 5] = [
    ("owner@demo.example", "Olivia Owner", Role::Owner),
    ("admin@demo.example", "Adam Administrator", Role::Administrator),
    ("mia@demo.example", "Mia Member", Role::Member),
    ("noah@demo.example", "Noah Member", Role::Member),
    ("ivy@demo.example", "Ivy Member", Role::Member),
];

/// (user agent, IP, kind, minutes since sign-in, minutes since last activity)
const DEVICES: [(&str, &str, SessionKind, i64, i64); 5] = [
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "203.0.113.24",
        SessionKind::Browser,
        95,
        3,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        "198.51.100.7",
        SessionKind::Browser,
        400,
        41,
    ),
    (
        "session-console-cli/1.4.2 (linux; x86_64)",
        "192.0.2.80",
        SessionKind::Cli,
        30,
        12,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
        "203.0.113.99",
        SessionKind::Browser,
        1200,
        60,
    ),
    (
        "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "198.51.100.200",
        SessionKind::Browser,
        10,
        1,
    ),
];

/// Creates the demo account when the database has no account yet. Returns the
/// sign-in details to print, or `None` when the database was already in use.
pub async fn seed_if_empty(
    store: &dyn Store,
    clock: &dyn Clock,
    address: &str,
) -> Result<Option<String>, AppError> {
    if store.has_accounts().await? {
        return Ok(None);
    }
    let (password, _) = new_token()?;
    let password: String = password.chars().take(16).collect();
    let password_hash = hash_password(password.clone()).await?;
    let now = clock.now();
    let settings = LoginSessionSettings::default();

    let mut people = Vec::new();
    for (i, (email, name, role)) in PEOPLE.iter().enumerate() {
        let user = NewUser {
            email: email.to_string(),
            display_name: name.to_string(),
            password_hash: password_hash.clone(),
        };
        let created = if i == 0 {
            let (account, owner) = store.create_account_with_owner(ACCOUNT_NAME, &user, now).await?;
            people.push((account.id, owner.id));
            continue;
        } else {
            let account_id = people[0].0;
            store.create_member(account_id, &user, *role, now).await?
        };
        people.push((people[0].0, created.id));
    }

    // Everyone but the last member has sessions; some have several devices, one ended.
    for (person, &(account_id, user_id)) in people.iter().enumerate().take(PEOPLE.len() - 1) {
        for (n, (agent, ip, kind, age, idle)) in DEVICES.iter().enumerate() {
            if (person + n) % 2 == 1 && n > 0 {
                continue;
            }
            let created_at = now - Duration::minutes(*age);
            let (_, token_hash) = new_token()?;
            let session = store
                .create_session(&NewSession {
                    id: Uuid::new_v4(),
                    token_hash,
                    account_id,
                    user_id,
                    kind: *kind,
                    created_at,
                    expires_at: expires_at(created_at, created_at, &settings),
                    ip: ip.to_string(),
                    user_agent: agent.to_string(),
                })
                .await?;
            let used = app::store::Activity {
                session_id: session.id,
                at: now - Duration::minutes(*idle),
                ip: ip.to_string(),
            };
            store.record_activity(&[used]).await?;
            if n == 3 {
                // Ended by the administrator, or by the owner when it is the administrator's own.
                let by = if person == 1 { people[0].1 } else { people[1].1 };
                let end = SessionEnd::by(by, EndReason::EndedByAdministrator, now - Duration::minutes(5));
                end_sessions(store, account_id, one(session.id), end).await?;
            }
        }
    }

    let mut lines = vec![format!(
        "Created the demo account {ACCOUNT_NAME:?}. Sign in at http://{address}/signin with:"
    )];
    for (email, name, role) in PEOPLE {
        lines.push(format!("  {email:<22} {name:<20} {role}"));
    }
    lines.push(format!("  password for all of them: {password}"));
    lines.push("This is printed once; it is not stored anywhere in clear.".to_string());
    Ok(Some(lines.join("\n")))
}
