//! Credentials: random tokens stored only as SHA-256, and Argon2 password hashes
//! computed off the async runtime.

use crate::error::AppError;
use crate::store::{PasswordHash, TokenHash};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// A new credential of 256 random bits, base64url for cookies and headers, and its hash.
pub fn new_token() -> Result<(String, TokenHash), AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        tracing::error!(error = %e, "the operating system's random source failed");
        AppError::Internal
    })?;
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&token);
    Ok((token, hash))
}

/// A random token needs no slow hash: SHA-256 makes a database leak useless without
/// making the per-request lookup expensive.
pub fn hash_token(token: &str) -> TokenHash {
    TokenHash(Sha256::digest(token.as_bytes()).into())
}

/// Argon2 takes about 19 MB and tens of milliseconds per hash. At most one hash per
/// core runs at a time, so a burst of sign-ins queues instead of exhausting memory.
fn hashing_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        tokio::sync::Semaphore::new(cores)
    })
}

/// Runs a password computation on the blocking pool, one per core at most.
async fn off_runtime<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
    let _slot = hashing_slots().acquire().await.map_err(|_| AppError::Internal)?;
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        tracing::error!(error = %e, "password hashing task failed");
        AppError::Internal
    })
}

pub async fn hash_password(password: String) -> Result<PasswordHash, AppError> {
    off_runtime(move || PasswordHash(password_auth::generate_hash(password))).await
}

/// Verifies a password. With no stored hash it still spends the time of one
/// verification, so response time does not reveal whether an email is known.
pub async fn verify_password(password: String, stored: Option<PasswordHash>) -> Result<bool, AppError> {
    off_runtime(move || match stored {
        Some(hash) => password_auth::verify_password(password, &hash.0).is_ok(),
        None => {
            let _ = password_auth::verify_password(password, dummy_hash());
            false
        }
    })
    .await
}

fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| password_auth::generate_hash("not a real password"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let (a, hash_a) = new_token().expect("random source");
        let (b, _) = new_token().expect("random source");
        assert_ne!(a, b);
        assert_eq!(a.len(), 43, "32 bytes in unpadded base64url");
        assert_eq!(hash_token(&a), hash_a);
    }

    #[tokio::test]
    async fn passwords_verify_only_when_right() {
        let hash = hash_password("correct horse".into()).await.expect("hash");
        assert!(!hash.0.contains("correct horse"));
        assert!(verify_password("correct horse".into(), Some(hash.clone()))
            .await
            .expect("verify"));
        assert!(!verify_password("wrong".into(), Some(hash)).await.expect("verify"));
        assert!(!verify_password("anything".into(), None).await.expect("verify"));
    }
}
