//! The admin command line: creates accounts and users, and refuses bad input without
//! changing anything. Runs the real binary for exit codes and standard input.

use app::domain::Role;
use app::ssr::ManualClock;
use app::store::testing::fresh_store;
use chrono::Utc;
use server::admin;
use std::io::Write;
use std::process::{Command, Stdio};

async fn ok_password() -> Result<String, app::AppError> {
    Ok("a long enough password".to_string())
}

#[tokio::test]
async fn create_account_then_add_users() {
    let store = fresh_store().await;
    let clock = ManualClock::new(Utc::now());
    let done = admin::create_account(
        &**store,
        &clock,
        "Acme",
        "Olivia@Acme.test",
        "Olivia",
        "a long enough password".into(),
    )
    .await
    .expect("account created");
    assert!(done.contains("olivia@acme.test"), "{done}");
    let account = store.account_by_name("Acme").await.unwrap().expect("account");

    admin::add_user(
        &**store,
        &clock,
        "Acme",
        "mia@acme.test",
        "Mia",
        Role::Administrator,
        ok_password,
    )
    .await
    .expect("added");
    let mia = store
        .user_by_email("mia@acme.test")
        .await
        .unwrap()
        .expect("identity");
    assert_eq!(
        store
            .membership(account.id, mia.id)
            .await
            .unwrap()
            .map(|m| m.role),
        Some(Role::Administrator)
    );

    // An existing identity joins another account without a new password.
    admin::create_account(
        &**store,
        &clock,
        "Beta",
        "bob@beta.test",
        "Bob",
        "a long enough password".into(),
    )
    .await
    .unwrap();
    let never = || async { panic!("no password is asked for an existing identity") };
    admin::add_user(
        &**store,
        &clock,
        "Beta",
        "mia@acme.test",
        "ignored",
        Role::Member,
        never,
    )
    .await
    .expect("joined");
    assert_eq!(store.accounts_of_user(mia.id).await.unwrap().len(), 2);
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let store = fresh_store().await;
    let clock = ManualClock::new(Utc::now());
    let empty = admin::create_account(
        &**store,
        &clock,
        "Acme",
        "olivia@acme.test",
        "Olivia",
        String::new(),
    )
    .await;
    assert_eq!(
        empty.unwrap_err().field("password").as_deref(),
        Some("Enter a password")
    );
    assert!(!store.has_accounts().await.unwrap());

    admin::create_account(
        &**store,
        &clock,
        "Acme",
        "olivia@acme.test",
        "Olivia",
        "a long enough password".into(),
    )
    .await
    .unwrap();
    let duplicate = admin::create_account(
        &**store,
        &clock,
        "Other",
        "olivia@acme.test",
        "Olivia",
        "a long enough password".into(),
    )
    .await;
    assert_eq!(
        duplicate.unwrap_err().to_string(),
        "A user with this email already exists"
    );
    assert!(store.account_by_name("Other").await.unwrap().is_none());

    let unknown = admin::add_user(
        &**store,
        &clock,
        "Nope",
        "mia@acme.test",
        "Mia",
        Role::Member,
        ok_password,
    )
    .await;
    assert!(unknown
        .unwrap_err()
        .to_string()
        .contains("no account is named \"Nope\""));
    let bad_email = admin::add_user(
        &**store,
        &clock,
        "Acme",
        "not-an-email",
        "Mia",
        Role::Member,
        ok_password,
    )
    .await;
    assert!(bad_email.unwrap_err().field("email").is_some());
    assert!(store.user_by_email("mia@acme.test").await.unwrap().is_none());
}

fn run_cli(db: &str, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_session-console"))
        .args(args)
        .env("DATABASE_URL", db)
        .env("LOG_LEVEL", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the binary");
    // A command refused for its arguments exits before it reads: a closed pipe is fine.
    let written = child.stdin.take().expect("stdin").write_all(stdin.as_bytes());
    if let Err(e) = written {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
    }
    let out = child.wait_with_output().expect("binary finishes");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// `add-user` for Mia (m@acme.test) into `account`, with `extra` arguments.
fn add_mia(db: &str, account: &str, extra: &[&str], stdin: &str) -> (bool, String, String) {
    let mut args = vec![
        "add-user",
        "--account",
        account,
        "--email",
        "m@acme.test",
        "--name",
        "Mia",
    ];
    args.extend_from_slice(extra);
    run_cli(db, &args, stdin)
}

#[test]
fn binary_reads_passwords_from_stdin_and_fails_in_one_line() {
    let dir = std::env::temp_dir().join(format!("sc-cli-{}", uuid::Uuid::new_v4().simple()));
    let db = format!("sqlite:{}", dir.join("cli.db").display());

    let (ok, out, _) = run_cli(
        &db,
        &[
            "create-account",
            "--name",
            "Acme",
            "--owner-email",
            "o@acme.test",
            "--owner-name",
            "Olivia",
        ],
        "a long enough password\n",
    );
    assert!(ok && out.contains("created account \"Acme\""), "{out}");

    let (ok, _, err) = add_mia(&db, "Acme", &[], "\n");
    assert!(!ok);
    assert_eq!(err.trim(), "error: Enter a password");

    let (ok, _, err) = add_mia(&db, "Missing", &[], "a long enough password\n");
    assert!(!ok);
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    let (ok, _, err) = add_mia(&db, "Acme", &["--role", "superuser"], "a long enough password\n");
    assert!(!ok);
    assert!(err.contains("invalid value 'superuser' for '--role"), "{err}");
    assert!(err.contains("owner, administrator, member"), "{err}");

    let (ok, out, _) = add_mia(
        &db,
        "Acme",
        &["--role", "administrator"],
        "a long enough password\n",
    );
    assert!(ok, "{out}");
    let (ok, _, err) = add_mia(&db, "Acme", &[], "a long enough password\n");
    assert!(!ok);
    assert_eq!(err.trim(), "error: This user is already a member of the account");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_demo_account_is_created_once() {
    let store = fresh_store().await;
    let clock = ManualClock::new(Utc::now());
    let printed = server::demo::seed_if_empty(&**store, &clock, "127.0.0.1:3000")
        .await
        .unwrap()
        .expect("created");
    assert!(printed.contains("owner@demo.example") && printed.contains("password for all of them"));
    let account = store
        .account_by_name(server::demo::ACCOUNT_NAME)
        .await
        .unwrap()
        .expect("demo account");
    let admin = store.user_by_email("admin@demo.example").await.unwrap().unwrap();
    let settings = store.login_session_settings(account.id).await.unwrap();
    let live = app::service::liveness(&settings, app::ssr::Clock::now(&clock));
    let sessions = store
        .sessions_of_user(account.id, admin.id, app::domain::SessionView::All, live)
        .await
        .unwrap();
    assert!(
        sessions.len() >= 2,
        "the administrator has sessions from several devices"
    );
    assert!(
        sessions.iter().any(|s| s.session.ended_at.is_some()),
        "and an ended one"
    );
    // A second start finds the database in use and creates nothing.
    assert!(server::demo::seed_if_empty(&**store, &clock, "127.0.0.1:3000")
        .await
        .unwrap()
        .is_none());
    assert_eq!(store.accounts_settings().await.unwrap().len(), 1);
}
