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

/// A hash as text, for keys that name it (never the token itself).
pub fn hash_text(hash: &TokenHash) -> String {
    URL_SAFE_NO_PAD.encode(hash.0)
}

/// Password work runs on a few dedicated threads (one unless configured): a burst of
/// sign-ins queues instead of taking every core and ~19 MB per concurrent hash, and each
/// thread reuses one Argon2 memory block, so resident memory stays flat under load.
mod hashing {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc::{channel, Receiver, Sender};
    use std::sync::{Arc, Mutex, OnceLock};

    type Job = Box<dyn FnOnce() + Send>;

    static THREADS: AtomicUsize = AtomicUsize::new(1);

    pub fn set_threads(n: usize) {
        THREADS.store(n.max(1), Ordering::Relaxed);
    }

    fn queue() -> &'static Mutex<Sender<Job>> {
        static QUEUE: OnceLock<Mutex<Sender<Job>>> = OnceLock::new();
        QUEUE.get_or_init(|| {
            let (sender, receiver) = channel::<Job>();
            let receiver = Arc::new(Mutex::new(receiver));
            let threads = THREADS.load(Ordering::Relaxed);
            for n in 0..threads {
                let receiver: Arc<Mutex<Receiver<Job>>> = Arc::clone(&receiver);
                let _ = std::thread::Builder::new()
                    .name(format!("password-{n}"))
                    .spawn(move || loop {
                        let job = match receiver.lock() {
                            Ok(r) => r.recv(),
                            Err(poisoned) => poisoned.into_inner().recv(),
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    });
            }
            Mutex::new(sender)
        })
    }

    /// Runs `work` on a password thread and waits for it without blocking the runtime.
    pub async fn run<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(work());
        });
        queue().lock().ok()?.send(job).ok()?;
        result.await.ok()
    }
}

/// Argon2 verification with the thread's reusable memory block (`password_auth`
/// allocates a fresh one per call).
fn verify_phc(password: &[u8], phc: &str) -> bool {
    use argon2::password_hash::{Output, PasswordHash as Phc};
    use argon2::{Algorithm, Argon2, Block, Params, Version};
    use std::cell::RefCell;
    thread_local! {
        static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
    }
    let Ok(parsed) = Phc::new(phc) else { return false };
    let (Ok(algorithm), Ok(params)) = (Algorithm::try_from(parsed.algorithm), Params::try_from(&parsed))
    else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    let computed = MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        memory.resize(blocks, Block::default());
        argon2.hash_password_into_with_memory(password, salt, &mut out, &mut memory[..blocks])
    });
    // Output's equality is constant-time.
    computed.is_ok() && Output::new(&out).is_ok_and(|out| out == expected)
}

/// How many threads hash and verify passwords. Each holds a 19 MiB Argon2 block once
/// used. Takes effect only before the first password operation (set it at start-up).
pub fn set_password_threads(n: usize) {
    hashing::set_threads(n);
}

async fn off_runtime<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
    hashing::run(work).await.ok_or_else(|| {
        tracing::error!("password hashing thread failed");
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
        Some(hash) => verify_phc(password.as_bytes(), &hash.0),
        None => {
            let _ = verify_phc(password.as_bytes(), dummy_hash());
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
        assert!(
            !verify_password("x".into(), Some(PasswordHash("not a phc string".into())))
                .await
                .expect("verify")
        );
        // Hashes made elsewhere (other parameters) verify too.
        let other = password_auth::generate_hash("other");
        assert!(verify_phc(b"other", &other));
        assert!(!verify_phc(b"others", &other));
    }
}
