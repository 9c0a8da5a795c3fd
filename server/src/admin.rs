//! The admin command line: operations a self-hoster runs before anyone can sign in.
//! Each validates everything first and writes in one transaction, so bad input changes nothing.

use app::domain::{normalize_email, validate_display_name, validate_password, Role};
use app::error::AppError;
use app::ssr::crypto::hash_password;
use app::ssr::Clock;
use app::store::{NewUser, Store};
use tokio::io::{AsyncBufReadExt, BufReader};

/// Reads one line from standard input, without its line ending. Passwords never come
/// from arguments, which other users of the machine can read.
pub async fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    BufReader::new(tokio::io::stdin()).read_line(&mut line).await?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

async fn new_user(email: &str, name: &str, password: String) -> Result<NewUser, AppError> {
    let email = normalize_email(email).map_err(|m| AppError::invalid("email", m))?;
    let display_name = validate_display_name(name).map_err(|m| AppError::invalid("name", m))?;
    validate_password(&password).map_err(|m| AppError::invalid("password", m))?;
    Ok(NewUser {
        email,
        display_name,
        password_hash: hash_password(password).await?,
    })
}

fn account_name(raw: &str) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid(
            "name",
            "An account name has 1 to 100 characters",
        ));
    }
    Ok(name.to_string())
}

pub async fn create_account(
    store: &dyn Store,
    clock: &dyn Clock,
    name: &str,
    owner_email: &str,
    owner_name: &str,
    password: String,
) -> Result<String, AppError> {
    let name = account_name(name)?;
    let owner = new_user(owner_email, owner_name, password).await?;
    let (account, user) = store
        .create_account_with_owner(&name, &owner, clock.now())
        .await?;
    Ok(format!(
        "created account {:?} ({}) with owner {}",
        account.name, account.id, user.email
    ))
}

/// Adds a person to an account. `password` is asked for only when the email is new.
pub async fn add_user<F, Fut>(
    store: &dyn Store,
    clock: &dyn Clock,
    account: &str,
    email: &str,
    name: &str,
    role: Role,
    password: F,
) -> Result<String, AppError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<String, AppError>>,
{
    let email = normalize_email(email).map_err(|m| AppError::invalid("email", m))?;
    let account = store
        .account_by_name(account.trim())
        .await?
        .ok_or_else(|| AppError::invalid("account", format!("no account is named {:?}", account.trim())))?;
    let now = clock.now();
    if let Some(existing) = store.user_by_email(&email).await? {
        store.add_membership(account.id, existing.id, role, now).await?;
        return Ok(format!(
            "added existing user {} to {:?} as {role}",
            existing.email, account.name
        ));
    }
    let user = new_user(&email, name, password().await?).await?;
    let user = store.create_member(account.id, &user, role, now).await?;
    Ok(format!("added {} to {:?} as {role}", user.email, account.name))
}

/// Changes a member's role between administrator and member; the owner stays owner.
pub async fn set_role(
    store: &dyn Store,
    clock: &dyn Clock,
    account: &str,
    email: &str,
    role: Role,
) -> Result<String, AppError> {
    if role == Role::Owner {
        return Err(AppError::invalid("role", "choose administrator or member"));
    }
    let email = normalize_email(email).map_err(|m| AppError::invalid("email", m))?;
    let account = store
        .account_by_name(account.trim())
        .await?
        .ok_or_else(|| AppError::invalid("account", format!("no account is named {:?}", account.trim())))?;
    let not_member = || AppError::invalid("email", format!("{email} is not a member of {:?}", account.name));
    let user = store.user_by_email(&email).await?.ok_or_else(not_member)?;
    let old = match store.set_role(account.id, user.id, role, clock.now()).await {
        Err(app::store::StoreError::NotFound) => return Err(not_member()),
        other => other?,
    };
    Ok(format!("{email} in {:?}: {old} -> {role}", account.name))
}
