//! Sign-in throttling under attack: bursts of parallel guesses, lock-out of a known
//! user, and account names probed before the password.

use crate::support::{acme_app, body_json, session_cookie, PASSWORD};

fn form(email: &str, password: &str) -> String {
    format!("email={email}&password={}", password.replace(' ', "+"))
}

fn grant(password: &str, account: &str) -> String {
    format!(
        "grant_type=password&username=member%40acme.test&password={}&account={account}",
        password.replace(' ', "+")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_parallel_guesses_verifies_no_more_than_the_limit() {
    let (app, _) = acme_app().await;
    // 60 at once against one email from one address; the right password is the 30th.
    let bodies = (0..60)
        .map(|n| {
            let password = if n == 29 { PASSWORD } else { "wrong password" };
            format!(
                "grant_type=password&username=member%40acme.test&password={}",
                password.replace(' ', "+")
            )
        })
        .collect();
    let answers = app.post_forms_at_once("/api/v1/auth/token", bodies).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    let verified = statuses.iter().filter(|s| **s != 429).count();
    assert!(
        verified <= 5,
        "at most the email's limit of 5 reach the password check: {statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 60 - verified);
    assert!(answers
        .iter()
        .filter(|r| r.status() == 429)
        .all(|r| r.headers().contains_key("retry-after")));
    // The right password after the burst is refused too.
    assert_eq!(
        app.token(&format!(
            "grant_type=password&username=member%40acme.test&password={}",
            PASSWORD.replace(' ', "+")
        ))
        .await
        .status(),
        429
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_sign_in_counts_parallel_failures_too() {
    let (app, _) = acme_app().await;
    // 40 wrong passwords at once: exactly 5 checked, the rest 429 with Retry-After.
    let bodies = (0..40)
        .map(|_| form("admin%40acme.test", "wrong password"))
        .collect();
    let answers = app.post_forms_at_once("/api/sign_in", bodies).await;
    let refused = answers.iter().filter(|r| r.status() == 429).count();
    assert_eq!(answers.iter().filter(|r| r.status() == 401).count(), 5);
    assert_eq!(refused, 35);
    assert!(answers
        .iter()
        .filter(|r| r.status() == 429)
        .all(|r| r.headers().contains_key("retry-after")));
}

#[tokio::test]
async fn failures_elsewhere_do_not_lock_a_trusted_browser_out() {
    let (app, _) = acme_app().await;
    // The owner's laptop signs in once and keeps its device cookie.
    let first = app
        .post_form("/api/sign_in", &form("owner%40acme.test", PASSWORD), None)
        .await;
    let device = first
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("sc_device="))
        .map(|v| v.split(';').next().unwrap_or_default().to_string())
        .expect("a device cookie");
    assert!(device.len() > "sc_device=".len() + 40, "a 256-bit token");

    // An attacker elsewhere fails six times: the email is locked for unknown browsers...
    for _ in 0..6 {
        app.post_form("/api/sign_in", &form("owner%40acme.test", "guess"), None)
            .await;
    }
    let locked = app
        .post_form("/api/sign_in", &form("owner%40acme.test", PASSWORD), None)
        .await;
    assert_eq!(locked.status(), 429);
    assert!(locked.headers().contains_key("retry-after"));

    // ...but not for the owner's own browser.
    let own = app
        .post_form(
            "/api/sign_in",
            &form("owner%40acme.test", PASSWORD),
            Some(&device),
        )
        .await;
    assert_eq!(own.status(), 200);
    assert!(session_cookie(&own).is_some());

    // Another person's device cookie earns nothing for this email.
    let borrowed = app
        .post_form(
            "/api/sign_in",
            &form("member%40acme.test", "guess"),
            Some(&device),
        )
        .await;
    assert_eq!(borrowed.status(), 401);
}

#[tokio::test]
async fn accounts_are_named_only_after_the_password_is_verified() {
    let (app, _) = acme_app().await;
    // A wrong password gets the same answer whether the account exists or not.
    let existing = body_json(app.token(&grant("wrong password", "Acme")).await).await;
    let unknown = body_json(app.token(&grant("wrong password", "Nowhere")).await).await;
    assert_eq!(existing, unknown);
    assert_eq!(existing["error"], "invalid_grant");

    // The right password with an account the person is not in is refused, and counts as
    // a failed attempt: three of them, plus the two above, exhaust the email's five.
    for _ in 0..3 {
        let refused = app.token(&grant(PASSWORD, "Nowhere")).await;
        assert_eq!(refused.status(), 400);
        assert_eq!(
            body_json(refused).await["error_description"],
            "Choose one of your accounts"
        );
    }
    assert_eq!(app.token(&grant(PASSWORD, "Acme")).await.status(), 429);
}
