//! The audit log's store methods, with the same bodies on SQLite (default) and Postgres
//! (`TEST_POSTGRES_URL` set by `make test`): filters, keyset pages, isolation, bounded
//! retention, and that no statement but the retention sweep's rewrites or deletes events.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test crate: its helpers, like its tests, fail loudly"
)]

use app::domain::audit::{ActorFilter, AuditAction, AuditFilter, AuditFilterInput};
use app::domain::search::Cursor;
use app::domain::Role;
use app::model::Origin;
use app::store::testing::{fresh_store, TestStore};
use app::store::{AuditQuery, NewAuditEvent, NewUser, PasswordHash};
use chrono::{DateTime, Duration, TimeZone, Utc};
use uuid::Uuid;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 30, 0)
        .single()
        .expect("valid instant")
}

fn person(email: &str, name: &str) -> NewUser {
    NewUser {
        email: email.into(),
        display_name: name.into(),
        password_hash: PasswordHash("$argon2id$fake".into()),
    }
}

struct Acme {
    id: Uuid,
    olivia: Uuid,
    adam: Uuid,
    beta: Uuid,
}

/// Acme (Olivia owns it, Adam administers it) and Beta; their membership events.
async fn acme(store: &TestStore) -> Acme {
    let (acme, olivia) = store
        .create_account_with_owner("Acme", &person("olivia@acme.test", "Olivia"), t0())
        .await
        .unwrap();
    let adam = store
        .create_member(
            acme.id,
            &person("adam@acme.test", "Adam"),
            Role::Administrator,
            t0(),
        )
        .await
        .unwrap();
    let (beta, _) = store
        .create_account_with_owner("Beta", &person("bob@beta.test", "Bob"), t0())
        .await
        .unwrap();
    Acme {
        id: acme.id,
        olivia: olivia.id,
        adam: adam.id,
        beta: beta.id,
    }
}

fn event(
    account_id: Uuid,
    action: AuditAction,
    actor: Option<Uuid>,
    target: Uuid,
    ip: &str,
    minute: i64,
) -> NewAuditEvent {
    NewAuditEvent {
        account_id,
        actor_user_id: actor,
        action,
        target_user_id: Some(target),
        session_id: None,
        details: serde_json::json!({ "minute": minute }),
        occurred_at: t0() + Duration::minutes(minute),
        origin: Some(Origin {
            ip: ip.into(),
            user_agent: "test agent".into(),
        }),
    }
}

async fn page(
    store: &TestStore,
    account_id: Uuid,
    pairs: &[(&str, &str)],
    after: Option<Cursor>,
    limit: i64,
) -> Vec<i64> {
    let mut input = AuditFilterInput::default();
    for (k, v) in pairs {
        assert!(input.set(k, v.to_string()));
    }
    let query = AuditQuery {
        filter: input.parse().unwrap(),
        after,
        limit,
    };
    store
        .audit_events_page(account_id, &query)
        .await
        .unwrap()
        .iter()
        .filter_map(|e| e.details["minute"].as_i64())
        .collect()
}

#[tokio::test]
async fn pages_filter_by_each_field_newest_first_within_the_account() {
    let store = fresh_store().await;
    let a = acme(&store).await;
    let events = [
        event(
            a.id,
            AuditAction::SignInSucceeded,
            Some(a.adam),
            a.adam,
            "203.0.113.7",
            1,
        ),
        event(a.id, AuditAction::SignInFailed, None, a.olivia, "198.51.100.1", 2),
        event(
            a.id,
            AuditAction::SessionEnded,
            Some(a.adam),
            a.olivia,
            "203.0.113.200",
            3,
        ),
        event(
            a.id,
            AuditAction::SignedOut,
            Some(a.olivia),
            a.olivia,
            "2001:db8::5",
            4,
        ),
        event(
            a.beta,
            AuditAction::SignInSucceeded,
            None,
            a.olivia,
            "203.0.113.7",
            5,
        ),
    ];
    store.record_audit_events(&events).await.unwrap();

    assert_eq!(
        page(&store, a.id, &[], None, 50).await,
        [4, 3, 2, 1],
        "Beta's event is not Acme's"
    );
    assert_eq!(
        page(&store, a.id, &[("event", "sign_in.failed")], None, 50).await,
        [2]
    );
    assert_eq!(page(&store, a.id, &[("actor", "system")], None, 50).await, [2]);
    assert_eq!(page(&store, a.id, &[("actor", "ADAM@")], None, 50).await, [3, 1]);
    assert_eq!(
        page(&store, a.id, &[("target", "olivia")], None, 50).await,
        [4, 3, 2]
    );
    assert_eq!(
        page(&store, a.id, &[("ip", "203.0.113.0/24")], None, 50).await,
        [3, 1]
    );
    assert_eq!(
        page(&store, a.id, &[("ip", "203.0.113.7/32")], None, 50).await,
        [1]
    );
    assert_eq!(
        page(&store, a.id, &[("ip", "0.0.0.0/0")], None, 50).await,
        [3, 2, 1]
    );
    assert_eq!(
        page(&store, a.id, &[("ip", "2001:db8::/32")], None, 50).await,
        [4]
    );
    let (after, before) = (
        (t0() + Duration::minutes(2)).to_rfc3339(),
        (t0() + Duration::minutes(4)).to_rfc3339(),
    );
    assert_eq!(
        page(&store, a.id, &[("after", &after), ("before", &before)], None, 50).await,
        [3, 2]
    );
    assert_eq!(
        page(
            &store,
            a.id,
            &[
                ("actor", "adam"),
                ("ip", "203.0.113.0/24"),
                ("event", "session.ended")
            ],
            None,
            50
        )
        .await,
        [3]
    );
    assert_eq!(
        page(&store, a.beta, &[("target", "olivia")], None, 50).await,
        Vec::<i64>::new(),
        "Olivia is not Beta's"
    );

    // Keyset pages: each starts after the last row of the one before, ties broken by id.
    let tie = event(
        a.id,
        AuditAction::SignInSucceeded,
        Some(a.adam),
        a.adam,
        "203.0.113.7",
        3,
    );
    store.record_audit_events(&[tie]).await.unwrap();
    let all = store
        .audit_events_page(
            a.id,
            &AuditQuery {
                filter: AuditFilter::default(),
                after: None,
                limit: 50,
            },
        )
        .await
        .unwrap();
    assert_eq!(all.len(), 7, "five recorded here, two members added");
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let query = AuditQuery {
            filter: AuditFilter::default(),
            after,
            limit: 2,
        };
        let rows = store.audit_events_page(a.id, &query).await.unwrap();
        seen.extend(rows.iter().map(|e| e.id));
        match rows.last() {
            Some(last) if rows.len() == 2 => {
                after = Some(Cursor {
                    at: last.occurred_at,
                    id: last.id,
                })
            }
            _ => break,
        }
    }
    assert_eq!(seen, all.iter().map(|e| e.id).collect::<Vec<_>>());
    // The people are named, the system is not anyone.
    let failed = &store
        .audit_events_page(
            a.id,
            &AuditQuery {
                filter: AuditFilter {
                    actor: Some(ActorFilter::System),
                    ..AuditFilter::default()
                },
                after: None,
                limit: 5,
            },
        )
        .await
        .unwrap()[0];
    assert!(failed.actor.is_none());
    assert_eq!(failed.target_user.as_ref().unwrap().email, "olivia@acme.test");
    assert_eq!(failed.ip.as_deref(), Some("198.51.100.1"));
    assert_eq!(failed.user_agent.as_deref(), Some("test agent"));
}

/// Every field of a row comes back as it was recorded: on SQLite the page travels as
/// one JSON array (ids as hex, times as text), so each is checked, not only the order.
#[tokio::test]
async fn a_page_row_is_every_field_as_recorded() {
    let store = fresh_store().await;
    let a = acme(&store).await;
    let session = Uuid::new_v4();
    let details = serde_json::json!({
        "reason": "ended_by_administrator",
        "note": "a \"quoted\" note, ünïcode, and a\nnewline",
        "count": 3,
        "nested": { "ids": [1, 2] },
    });
    let at = t0() + Duration::microseconds(123_456_789);
    store
        .record_audit_events(&[NewAuditEvent {
            account_id: a.id,
            actor_user_id: Some(a.adam),
            action: AuditAction::SessionEnded,
            target_user_id: Some(a.olivia),
            session_id: Some(session),
            details: details.clone(),
            occurred_at: at,
            origin: Some(Origin {
                ip: "2001:db8::5".into(),
                user_agent: "Mozilla/5.0 (\"x\"; \\ y)".into(),
            }),
        }])
        .await
        .unwrap();
    let query = AuditQuery {
        filter: AuditFilter {
            action: Some(AuditAction::SessionEnded),
            ..AuditFilter::default()
        },
        after: None,
        limit: 50,
    };
    let rows = store.audit_events_page(a.id, &query).await.unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.occurred_at, at);
    assert_eq!(row.event, AuditAction::SessionEnded);
    let actor = row.actor.as_ref().unwrap();
    assert_eq!(
        (actor.id, actor.name.as_str(), actor.email.as_str()),
        (a.adam, "Adam", "adam@acme.test")
    );
    let target = row.target_user.as_ref().unwrap();
    assert_eq!(
        (target.id, target.name.as_str(), target.email.as_str()),
        (a.olivia, "Olivia", "olivia@acme.test")
    );
    assert_eq!(row.session_id, Some(session));
    assert_eq!(row.ip.as_deref(), Some("2001:db8::5"));
    assert_eq!(row.user_agent.as_deref(), Some("Mozilla/5.0 (\"x\"; \\ y)"));
    assert_eq!(row.details, details);
    // The row's id is the one a keyset cursor after it skips.
    let after = AuditQuery {
        after: Some(Cursor {
            at: row.occurred_at,
            id: row.id,
        }),
        ..query
    };
    assert!(store.audit_events_page(a.id, &after).await.unwrap().is_empty());
    // A system event names no one.
    store
        .record_audit_events(&[event(
            a.id,
            AuditAction::SignInFailed,
            None,
            a.olivia,
            "198.51.100.1",
            9,
        )])
        .await
        .unwrap();
    let failed = AuditQuery {
        filter: AuditFilter {
            action: Some(AuditAction::SignInFailed),
            ..AuditFilter::default()
        },
        after: None,
        limit: 50,
    };
    let rows = store.audit_events_page(a.id, &failed).await.unwrap();
    assert!(rows[0].actor.is_none());
    assert_eq!(rows[0].session_id, None);
}

#[tokio::test]
async fn retention_deletes_the_oldest_in_bounded_batches_and_events_are_append_only() {
    let store = fresh_store().await;
    let a = acme(&store).await;
    let old: Vec<_> = (0..7)
        .map(|m| {
            event(
                a.id,
                AuditAction::SignInSucceeded,
                Some(a.adam),
                a.adam,
                "203.0.113.7",
                m - 100_000,
            )
        })
        .collect();
    store.record_audit_events(&old).await.unwrap();
    store
        .record_audit_events(&[event(
            a.id,
            AuditAction::SignedOut,
            Some(a.adam),
            a.adam,
            "203.0.113.7",
            10,
        )])
        .await
        .unwrap();
    let cutoff = t0();
    assert_eq!(store.purge_audit_events(cutoff, 3).await.unwrap(), 3);
    assert_eq!(store.purge_audit_events(cutoff, 3).await.unwrap(), 3);
    assert_eq!(store.purge_audit_events(cutoff, 3).await.unwrap(), 1);
    assert_eq!(store.purge_audit_events(cutoff, 3).await.unwrap(), 0);
    assert_eq!(
        page(&store, a.id, &[("event", "session.signed_out")], None, 50).await,
        [10]
    );
    // The membership events of t0 are not before the cut-off: kept.
    let members = store
        .audit_events_page(
            a.id,
            &AuditQuery {
                filter: AuditFilter {
                    action: Some(AuditAction::MembershipAdded),
                    ..AuditFilter::default()
                },
                after: None,
                limit: 5,
            },
        )
        .await
        .unwrap();
    assert_eq!(members.len(), 2, "Olivia and Adam joined Acme");

    let refused = store.execute_raw("UPDATE audit_events SET details = '{}'").await;
    assert!(refused.is_err(), "the database refuses to rewrite an event");
}

/// No statement but the retention sweep's deletes audit events, and none updates them.
#[test]
fn only_the_retention_sweep_deletes_audit_events() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut writers = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path)
                    .unwrap()
                    .to_uppercase()
                    .replace(char::is_whitespace, " ");
                for verb in [
                    "UPDATE AUDIT_EVENTS",
                    "DELETE FROM AUDIT_EVENTS",
                    "TRUNCATE AUDIT_EVENTS",
                ] {
                    if text.contains(verb) {
                        writers.push(format!("{} {verb}", path.display()));
                    }
                }
            }
        }
    }
    assert_eq!(writers.len(), 1, "{writers:?}");
    assert!(
        writers[0].ends_with("store/sql/audit.rs DELETE FROM AUDIT_EVENTS"),
        "{writers:?}"
    );
}
